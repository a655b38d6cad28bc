/// <reference lib="dom" />
/**
 * Federated sign-in in the demo app, in real headless Chromium (tests/helpers/chromium.ts),
 * through the real redirects: the demo page, our authorize endpoint, the local OpenID provider
 * (scripts/local-idp.ts on oidc-provider) and its sign-in page, our callback, back to the demo
 * page with `?code=`, which it exchanges in cookie mode. This file runs a provider and a gateway
 * of its own (the provider must know the gateway's callback URL, the gateway the demo's origin),
 * on the run's DynamoDB Local.
 *
 * `DEMO_URL=http://localhost:5173 npx vitest run --project e2e tests/e2e/federated-browser.test.ts`
 * runs the same tests against an `npm start` already running (its local provider on IDP_PORT).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../scripts/demo-server';
import { startLocalIdp, type LocalIdp } from '../../scripts/local-idp';
import { freePort } from '../../scripts/stack';
import { launchChromium } from '../helpers/chromium';
import { uniqueEmail } from '../helpers/deps';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

/** A page change after a credential change (link, unlink) may take seconds on a loaded machine; vitest's 1 s default is not enough. */
const SETTLE = { timeout: 30_000 };

const PASSWORD = 'correct horse battery';
const COOKIE = '__Host-refresh_token';

let browser: Browser;
let demoUrl: string;
let apiUrl: string;
let idp: LocalIdp | undefined;
let offline: TestGateway | undefined;
let demo: DemoServer | undefined;
let workDir: string | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  if (process.env.DEMO_URL) {
    demoUrl = process.env.DEMO_URL.replace(/\/$/, '');
    const config = await (await fetch(`${demoUrl}/config.js`)).text();
    apiUrl = JSON.parse(config.slice(config.indexOf('{'), config.lastIndexOf('}') + 1)).apiUrl;
    return;
  }
  const [demoPort, gatewayPort, idpPort] = [await freePort(), await freePort(), await freePort()];
  apiUrl = `http://localhost:${gatewayPort}`;
  idp = await startLocalIdp({ port: idpPort, clients: [{ clientId: 'demo-local', clientSecret: 'demo-secret', redirectUris: [`${apiUrl}/auth/oauth/local/callback`] }] });
  workDir = await mkdtemp(path.join(tmpdir(), 'federated-browser-'));
  const secretsFile = path.join(workDir, 'oauth-client-secrets.json');
  await writeFile(secretsFile, JSON.stringify({ local: 'demo-secret' }), { mode: 0o600 });
  offline = await startTestGateway(
    {
      DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
      SIGNING_KEYS_FILE: inject('keysFile'),
      SES_ENDPOINT: inject('sesEndpoint'),
      CORS_ALLOWED_ORIGINS: `http://localhost:${demoPort}`,
      APP_URL: `http://localhost:${demoPort}`,
      OAUTH_PROVIDERS: JSON.stringify([{ name: 'local', issuer: idp.issuer, clientId: 'demo-local' }]),
      OAUTH_CLIENT_SECRETS_FILE: secretsFile,
    },
    { port: gatewayPort },
  );
  // Same site as the demo (localhost), another origin (port), as an app and its API usually are.
  demo = await startDemoServer({ port: demoPort, apiUrl });
  demoUrl = demo.url;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  await offline?.stop();
  await idp?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function openDemo(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(demoUrl);
  await page.locator('#status').filter({ hasText: /Signed out|Signed in/ }).waitFor();
  return { context, page };
}

const refreshCookie = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === COOKIE && c.domain === new URL(apiUrl).hostname);

/** The `/auth/me` the page shows. */
const shownMe = async (page: Page) => JSON.parse(await page.locator('#me').innerText()) as { id: string; email: string; identities: { provider: string }[] };

/** Signs in at the local provider's own page (no login_hint was sent, so it asks). */
async function signInAtProvider(page: Page, email: string) {
  await page.waitForURL((url) => url.pathname.startsWith('/interaction/'));
  await page.locator('input[name=email]').fill(email);
  await page.locator('button').click();
}

describe('federated sign-in in the demo app (Chromium, real redirects)', () => {
  it('"Continue with the local provider" goes to the provider and back, and signs in in cookie mode; the code leaves the address bar', async () => {
    const { context, page } = await openDemo();
    const email = uniqueEmail('fed-browser');
    const visited: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) visited.push(new URL(frame.url()).origin + new URL(frame.url()).pathname);
    });
    await page.locator('#federated-sign-in').click();
    await signInAtProvider(page, email);
    await page.locator('#status').filter({ hasText: `Signed in as ${email}` }).waitFor();
    // Through the provider's page and back to the demo; the one-time code is gone from the URL.
    expect(visited.some((u) => u.startsWith(new URL(apiUrl).origin) === false && u.includes('/interaction/'))).toBe(true);
    expect(new URL(page.url()).search).toBe('');
    const me = await shownMe(page);
    expect(me).toMatchObject({ email, emailVerified: true });
    expect(me.identities.map((i) => i.provider)).toEqual(['local']);
    // Cookie mode: the refresh token is in the HttpOnly cookie, out of the page's reach.
    const cookie = await refreshCookie(context);
    expect(cookie?.httpOnly).toBe(true);
    expect(await page.evaluate(() => document.cookie)).not.toContain(cookie!.value);
    // A reload restores the session from the cookie alone.
    await page.reload();
    await page.locator('#status').filter({ hasText: `Signed in as ${email}` }).waitFor();
    await context.close();
  });

  it('signs the same account in the second time, with the email given to the button as login_hint (no provider page)', async () => {
    const email = uniqueEmail('fed-hint');
    const first = await openDemo();
    await first.page.locator('#federated-form input[name=email]').fill(email);
    await first.page.locator('#federated-sign-in').click();
    await first.page.locator('#status').filter({ hasText: `Signed in as ${email}` }).waitFor();
    const id = (await shownMe(first.page)).id;
    const second = await openDemo();
    await second.page.locator('#federated-form input[name=email]').fill(email);
    await second.page.locator('#federated-sign-in').click();
    await second.page.locator('#status').filter({ hasText: `Signed in as ${email}` }).waitFor();
    expect((await shownMe(second.page)).id).toBe(id);
    await Promise.all([first.context.close(), second.context.close()]);
  });

  it('shows a used code as an error and stays signed out (the code is single use)', async () => {
    const { context, page } = await openDemo();
    const email = uniqueEmail('fed-replay');
    let landing: string | undefined;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame() && new URL(frame.url()).searchParams.has('code')) landing = frame.url();
    });
    await page.locator('#federated-form input[name=email]').fill(email);
    await page.locator('#federated-sign-in').click();
    await page.locator('#status').filter({ hasText: `Signed in as ${email}` }).waitFor();
    expect(landing).toBeDefined();
    const other = await openDemo();
    await other.page.goto(landing!);
    await other.page.locator('#error').filter({ hasText: 'invalid_token' }).waitFor();
    await other.page.locator('#status').filter({ hasText: 'Signed out' }).waitFor();
    expect(await refreshCookie(other.context)).toBeUndefined();
    await Promise.all([context.close(), other.context.close()]);
  });

  it('links the local provider to a password account from the settings, through the provider, and unlinks it', async () => {
    const { context, page } = await openDemo();
    const email = uniqueEmail('fed-link');
    const form = page.locator('#register-form');
    await form.locator('input[name=email]').fill(email);
    await form.locator('input[name=password]').fill(PASSWORD);
    await form.locator('button[type=submit]').click();
    await page.locator('#status').filter({ hasText: `Signed in as ${email}` }).waitFor();
    await page.locator('#link-provider').click();
    await signInAtProvider(page, uniqueEmail('fed-link-provider'));
    await page.locator('#status').filter({ hasText: 'Linked your local identity' }).waitFor();
    expect(new URL(page.url()).search).toBe('');
    await page.locator('#refresh-me').click();
    await expect.poll(async () => (await shownMe(page)).identities.map((i) => i.provider), SETTLE).toEqual(['local']);
    await page.locator('#unlink-provider').click();
    await expect.poll(async () => (await shownMe(page)).identities, SETTLE).toEqual([]);
    expect(await page.locator('#error').isHidden()).toBe(true);
    await context.close();
  });
});
