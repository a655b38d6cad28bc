/// <reference lib="dom" />
/**
 * Second factors through the demo app in real headless Chromium (tests/helpers/chromium.ts), on a
 * gateway of this file's own whose CORS origin is the demo's and whose step-up age is the
 * shortest allowed (30 s), so the step-up prompt can be reached by waiting.
 *
 * Codes are computed as an authenticator app would, from the key the page shows, with the same
 * RFC 6238 code the server checks with (lib/mfa/totp.ts on `otpauth`). The server accepts each
 * time step once per factor, so {@link codeSource} never hands out a step at or below one already
 * used, and never one beyond the ±1 window: it waits for the clock instead.
 */
import { Secret } from 'otpauth';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode, totpStep } from '../../lib/mfa/totp';
import { startDemoServer, type DemoServer } from '../../scripts/demo-server';
import { freePort } from '../../scripts/stack';
import { launchChromium } from '../helpers/chromium';
import { uniqueEmail } from '../helpers/deps';
import { alertIn, expectAccessible, openDemo, PASSWORD, register, signedInAs, signIn, signOut, submitSignIn } from '../helpers/demo-page';
import { startFileGateway, type TestGateway } from '../helpers/gateway';

const STEP_UP_MAX_AGE_SECONDS = 30;
/** Generous for a loaded 2-core machine: each wait ends as soon as the page gets there. */
const WAIT = { timeout: 60_000 };

let browser: Browser;
let offline: TestGateway;
let demo: DemoServer;

beforeAll(async () => {
  browser = await launchChromium();
  const demoPort = await freePort();
  offline = await startFileGateway({
    CORS_ALLOWED_ORIGINS: `http://localhost:${demoPort}`,
    APP_URL: `http://localhost:${demoPort}`,
    STEP_UP_MAX_AGE_SECONDS: String(STEP_UP_MAX_AGE_SECONDS),
  });
  // Same site as the demo (localhost), another origin (port), as in tests/e2e/demo-browser.test.ts.
  demo = await startDemoServer({ port: demoPort, apiUrl: offline.url.replace('127.0.0.1', 'localhost') });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  await offline?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Codes of one factor, each of a later time step than the one before: the current step when it is
 * new, else the next one (inside the window), else it waits for the clock to move on.
 */
function codeSource(base32: string) {
  const secret = Buffer.from(Secret.fromBase32(base32).bytes);
  let last = -Infinity;
  return async (): Promise<string> => {
    for (;;) {
      const current = totpStep(new Date());
      const step = Math.max(last + 1, current);
      if (step <= current + 1) {
        last = step;
        return totpCode(secret, step);
      }
      await sleep(1000);
    }
  };
}

type Codes = ReturnType<typeof codeSource>;

async function openPage(): Promise<Page> {
  return (await openDemo(browser, demo.url)).page;
}

async function registerNew(page: Page): Promise<string> {
  const email = uniqueEmail('mfa-browser');
  await register(page, email);
  return email;
}

/** Answers the step-up prompt: password, and a code when the prompt asks for one. */
async function answerStepUp(page: Page, codes: Codes | undefined) {
  const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
  await dialog.getByLabel('Password').fill(PASSWORD);
  const code = dialog.getByLabel('Code from your authenticator app');
  if (await code.isVisible()) {
    if (!codes) throw new Error('the prompt asked for a code before any factor was enrolled');
    await code.fill(await codes());
  }
  await dialog.getByRole('button', { name: 'Confirm' }).click();
}

/**
 * Clicks a sensitive operation's button and waits for `done`. On a loaded machine a session can
 * pass the step-up age before the click: then the prompt comes first and is answered.
 */
async function sensitive(page: Page, button: Locator, done: Locator, codes?: Codes) {
  await button.click();
  const dialog = page.locator('#step-up[open]');
  await Promise.race([done.waitFor(WAIT), dialog.waitFor(WAIT)]);
  if (await dialog.isVisible()) {
    await answerStepUp(page, codes);
  }
  await done.waitFor(WAIT);
}

/** Enrols an authenticator app from the page; returns the code source and the recovery codes shown. */
async function enrol(page: Page): Promise<{ codes: Codes; recoveryCodes: string[] }> {
  await sensitive(page, page.getByRole('button', { name: 'Set up an authenticator app' }), page.locator('#mfa-enrolment:not([hidden])'));
  await expectAccessible(page, 'security page, enrolling an authenticator app');
  // The QR code is drawn on the page, from the same key URI the page shows.
  const qr = page.getByRole('img', { name: /QR code of the authenticator key/ });
  await qr.waitFor(WAIT);
  expect(await qr.locator('path').getAttribute('d')).toMatch(/^M\d+ \d+h1v1h-1z/);
  const secret = (await page.locator('#mfa-secret').innerText()).trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  expect(await page.locator('#mfa-uri').textContent()).toContain(`secret=${secret}`);
  const codes = codeSource(secret);
  await page.getByLabel('Code from the app').fill(await codes());
  await page.locator('#mfa-confirm-form').getByRole('button', { name: 'Confirm' }).click();
  const shown = page.locator('#mfa-codes:not([hidden]) #mfa-code-list li');
  await shown.first().waitFor(WAIT);
  const recoveryCodes = await shown.allInnerTexts();
  expect(recoveryCodes).toHaveLength(10);
  await page.locator('#mfa-factors li[data-factor-id]').first().waitFor(WAIT);
  await expectAccessible(page, 'security page, recovery codes shown');
  // Shown once: done with them, they leave the page.
  await page.getByRole('button', { name: 'I have stored them' }).click();
  await expect.poll(() => page.locator('#mfa-code-list li').count(), WAIT).toBe(0);
  expect(await page.locator('#mfa-secret').textContent()).toBe('');
  return { codes, recoveryCodes };
}

describe('second factors in the demo app (Chromium)', () => {
  it('enrol with the QR page, sign out, sign in with a code, then with a recovery code, regenerate the codes, remove the factor', async () => {
    const page = await openPage();
    // The page loads nothing from another origin: the QR library comes from the demo server.
    const foreign: string[] = [];
    page.on('request', (request) => {
      const origin = new URL(request.url()).origin;
      if (origin !== demo.url && origin !== offline.url.replace('127.0.0.1', 'localhost')) foreign.push(request.url());
    });
    const email = await registerNew(page);
    const { codes, recoveryCodes } = await enrol(page);
    await signOut(page);

    // The password alone now leads to the second step, whose code completes the sign-in.
    await submitSignIn(page, email);
    const verify = page.getByRole('form', { name: 'Second factor' });
    await verify.waitFor(WAIT);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('name')), WAIT).toBe('code');
    await expectAccessible(page, 'second-factor screen');
    // A wrong code is refused in place, with a sentence.
    await verify.getByLabel('Code from your authenticator app').fill('000000');
    await verify.getByRole('button', { name: 'Continue' }).click();
    await alertIn(page, '#mfa-verify-form').filter({ hasText: 'That code is not right' }).waitFor(WAIT);
    await verify.getByLabel('Code from your authenticator app').fill(await codes());
    await verify.getByRole('button', { name: 'Continue' }).click();
    await signedInAs(page, email);
    await signOut(page);

    // A recovery code instead (typed with the keyboard, submitted with Enter).
    await submitSignIn(page, email);
    await verify.waitFor(WAIT);
    await verify.getByLabel('Or a recovery code').fill(recoveryCodes[0]!);
    await verify.getByLabel('Or a recovery code').press('Enter');
    await signedInAs(page, email);

    // New recovery codes replace the old set.
    await page.locator('#mfa-regenerate:not([hidden])').waitFor(WAIT);
    await sensitive(page, page.getByRole('button', { name: 'New recovery codes' }), page.locator('#mfa-codes:not([hidden]) #mfa-code-list li').first(), codes);
    const fresh = await page.locator('#mfa-code-list li').allInnerTexts();
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => recoveryCodes.includes(code))).toEqual([]);
    await page.getByRole('button', { name: 'I have stored them' }).click();

    // Remove the factor; the password alone signs in again.
    await sensitive(page, page.getByRole('button', { name: 'Remove Authenticator app' }), page.locator('#mfa-factors li', { hasText: 'Not set up' }), codes);
    await expect.poll(() => page.locator('#mfa-regenerate').isHidden(), WAIT).toBe(true);
    await signOut(page);
    await signIn(page, email);
    expect(foreign).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('asks for the password and a code when a sensitive operation needs a fresh sign-in, then completes it', async () => {
    const page = await openPage();
    await registerNew(page);
    const { codes, recoveryCodes } = await enrol(page);
    // The confirmation stamped the session's auth_time; wait until it is past the step-up age.
    await sleep((STEP_UP_MAX_AGE_SECONDS + 3) * 1000);

    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await page.getByRole('button', { name: 'New recovery codes' }).click();
    await dialog.waitFor(WAIT);
    // The account has a factor: the prompt asks for a code too, focus on the password.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('name')), WAIT).toBe('password');
    expect(await dialog.getByLabel('Code from your authenticator app').isVisible()).toBe(true);
    await expectAccessible(page, 'step-up dialog');
    // The keyboard stays in the dialog: Tab from its last control comes back to its first, Shift+Tab the other way.
    await dialog.getByRole('button', { name: 'Cancel' }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('password');
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    // Escape cancels: nothing changes, the refusal is shown, focus is back on the button.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', ...WAIT });
    await alertIn(page, '#mfa').filter({ hasText: 'This needs you to confirm it is you first. Nothing was changed.' }).waitFor(WAIT);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('mfa-regenerate');
    expect(await page.locator('#mfa-code-list li').count()).toBe(0);

    // Again, answered this time: the operation is retried after the reauthentication.
    await page.getByRole('button', { name: 'New recovery codes' }).click();
    await dialog.waitFor(WAIT);
    // A wrong password is refused inside the prompt, which stays open.
    await dialog.getByLabel('Password').fill('not the password');
    await dialog.getByLabel('Code from your authenticator app').fill('000000');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await alertIn(page, '#step-up-form').filter({ hasText: /^That password( or code)? is not right\.$/ }).waitFor(WAIT);
    await answerStepUp(page, codes);
    await dialog.waitFor({ state: 'hidden', ...WAIT });
    const shown = page.locator('#mfa-codes:not([hidden]) #mfa-code-list li');
    await shown.first().waitFor(WAIT);
    const fresh = await shown.allInnerTexts();
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => recoveryCodes.includes(code))).toEqual([]);
    await page.context().close();
  }, 300_000);
});
