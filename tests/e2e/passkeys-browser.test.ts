/// <reference lib="dom" />
/**
 * Passkeys through the demo page in real headless Chromium (tests/helpers/chromium.ts), with a
 * virtual authenticator of the DevTools protocol's WebAuthn domain standing in for the platform
 * authenticator: the browser runs the real ceremonies (navigator.credentials.create/get through
 * @simplewebauthn/browser), the authenticator keeps a discoverable credential and verifies the user,
 * and the service checks what comes back. Nothing of the ceremony is mocked.
 *
 * The page's origin is the demo's (`http://localhost:<port>`), the RP id `localhost` (the host of
 * APP_URL), and the gateway's CORS origins, the expected origins, are that origin alone.
 */
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../scripts/demo-server';
import { freePort } from '../../scripts/stack';
import { launchChromium } from '../helpers/chromium';
import { uniqueEmail } from '../helpers/deps';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

const PASSWORD = 'correct horse battery';
/** How long a page may take to show an answer: the gateway and DynamoDB Local share a loaded machine (vitest's default is 1 s). */
const SETTLE = { timeout: 30_000 };

let browser: Browser;
let offline: TestGateway;
let demo: DemoServer;

beforeAll(async () => {
  browser = await launchChromium();
  const demoPort = await freePort();
  offline = await startTestGateway({
    DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
    SIGNING_KEYS_FILE: inject('keysFile'),
    CORS_ALLOWED_ORIGINS: `http://localhost:${demoPort}`,
    SES_ENDPOINT: inject('sesEndpoint'),
    APP_URL: `http://localhost:${demoPort}`,
  });
  demo = await startDemoServer({ port: demoPort, apiUrl: offline.url.replace('127.0.0.1', 'localhost') });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  await offline?.stop();
});

interface Device {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

/** A browser profile on the demo page, signed out, with a virtual platform authenticator (resident keys, user verification). */
async function openDevice(): Promise<Device> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await page.goto(demo.url);
  await page.locator('#status').filter({ hasText: /Signed out|Signed in/ }).waitFor();
  return { context, page, cdp, authenticatorId };
}

const status = (page: Page, text: string | RegExp) => page.locator('#status').filter({ hasText: text }).waitFor();

async function signOut(page: Page) {
  await page.locator('#logout').click();
  await status(page, 'Signed out');
}

/** The claims of the page's current access token (read from the client's memory by a fresh request). */
async function currentClaims(page: Page): Promise<Record<string, unknown>> {
  const token = await page.evaluate(async () => {
    const auth = (window as any).demoAuth;
    await auth.refresh();
    // The token is private to the client: catch it on the Authorization header of one request.
    let seen = '';
    const original = window.fetch;
    window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      const headers = (init?.headers ?? {}) as Record<string, string>;
      if (headers.Authorization) seen = headers.Authorization.slice('Bearer '.length);
      return original(input, init);
    };
    await auth.authed('/auth/me');
    window.fetch = original;
    return seen;
  });
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

describe('passkeys in Chromium', () => {
  it('registers and names a passkey, signs out, signs in with it alone, uses it as the second factor after the password, and removes it', async () => {
    const device = await openDevice();
    const { page } = device;
    const email = uniqueEmail('passkey-browser');
    const form = page.locator('#register-form');
    await form.locator('input[name=email]').fill(email);
    await form.locator('input[name=password]').fill(PASSWORD);
    await form.locator('button[type=submit]').click();
    await status(page, `Signed in as ${email}`);

    // Register and name one.
    await page.locator('#passkey-form input[name=name]').fill('Test laptop');
    await page.locator('#passkey-form button[type=submit]').click();
    await page.locator('#passkeys-status').filter({ hasText: 'Passkey "Test laptop" added.' }).waitFor();
    await expect.poll(() => page.locator('#passkeys li').count(), SETTLE).toBe(1);
    expect(await page.locator('#passkeys li').innerText()).toContain('Test laptop');
    const { credentials } = await device.cdp.send('WebAuthn.getCredentials', { authenticatorId: device.authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    expect(await page.locator('#error').isHidden()).toBe(true);

    // Sign out, then in with the passkey alone: no email, no password; aal2.
    await signOut(page);
    await page.locator('#passkey-login').click();
    await status(page, `Signed in as ${email}`);
    expect(await currentClaims(page)).toMatchObject({ acr: 'aal2', amr: ['hwk', 'user', 'mfa'] });
    const afterSignIn = (await device.cdp.send('WebAuthn.getCredentials', { authenticatorId: device.authenticatorId })).credentials[0]!;
    expect(afterSignIn.signCount).toBeGreaterThan(0);

    // Conditional UI: a page that loads signed out offers the passkey in the email field's
    // autofill; the virtual authenticator picks it at once, as a user choosing it would.
    await signOut(page);
    await page.reload();
    await status(page, `Signed in as ${email}`);
    expect(await currentClaims(page)).toMatchObject({ acr: 'aal2', amr: ['hwk', 'user', 'mfa'] });

    // The password alone is not enough any more: the page completes the sign-in with the passkey.
    await signOut(page);
    const login = page.locator('#login-form');
    await login.locator('input[name=email]').fill(email);
    await login.locator('input[name=password]').fill(PASSWORD);
    await login.locator('button[type=submit]').click();
    await status(page, `Signed in as ${email}`);
    expect(await currentClaims(page)).toMatchObject({ acr: 'aal2', amr: ['pwd', 'hwk', 'user', 'mfa'] });

    // Remove it (a fresh aal2 sign-in passes the step-up); the password alone signs in again.
    await expect.poll(() => page.locator('#passkeys li').count(), SETTLE).toBe(1);
    await page.locator('#passkeys li button.remove-passkey').click();
    await expect.poll(async () => `${await page.locator('#passkeys li').count()} ${await page.locator('#error').innerText()}`, SETTLE).toBe('0 ');
    expect(await page.locator('#error').isHidden()).toBe(true);
    await signOut(page);
    await login.locator('input[name=email]').fill(email);
    await login.locator('input[name=password]').fill(PASSWORD);
    await login.locator('button[type=submit]').click();
    await status(page, `Signed in as ${email}`);
    expect(await currentClaims(page)).toMatchObject({ acr: 'aal1', amr: ['pwd'] });
    // And the removed passkey, still on the authenticator, signs nobody in.
    await signOut(page);
    await page.locator('#passkey-login').click();
    await page.locator('#error').filter({ hasText: 'invalid_code' }).waitFor();
    await device.context.close();
  });

  it('a user verification the authenticator cannot give is refused: no passkey is added', async () => {
    const device = await openDevice();
    const { page } = device;
    const email = uniqueEmail('passkey-no-uv');
    const form = page.locator('#register-form');
    await form.locator('input[name=email]').fill(email);
    await form.locator('input[name=password]').fill(PASSWORD);
    await form.locator('button[type=submit]').click();
    await status(page, `Signed in as ${email}`);
    // The user fails the PIN or biometric check: the browser refuses the ceremony itself.
    await device.cdp.send('WebAuthn.setUserVerified', { authenticatorId: device.authenticatorId, isUserVerified: false });
    await page.locator('#passkey-form button[type=submit]').click();
    await page.locator('#error').filter({ hasText: /cancelled|failed/ }).waitFor();
    expect(await page.locator('#passkeys li').count()).toBe(0);
    await device.context.close();
  });
});
