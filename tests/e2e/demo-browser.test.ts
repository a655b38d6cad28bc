/// <reference lib="dom" />
/**
 * The demo account app (on the client package) in real headless Chromium (tests/helpers/chromium.ts), against a gateway of
 * its own whose CORS origins are exactly the demo's origin, on the run's DynamoDB Local.
 *
 * `DEMO_URL=http://localhost:5173 npx vitest run --project e2e tests/e2e/demo-browser.test.ts`
 * runs the same tests against an `npm start` already running (its API from the page's
 * /config.js, its SES emulator on SES_PORT or SES_URL) instead.
 *
 * The demo and the API are both on `localhost` (different ports): one site, two origins, as an
 * app and its auth API usually are. The attacker pages are served from `127.0.0.1` (another site)
 * and from another `localhost` port (same site, so SameSite does not stop the cookie there: the
 * header and origin checks must).
 */
import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../scripts/demo-server';
import { freePort } from '../../scripts/stack';
import { launchChromium } from '../helpers/chromium';
import { alertIn, drawn, expectAccessible, expectNoSidewaysScroll, openDemo, PASSWORD, register, signedInAs, signedOut, signIn, signOut, submitSignIn } from '../helpers/demo-page';
import { uniqueEmail } from '../helpers/deps';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

/** How long a page may take to show an answer: the gateway and DynamoDB Local share a loaded machine (vitest's default is 1 s). */
const SETTLE = { timeout: 30_000 };
const COOKIE = '__Host-refresh_token';

let browser: Browser;
let demoUrl: string;
let apiUrl: string;
let offline: TestGateway | undefined;
let demo: DemoServer | undefined;
const attackers: Server[] = [];
let sesUrl: string;
let crossSiteUrl: string;
let sameSiteUrl: string;

/** Serves one page whose script tries to use the victim's refresh cookie. */
async function attackerServer(host: string, publicHost: string): Promise<string> {
  const port = await freePort();
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><html><body><p>Win a prize!</p></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  attackers.push(server);
  return `http://${publicHost}:${port}`;
}

beforeAll(async () => {
  browser = await launchChromium();
  if (process.env.DEMO_URL) {
    demoUrl = process.env.DEMO_URL.replace(/\/$/, '');
    const config = await (await fetch(`${demoUrl}/config.js`)).text();
    apiUrl = JSON.parse(config.slice(config.indexOf('{'), config.lastIndexOf('}') + 1)).apiUrl;
    sesUrl = process.env.SES_URL ?? `http://127.0.0.1:${process.env.SES_PORT ?? 8005}`;
  } else {
    const demoPort = await freePort();
    offline = await startTestGateway({
      DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
      SIGNING_KEYS_FILE: inject('keysFile'),
      CORS_ALLOWED_ORIGINS: `http://localhost:${demoPort}`,
      SES_ENDPOINT: inject('sesEndpoint'),
      APP_URL: `http://localhost:${demoPort}`,
    });
    sesUrl = inject('sesEndpoint');
    // Same site as the demo (localhost), another origin (port), as an app and its API usually are.
    apiUrl = offline.url.replace('127.0.0.1', 'localhost');
    demo = await startDemoServer({ port: demoPort, apiUrl });
    demoUrl = demo.url;
  }
  crossSiteUrl = await attackerServer('127.0.0.1', '127.0.0.1');
  sameSiteUrl = await attackerServer('127.0.0.1', 'localhost');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(attackers.map((s) => new Promise((resolve) => s.close(resolve))));
  await demo?.stop();
  await offline?.stop();
});

async function refreshCookie(context: BrowserContext) {
  // Listed for every URL: a lookup by URL would depend on which paths the cookie covers.
  return (await context.cookies()).find((c) => c.name === COOKIE && c.domain === new URL(apiUrl).hostname);
}

const open = () => openDemo(browser, demoUrl);
const refresh = (page: Page) => page.evaluate(() => (window as any).demoAuth.refresh() as Promise<boolean>);
const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id);

/** Creates an account through the form; returns its email. */
async function registerThroughForm(page: Page, email = uniqueEmail('browser')) {
  await register(page, email, 'Ada');
  return email;
}

describe('demo account app in Chromium', () => {
  it('signs up (a "check your email" notice), shows the security page, signs out with the forms cleared, signs in again, restores on reload', async () => {
    const { context, page } = await open();
    await expectAccessible(page, 'signed-out screen');
    const email = await registerThroughForm(page);
    // The new screen's heading has the focus; the sign-up asks to check the inbox.
    await expect.poll(() => focusedId(page), SETTLE).toBe('account-title');
    await page.locator('#verify-notice:not([hidden])').filter({ hasText: `Check your email` }).filter({ hasText: email }).waitFor(SETTLE);
    expect(await page.locator('#profile-name').innerText()).toBe('Ada');
    expect(await page.locator('#profile-verified').innerText()).toBe('not verified');
    // Sessions as devices: no raw user agent, no ISO time, no JSON. (A sign-up is no sign-in event.)
    await page.locator('#activity li').filter({ hasText: 'Nothing yet.' }).waitFor(SETTLE);
    await page.locator('#sessions li.current').filter({ hasText: 'Chrome on Linux' }).filter({ hasText: 'this device' }).waitFor(SETTLE);
    const shown = await page.locator('main').innerText();
    expect(shown).not.toMatch(/Mozilla\/5\.0|\d{4}-\d\d-\d\dT|[{}"]/);
    await expectAccessible(page, 'security page');

    await signOut(page);
    expect(await focusedId(page)).toBe('signed-out-title');
    await submitSignIn(page, email, 'a wrong password!');
    await alertIn(page, '#login-form').waitFor(SETTLE);
    await signIn(page, email);
    // A reload restores the session from the cookie alone.
    await page.reload();
    await drawn(page);
    await signedInAs(page, email);
    // Recent activity as sentences with relative times.
    await page.locator('#activity li').filter({ hasText: /^You signed in · Chrome on Linux · just now$/ }).first().waitFor(SETTLE);
    await page.locator('#activity li').filter({ hasText: /^Someone entered a wrong password for your account · Chrome on Linux · just now$/ }).waitFor(SETTLE);
    expect(await page.locator('main').innerText()).not.toMatch(/Mozilla\/5\.0|\d{4}-\d\d-\d\dT|[{}"]/);

    await page.locator('#email-form').getByLabel('New email').fill('typed-before@example.com');
    await signOut(page);
    expect(await refreshCookie(context)).toBeUndefined();
    // Nothing typed before stays in any form after the sign-out.
    const values = await page.evaluate(() => Array.from(document.querySelectorAll('input'), (input) => input.value).filter(Boolean));
    expect(values).toEqual([]);
    expect(await page.locator('#whoami').innerText()).toBe('');
    await page.reload();
    await drawn(page);
    await signedOut(page);
    await context.close();
  });

  it('shows a wrong password as a sentence, never the raw answer, and stays signed out', async () => {
    const { context, page } = await open();
    const email = await registerThroughForm(page);
    await signOut(page);
    await submitSignIn(page, email, 'wrong password!');
    const alert = alertIn(page, '#login-form');
    await alert.waitFor(SETTLE);
    expect(await alert.innerText()).toBe('That email and password do not match an account.');
    expect(await refreshCookie(context)).toBeUndefined();
    await context.close();
  });

  it("shows the API's validation details next to the field (aria-invalid, aria-describedby)", async () => {
    const { context, page } = await open();
    const form = page.locator('#register-form');
    await form.getByLabel('Email').fill(uniqueEmail('short'));
    await form.getByLabel('Password').fill('short');
    await form.getByRole('button', { name: 'Create account' }).click();
    const password = form.getByLabel('Password');
    await expect.poll(() => password.getAttribute('aria-invalid'), SETTLE).toBe('true');
    const describedBy = (await password.getAttribute('aria-describedby'))!.split(' ');
    expect(describedBy).toContain('register-form-password-error');
    expect(await page.locator('#register-form-password-error').innerText()).toMatch(/^Must be 8 to 72 characters long/);
    expect(await alertIn(page, '#register-form').innerText()).toBe('Some fields need another look.');
    // Focus goes to the field to fix; fixing it clears the message.
    expect(await focusedId(page).then(() => page.evaluate(() => (document.activeElement as HTMLInputElement).name))).toBe('password');
    await password.fill(PASSWORD);
    await form.getByRole('button', { name: 'Create account' }).click();
    await page.locator('#account:not([hidden])').waitFor(SETTLE);
    expect(await page.locator('#register-form-password-error').count()).toBe(0);
    await context.close();
  });

  it('fits a 360 px wide phone without sideways scrolling, signed out and signed in', async () => {
    const { context, page } = await open();
    await page.setViewportSize({ width: 360, height: 740 });
    await expectNoSidewaysScroll(page);
    // A long address must wrap, not widen the page.
    await registerThroughForm(page, uniqueEmail('a-rather-long-local-part-for-a-narrow-phone-screen'));
    await page.locator('#sessions li').first().waitFor(SETTLE);
    await expectNoSidewaysScroll(page);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expectNoSidewaysScroll(page);
    await context.close();
  });

  it('changes the password on its own screen: wrong current password, a too short new one, then done; the new one signs in', async () => {
    const { context, page } = await open();
    const email = await registerThroughForm(page);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => focusedId(page), SETTLE).toBe('change-password-title');
    const form = page.locator('#password-form');
    await form.getByLabel('Current password').fill('not my password');
    await form.getByLabel('New password').fill('a brand new passphrase');
    await form.getByRole('button', { name: 'Change password' }).click();
    await alertIn(page, '#password-form').filter({ hasText: 'Your current password is not right.' }).waitFor(SETTLE);
    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByLabel('New password').fill('short');
    await form.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#password-form-newPassword-error').filter({ hasText: 'Must be 8 to 72 characters' }).waitFor(SETTLE);
    expect(await form.getByLabel('New password').getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('New password').fill('a brand new passphrase');
    await form.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#status').filter({ hasText: 'Your password is changed' }).waitFor(SETTLE);
    expect(await page.locator('#account').isVisible()).toBe(true);
    await signOut(page);
    await signIn(page, email, 'a brand new passphrase');
    await context.close();
  });

  it('lists the sessions as devices and signs another one out, whose next refresh then fails', async () => {
    const { context, page } = await open();
    const email = await registerThroughForm(page);
    await expect.poll(() => page.locator('#sessions li').count(), SETTLE).toBe(1);
    expect(await page.locator('#sessions li.current').count()).toBe(1);

    const other = await open();
    await signIn(other.page, email);
    await page.reload();
    await drawn(page);
    await expect.poll(() => page.locator('#sessions li').count(), SETTLE).toBe(2);
    expect(await page.locator('#sessions li.current button.revoke').count()).toBe(0);
    expect(await page.locator('#sessions li:not(.current)').innerText()).toMatch(/^Chrome on Linux\s+Last active (just now|\d+ minutes? ago) · signed in /);
    await page.locator('#sessions li:not(.current) button.revoke').click();
    await expect.poll(() => page.locator('#sessions li').count(), SETTLE).toBe(1);
    expect(await alertIn(page, '#sessions-section').count()).toBe(0);
    // The revoked device can no longer refresh, and its page says so.
    expect(await refresh(other.page)).toBe(false);
    await other.page.locator('#status').filter({ hasText: 'Your session ended' }).waitFor(SETTLE);
    await signedOut(other.page);
    await other.context.close();
    await context.close();
  });

  it('signs the other devices out, then everywhere', async () => {
    const { context, page } = await open();
    const email = await registerThroughForm(page);
    const other = await open();
    await signIn(other.page, email);
    await page.reload();
    await drawn(page);
    await expect.poll(() => page.locator('#sessions li').count(), SETTLE).toBe(2);

    await page.getByRole('button', { name: 'Sign out other devices' }).click();
    await expect.poll(() => page.locator('#sessions li').count(), SETTLE).toBe(1);
    expect(await refresh(other.page)).toBe(false);
    expect(await refresh(page)).toBe(true);
    expect(await refreshCookie(context)).toBeDefined();

    const third = await open();
    await signIn(third.page, email);
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await signedOut(page);
    expect(await refreshCookie(context)).toBeUndefined();
    expect(await refresh(third.page)).toBe(false);
    await Promise.all([other.context.close(), third.context.close(), context.close()]);
  });

  it('never lets JavaScript read the refresh token: not in document.cookie, storage or any response body', async () => {
    const { context, page } = await open();
    const bodies: string[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(apiUrl) && response.request().method() !== 'OPTIONS') void response.text().then((t) => bodies.push(t), () => undefined);
    });
    await registerThroughForm(page);
    await refresh(page);
    const cookie = await refreshCookie(context);
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(cookie!.value).toMatch(/^[\w-]{22}\.[\w-]{43}$/);
    const visible = await page.evaluate(() => ({
      cookie: document.cookie,
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
    }));
    for (const place of Object.values(visible)) expect(place).not.toContain(cookie!.value);
    expect(visible.cookie).not.toContain(COOKIE);
    // The API's own answers never carry it in a body either (cookie mode).
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    for (const body of bodies) expect(body).not.toContain(cookie!.value.split('.')[1]);
    await context.close();
  });

  it('keeps one refresh in flight at a time, whoever asks for one', async () => {
    const { context, page } = await open();
    await registerThroughForm(page);
    let refreshes = 0;
    page.on('request', (request) => {
      if (request.url() === `${apiUrl}/auth/refresh` && request.method() === 'POST') refreshes += 1;
    });
    const results = await page.evaluate(() => {
      const auth = (window as any).demoAuth;
      return Promise.all([auth.refresh(), auth.refresh(), auth.account.me().then(() => true), auth.refresh(), auth.refresh()]);
    });
    expect(results).toEqual([true, true, true, true, true]);
    expect(refreshes).toBe(1);
    await context.close();
  });

  it('refreshes silently before the access token expires, rotating the cookie', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The page's clock is the test's: moved on past the refresh point instead of waiting 14 minutes.
    await page.clock.install();
    await page.goto(demoUrl);
    await drawn(page);
    await registerThroughForm(page);
    const before = (await refreshCookie(context))!.value;
    const silent = page.waitForRequest((r) => r.url() === `${apiUrl}/auth/refresh` && r.method() === 'POST', SETTLE);
    // Access tokens live 15 minutes; the client refreshes 60 s before expiry.
    await page.clock.fastForward('14:30');
    const request = await silent;
    expect(request.headers()['x-auth-transport']).toBe('cookie');
    expect((await request.response())?.status()).toBe(200);
    await expect.poll(async () => (await refreshCookie(context))?.value, SETTLE).not.toBe(before);
    expect(await page.evaluate(() => (window as any).demoAuth.signedIn())).toBe(true);
    await context.close();
  });

  it('a cross-site page cannot refresh with the victim cookie (CORS refuses it, SameSite withholds the cookie)', async () => {
    const { context, page } = await open();
    await registerThroughForm(page);
    const before = (await refreshCookie(context))!.value;
    const attacker = await context.newPage();
    await attacker.goto(crossSiteUrl);
    const outcome = await attacker.evaluate(async (api) => {
      try {
        const answer = await fetch(`${api}/auth/refresh`, { method: 'POST', credentials: 'include', headers: { 'X-Auth-Transport': 'cookie' } });
        return `read ${answer.status}: ${await answer.text()}`;
      } catch (err) {
        return `blocked: ${(err as Error).name}`;
      }
    }, apiUrl);
    expect(outcome).toBe('blocked: TypeError');
    await attacker.evaluate((api) => fetch(`${api}/auth/refresh`, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' }).catch(() => undefined), apiUrl);
    expect((await refreshCookie(context))!.value).toBe(before);
    expect(await refresh(page)).toBe(true);
    await context.close();
  });

  it('a same-site page on another origin cannot refresh or log the victim out, though the browser sends the cookie', async () => {
    const { context, page } = await open();
    await registerThroughForm(page);
    const before = (await refreshCookie(context))!.value;
    const attacker = await context.newPage();
    await attacker.goto(sameSiteUrl);
    const outcome = await attacker.evaluate(async (api) => {
      try {
        await fetch(`${api}/auth/refresh`, { method: 'POST', credentials: 'include', headers: { 'X-Auth-Transport': 'cookie' } });
        return 'sent';
      } catch (err) {
        return `blocked: ${(err as Error).name}`;
      }
    }, apiUrl);
    expect(outcome).toBe('blocked: TypeError');
    // Requests that need no preflight: the cookie goes along, the missing header gets them refused.
    await attacker.evaluate(async (api) => {
      await fetch(`${api}/auth/refresh`, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{}' }).catch(() => undefined);
      const form = Object.assign(document.createElement('form'), { method: 'POST', action: `${api}/auth/logout`, enctype: 'text/plain' });
      document.body.append(form);
      form.submit();
    }, apiUrl);
    await attacker.waitForURL(`${apiUrl}/auth/logout`);
    expect(await attacker.locator('body').innerText()).toContain('csrf_rejected');
    expect((await refreshCookie(context))!.value).toBe(before);
    expect(await refresh(page)).toBe(true);
    await context.close();
  });

  it('sign-out clears the cookie, and the old token no longer refreshes', async () => {
    const { context, page } = await open();
    await registerThroughForm(page);
    const token = (await refreshCookie(context))!.value;
    await signOut(page);
    expect(await refreshCookie(context)).toBeUndefined();
    // Put the old token back by hand: the session behind it is revoked.
    await context.addCookies([{ name: COOKIE, value: token, domain: new URL(apiUrl).hostname, path: '/', httpOnly: true, secure: true, sameSite: 'Strict' }]);
    expect((await refreshCookie(context))?.value).toBe(token);
    expect(await refresh(page)).toBe(false);
    await context.close();
  });
});

describe('demo pages the emails link to', () => {
  /** The newest email to `to` whose text holds a link to `page`, and that link. */
  async function emailedLink(to: string, page: 'verify-email' | 'reset-password' | 'confirm-email'): Promise<string> {
    const pattern = new RegExp(`https?://[^\\s"<>]+/${page}\\?token=[^\\s"<>]+`);
    let link: string | undefined;
    await expect
      .poll(async () => {
        const store = (await (await fetch(`${sesUrl}/store`)).json()) as { emails: Array<{ destination: { to: string[] }; body: { text?: string } }> };
        const mine = store.emails.filter((e) => e.destination.to.includes(to) && pattern.test(e.body.text ?? ''));
        link = mine.at(-1)?.body.text?.match(pattern)?.[0];
        return link;
      }, { timeout: 30_000 })
      .toBeDefined();
    return link!;
  }

  async function me(page: Page) {
    return page.evaluate(() => (window as any).demoAuth.account.me());
  }

  it('verify-email: the emailed link opens the demo page, opening it changes nothing, the button verifies', async () => {
    const { context, page } = await open();
    const email = await registerThroughForm(page);
    const link = await emailedLink(email, 'verify-email');
    expect(link.startsWith(`${demoUrl}/verify-email?token=`)).toBe(true);

    const linkPage = await context.newPage();
    await linkPage.goto(link);
    await linkPage.locator('button[type=submit]').waitFor(SETTLE);
    // The token left the address bar, and opening the page verified nothing.
    expect(linkPage.url()).toBe(`${demoUrl}/verify-email`);
    expect((await me(page)).emailVerified).toBe(false);

    await linkPage.locator('button[type=submit]').click();
    await linkPage.locator('#result[data-outcome=ok]').waitFor(SETTLE);
    expect(await linkPage.locator('#result').innerText()).toContain(`${email} is verified`);
    await expectAccessible(linkPage, 'verify-email page');
    expect((await me(page)).emailVerified).toBe(true);

    // A second use of the same link is refused with a clear message.
    await linkPage.goto(link);
    await linkPage.locator('button[type=submit]').click();
    await alertIn(linkPage, '#token-form').filter({ hasText: 'This link is invalid, expired or already used.' }).waitFor(SETTLE);
    expect(await linkPage.locator('#result').getAttribute('data-outcome')).toBe('failed');
    await context.close();
  });

  it('reset-password: forgot form, emailed link, opening changes nothing, the new password signs in and old sessions end', async () => {
    const { context, page } = await open();
    const email = await registerThroughForm(page);
    const other = await open();
    const form = other.page.locator('#forgot-form');
    await form.getByLabel('Email').fill(email);
    await form.getByRole('button', { name: 'Send a reset link' }).click();
    await other.page.locator('#status').filter({ hasText: 'reset link is on its way' }).waitFor(SETTLE);
    const link = await emailedLink(email, 'reset-password');
    expect(link.startsWith(`${demoUrl}/reset-password?token=`)).toBe(true);

    await other.page.goto(link);
    await other.page.locator('input[name=newPassword]').waitFor(SETTLE);
    expect(other.page.url()).toBe(`${demoUrl}/reset-password`);
    // Opening the link revoked nothing: the first browser still refreshes.
    expect(await refresh(page)).toBe(true);

    await other.page.locator('input[name=newPassword]').fill('a brand new passphrase');
    await other.page.locator('button[type=submit]').click();
    await other.page.locator('#result[data-outcome=ok]').waitFor(SETTLE);
    // Every session was revoked by the reset.
    expect(await refresh(page)).toBe(false);

    await other.page.goto(demoUrl);
    await drawn(other.page);
    await signedOut(other.page);
    await signIn(other.page, email, 'a brand new passphrase');
    await other.context.close();
    await context.close();
  });

  it('confirm-email: the security page asks for a new address, the emailed link moves the account to it', async () => {
    const { context, page } = await open();
    await registerThroughForm(page);
    const newEmail = uniqueEmail('moved');
    const form = page.locator('#email-form');
    await form.getByLabel('New email').fill(newEmail);
    await form.getByRole('button', { name: 'Send a confirmation link' }).click();
    // A fresh sign-up passes the step-up; on a slow machine the prompt may come first.
    const dialog = page.locator('#step-up[open]');
    const sent = page.locator('#status').filter({ hasText: `Check ${newEmail}` });
    await Promise.race([sent.waitFor(SETTLE), dialog.waitFor(SETTLE)]);
    if (await dialog.isVisible()) {
      await dialog.getByLabel('Password').fill(PASSWORD);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
    }
    await sent.waitFor(SETTLE);
    const link = await emailedLink(newEmail, 'confirm-email');
    const linkPage = await context.newPage();
    await linkPage.goto(link);
    await linkPage.getByRole('button', { name: 'Confirm my new email' }).click();
    await linkPage.locator('#result[data-outcome=ok]').filter({ hasText: newEmail }).waitFor(SETTLE);
    await page.reload();
    await drawn(page);
    await signedInAs(page, newEmail);
    await context.close();
  });
});
