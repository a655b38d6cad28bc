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
import { alertIn, drawn, expectAccessible, register, signedInAs, signIn, signOut } from '../helpers/demo-page';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

/** How long a page may take to show an answer: the gateway and DynamoDB Local share a loaded machine (vitest's default is 1 s). */
const SETTLE = { timeout: 60_000 };

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
  await drawn(page);
  return { context, page, cdp, authenticatorId };
}

/** The claims of the page's current access token, as the client holds it after a refresh. */
async function currentClaims(page: Page): Promise<Record<string, unknown>> {
  const token = await page.evaluate(async () => {
    const auth = (window as any).demoAuth;
    await auth.refresh();
    return auth.accessToken() as Promise<string>;
  });
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

describe('passkeys in Chromium', () => {
  it('registers and names a passkey, signs out, signs in with it alone, uses it as the second factor after the password, and removes it', async () => {
    const device = await openDevice();
    const { page } = device;
    const email = uniqueEmail('passkey-browser');
    await register(page, email);

    // Register and name one.
    await page.getByLabel('Name for the new passkey').fill('Test laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.locator('#status').filter({ hasText: 'Passkey "Test laptop" added.' }).waitFor(SETTLE);
    await expect.poll(() => page.locator('#passkeys li[data-factor-id]').count(), SETTLE).toBe(1);
    expect(await page.locator('#passkeys li').innerText()).toMatch(/^Test laptop\s+Added just now · not used yet/);
    const { credentials } = await device.cdp.send('WebAuthn.getCredentials', { authenticatorId: device.authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    expect(await alertIn(page, '#passkey-form').count()).toBe(0);
    await expectAccessible(page, 'security page with a passkey');

    // Sign out, then in with the passkey alone: no email, no password; aal2.
    await signOut(page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await signedInAs(page, email);
    expect(await currentClaims(page)).toMatchObject({ acr: 'aal2', amr: ['hwk', 'user', 'mfa'] });
    const afterSignIn = (await device.cdp.send('WebAuthn.getCredentials', { authenticatorId: device.authenticatorId })).credentials[0]!;
    expect(afterSignIn.signCount).toBeGreaterThan(0);

    // Conditional UI: a page that loads signed out offers the passkey in the email field's
    // autofill; the virtual authenticator picks it at once, as a user choosing it would.
    await signOut(page);
    await page.reload();
    await signedInAs(page, email);
    expect(await currentClaims(page)).toMatchObject({ acr: 'aal2', amr: ['hwk', 'user', 'mfa'] });

    // The password alone is not enough any more: the page completes the sign-in with the passkey.
    await signOut(page);
    await signIn(page, email);
    expect(await currentClaims(page)).toMatchObject({ acr: 'aal2', amr: ['pwd', 'hwk', 'user', 'mfa'] });

    // Remove it (a fresh aal2 sign-in passes the step-up); the password alone signs in again.
    await expect.poll(() => page.locator('#passkeys li[data-factor-id]').count(), SETTLE).toBe(1);
    await page.getByRole('button', { name: 'Remove Test laptop' }).click();
    await expect.poll(() => page.locator('#passkeys li[data-factor-id]').count(), SETTLE).toBe(0);
    expect(await alertIn(page, '#passkeys-section').count()).toBe(0);
    await signOut(page);
    await signIn(page, email);
    expect(await currentClaims(page)).toMatchObject({ acr: 'aal1', amr: ['pwd'] });
    // And the removed passkey, still on the authenticator, signs nobody in.
    await signOut(page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await alertIn(page, '#login-form').filter({ hasText: 'That passkey is not registered to an account here, or it was removed.' }).waitFor(SETTLE);
    await device.context.close();
  });

  it('a user verification the authenticator cannot give is refused: no passkey is added', async () => {
    const device = await openDevice();
    const { page } = device;
    await register(page, uniqueEmail('passkey-no-uv'));
    // The user fails the PIN or biometric check: the browser refuses the ceremony itself.
    await device.cdp.send('WebAuthn.setUserVerified', { authenticatorId: device.authenticatorId, isUserVerified: false });
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await alertIn(page, '#passkey-form').filter({ hasText: 'Adding a passkey was cancelled' }).waitFor(SETTLE);
    expect(await page.locator('#passkeys li[data-factor-id]').count()).toBe(0);
    await device.context.close();
  });
});
