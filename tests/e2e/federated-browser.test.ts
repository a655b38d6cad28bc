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
import { alertIn, drawn, expectAccessible, openDemo, register, signedInAs, signedOut } from '../helpers/demo-page';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

/** A page change after a credential change (link, unlink) may take seconds on a loaded machine; vitest's 1 s default is not enough. */
const SETTLE = { timeout: 60_000 };

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

const open = () => openDemo(browser, demoUrl);

const refreshCookie = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === COOKIE && c.domain === new URL(apiUrl).hostname);

/** The account as the page's client sees it (`GET /auth/me`). */
const me = (page: Page) => page.evaluate(() => (window as any).demoAuth.account.me()) as Promise<{ id: string; email: string; emailVerified: boolean; identities: { provider: string }[] }>;

/** Signs in at the local provider's own page (no login_hint was sent, so it asks). */
async function signInAtProvider(page: Page, email: string) {
  await page.waitForURL((url) => url.pathname.startsWith('/interaction/'));
  await page.locator('input[name=email]').fill(email);
  await page.locator('button').click();
}

const continueWithProvider = (page: Page) => page.getByRole('button', { name: 'Continue with the local provider' }).click();
const providerHint = (page: Page) => page.locator('#federated-form').getByLabel('Email at the provider (optional)');

describe('federated sign-in in the demo app (Chromium, real redirects)', () => {
  it('"Continue with the local provider" goes to the provider and back, and signs in in cookie mode; the code leaves the address bar', async () => {
    const { context, page } = await open();
    const email = uniqueEmail('fed-browser');
    const visited: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) visited.push(new URL(frame.url()).origin + new URL(frame.url()).pathname);
    });
    await continueWithProvider(page);
    await signInAtProvider(page, email);
    await drawn(page);
    await signedInAs(page, email);
    // Through the provider's page and back to the demo; the one-time code is gone from the URL.
    expect(visited.some((u) => u.startsWith(new URL(apiUrl).origin) === false && u.includes('/interaction/'))).toBe(true);
    expect(new URL(page.url()).search).toBe('');
    const account = await me(page);
    expect(account).toMatchObject({ email, emailVerified: true });
    expect(account.identities.map((i) => i.provider)).toEqual(['local']);
    await page.locator('#identity-local').filter({ hasText: 'The local provider is linked' }).waitFor(SETTLE);
    expect(await page.locator('#profile-verified').innerText()).toBe('verified');
    await expectAccessible(page, 'security page after a provider sign-in');
    // Cookie mode: the refresh token is in the HttpOnly cookie, out of the page's reach.
    const cookie = await refreshCookie(context);
    expect(cookie?.httpOnly).toBe(true);
    expect(await page.evaluate(() => document.cookie)).not.toContain(cookie!.value);
    // A reload restores the session from the cookie alone.
    await page.reload();
    await drawn(page);
    await signedInAs(page, email);
    await context.close();
  });

  it('signs the same account in the second time, with the email given to the button as login_hint (no provider page)', async () => {
    const email = uniqueEmail('fed-hint');
    const first = await open();
    await providerHint(first.page).fill(email);
    await continueWithProvider(first.page);
    await drawn(first.page);
    await signedInAs(first.page, email);
    const id = (await me(first.page)).id;
    const second = await open();
    await providerHint(second.page).fill(email);
    await continueWithProvider(second.page);
    await drawn(second.page);
    await signedInAs(second.page, email);
    expect((await me(second.page)).id).toBe(id);
    await Promise.all([first.context.close(), second.context.close()]);
  });

  it('shows a used code as an error and stays signed out (the code is single use)', async () => {
    const { context, page } = await open();
    const email = uniqueEmail('fed-replay');
    let landing: string | undefined;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame() && new URL(frame.url()).searchParams.has('code')) landing = frame.url();
    });
    await providerHint(page).fill(email);
    await continueWithProvider(page);
    await drawn(page);
    await signedInAs(page, email);
    expect(landing).toBeDefined();
    const other = await open();
    await other.page.goto(landing!);
    await drawn(other.page);
    await signedOut(other.page);
    await alertIn(other.page, '#federated-form').filter({ hasText: 'That sign-in with the provider expired or was already used' }).waitFor(SETTLE);
    expect(new URL(other.page.url()).search).toBe('');
    expect(await refreshCookie(other.context)).toBeUndefined();
    await Promise.all([context.close(), other.context.close()]);
  });

  it('links the local provider to a password account from the security page, through the provider, and unlinks it', async () => {
    const { context, page } = await open();
    const email = uniqueEmail('fed-link');
    await register(page, email);
    await page.getByRole('button', { name: 'Link the local provider' }).click();
    await signInAtProvider(page, uniqueEmail('fed-link-provider'));
    // The landing restores the session first (one refresh), then draws the page with its notice:
    // nothing drawn later replaces the notice, and the page shows the identity already linked.
    await drawn(page);
    await signedInAs(page, email);
    await page.locator('#status').filter({ hasText: 'Linked your local identity' }).waitFor(SETTLE);
    expect(new URL(page.url()).search).toBe('');
    await page.locator('#identity-local').filter({ hasText: 'The local provider is linked' }).waitFor(SETTLE);
    expect((await me(page)).identities.map((i) => i.provider)).toEqual(['local']);
    await page.locator('#activity li').filter({ hasText: /^You linked your local sign-in · Chrome on Linux · just now$/ }).waitFor(SETTLE);
    await page.getByRole('button', { name: 'Unlink the local provider' }).click();
    await page.locator('#identity-local').filter({ hasText: 'No provider is linked.' }).waitFor(SETTLE);
    expect((await me(page)).identities).toEqual([]);
    expect(await alertIn(page, '#identities-section').count()).toBe(0);
    await context.close();
  });
});
