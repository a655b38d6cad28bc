/// <reference lib="dom" />
/**
 * The demo web app in real headless Chromium (tests/helpers/chromium.ts), against a gateway of
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
import { uniqueEmail } from '../helpers/deps';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

const PASSWORD = 'correct horse battery';
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

/** A fresh browser profile on the demo page, signed out. */
async function openDemo(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(demoUrl);
  await page.locator('#status').filter({ hasText: /Signed out|Signed in/ }).waitFor();
  return { context, page };
}

async function registerThroughForm(page: Page, email = uniqueEmail('browser')) {
  const form = page.locator('#register-form');
  await form.locator('input[name=email]').fill(email);
  await form.locator('input[name=password]').fill(PASSWORD);
  await form.locator('input[name=name]').fill('Ada');
  await form.locator('button[type=submit]').click();
  await page.locator('#status').filter({ hasText: `Signed in as ${email}` }).waitFor();
  return email;
}

async function loginThroughForm(page: Page, email: string) {
  const form = page.locator('#login-form');
  await form.locator('input[name=email]').fill(email);
  await form.locator('input[name=password]').fill(PASSWORD);
  await form.locator('button[type=submit]').click();
  await page.locator('#status').filter({ hasText: `Signed in as ${email}` }).waitFor();
}

describe('demo app in Chromium', () => {
  it('runs the whole flow: register, me, log in again, reload, logout', async () => {
    const { context, page } = await openDemo();
    const email = await registerThroughForm(page);
    expect(JSON.parse(await page.locator('#me').innerText())).toMatchObject({ email, name: 'Ada', emailVerified: false });
    await page.locator('#logout').click();
    await page.locator('#status').filter({ hasText: 'Signed out' }).waitFor();

    await loginThroughForm(page, email);
    expect(JSON.parse(await page.locator('#me').innerText())).toMatchObject({ email });
    // A reload restores the session from the cookie alone.
    await page.reload();
    await page.locator('#status').filter({ hasText: `Signed in as ${email}` }).waitFor();

    await page.locator('#logout').click();
    await page.locator('#status').filter({ hasText: 'Signed out' }).waitFor();
    expect(await refreshCookie(context)).toBeUndefined();
    await page.reload();
    await page.locator('#status').filter({ hasText: 'Signed out' }).waitFor();
    await context.close();
  });

  it('lists the sessions and revokes another device, whose next refresh then fails', async () => {
    const { context, page } = await openDemo();
    const email = await registerThroughForm(page);
    await expect.poll(() => page.locator('#sessions li').count(), SETTLE).toBe(1);
    expect(await page.locator('#sessions li.current').count()).toBe(1);

    const other = await openDemo();
    await loginThroughForm(other.page, email);
    await page.locator('#refresh-me').click();
    await expect.poll(() => page.locator('#sessions li').count(), SETTLE).toBe(2);
    expect(await page.locator('#sessions li.current button.revoke').count()).toBe(0);
    await page.locator('#sessions li:not(.current) button.revoke').click();
    await expect.poll(() => page.locator('#sessions li').count(), SETTLE).toBe(1);
    expect(await page.locator('#error').isHidden()).toBe(true);
    // The revoked device can no longer refresh, and its page says so.
    expect(await other.page.evaluate(() => (window as any).demoAuth.refresh())).toBe(false);
    await other.page.locator('#status').filter({ hasText: 'Your session ended' }).waitFor();
    await other.context.close();
    await context.close();
  });

  it('logs out the other devices, then everywhere', async () => {
    const { context, page } = await openDemo();
    const email = await registerThroughForm(page);
    const other = await openDemo();
    await loginThroughForm(other.page, email);
    await page.locator('#refresh-me').click();
    await expect.poll(() => page.locator('#sessions li').count(), SETTLE).toBe(2);

    await page.locator('#logout-others').click();
    await expect.poll(() => page.locator('#sessions li').count(), SETTLE).toBe(1);
    expect(await other.page.evaluate(() => (window as any).demoAuth.refresh())).toBe(false);
    expect(await page.evaluate(() => (window as any).demoAuth.refresh())).toBe(true);
    expect(await refreshCookie(context)).toBeDefined();

    const third = await openDemo();
    await loginThroughForm(third.page, email);
    await page.locator('#logout-global').click();
    await page.locator('#status').filter({ hasText: 'Signed out' }).waitFor();
    expect(await refreshCookie(context)).toBeUndefined();
    expect(await third.page.evaluate(() => (window as any).demoAuth.refresh())).toBe(false);
    await Promise.all([other.context.close(), third.context.close(), context.close()]);
  });

  it('shows a wrong password as the API error and stays signed out', async () => {
    const { context, page } = await openDemo();
    const email = await registerThroughForm(page);
    await page.locator('#logout').click();
    await page.locator('#status').filter({ hasText: 'Signed out' }).waitFor();
    const form = page.locator('#login-form');
    await form.locator('input[name=email]').fill(email);
    await form.locator('input[name=password]').fill('wrong password!');
    await form.locator('button[type=submit]').click();
    await page.locator('#error').filter({ hasText: 'invalid_credentials' }).waitFor();
    expect(await refreshCookie(context)).toBeUndefined();
    await context.close();
  });

  it('never lets JavaScript read the refresh token: not in document.cookie, storage or any response body', async () => {
    const { context, page } = await openDemo();
    const bodies: string[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(apiUrl) && response.request().method() !== 'OPTIONS') void response.text().then((t) => bodies.push(t), () => undefined);
    });
    await registerThroughForm(page);
    await page.evaluate(() => (window as any).demoAuth.refresh());
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
    const { context, page } = await openDemo();
    await registerThroughForm(page);
    let refreshes = 0;
    page.on('request', (request) => {
      if (request.url() === `${apiUrl}/auth/refresh` && request.method() === 'POST') refreshes += 1;
    });
    const results = await page.evaluate(() => {
      const auth = (window as any).demoAuth;
      return Promise.all([auth.refresh(), auth.refresh(), auth.authed('/auth/me').then((a: any) => a.ok), auth.refresh(), auth.refresh()]);
    });
    expect(results).toEqual([true, true, true, true, true]);
    expect(refreshes).toBe(1);
    await context.close();
  });

  it('refreshes silently before the access token expires, rotating the cookie', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // This page refreshes 5 s after each new access token instead of a minute before its expiry.
    await page.route(`${demoUrl}/config.js`, (route) =>
      route.fulfill({ contentType: 'text/javascript', body: `window.DEMO_CONFIG = ${JSON.stringify({ apiUrl, refreshMarginSeconds: 895 })};` }),
    );
    await page.goto(demoUrl);
    await page.locator('#status').filter({ hasText: 'Signed out' }).waitFor();
    await registerThroughForm(page);
    const before = (await refreshCookie(context))!.value;
    const silent = await page.waitForRequest((r) => r.url() === `${apiUrl}/auth/refresh` && r.method() === 'POST', { timeout: 30_000 });
    expect(silent.headers()['x-auth-transport']).toBe('cookie');
    expect((await silent.response())?.status()).toBe(200);
    await expect.poll(async () => (await refreshCookie(context))?.value, SETTLE).not.toBe(before);
    expect(await page.evaluate(() => (window as any).demoAuth.signedIn())).toBe(true);
    await context.close();
  });

  it('a cross-site page cannot refresh with the victim cookie (CORS refuses it, SameSite withholds the cookie)', async () => {
    const { context, page } = await openDemo();
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
    expect(await page.evaluate(() => (window as any).demoAuth.refresh())).toBe(true);
    await context.close();
  });

  it('a same-site page on another origin cannot refresh or log the victim out, though the browser sends the cookie', async () => {
    const { context, page } = await openDemo();
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
    expect(await page.evaluate(() => (window as any).demoAuth.refresh())).toBe(true);
    await context.close();
  });

  it('logout clears the cookie, and the old token no longer refreshes', async () => {
    const { context, page } = await openDemo();
    await registerThroughForm(page);
    const token = (await refreshCookie(context))!.value;
    await page.locator('#logout').click();
    await page.locator('#status').filter({ hasText: 'Signed out' }).waitFor();
    expect(await refreshCookie(context)).toBeUndefined();
    // Put the old token back by hand: the session behind it is revoked.
    await context.addCookies([{ name: COOKIE, value: token, domain: new URL(apiUrl).hostname, path: '/', httpOnly: true, secure: true, sameSite: 'Strict' }]);
    expect((await refreshCookie(context))?.value).toBe(token);
    expect(await page.evaluate(() => (window as any).demoAuth.refresh())).toBe(false);
    await context.close();
  });
});

describe('demo pages the emails link to', () => {
  /** The newest email to `to` whose text holds a link to `page`, and that link. */
  async function emailedLink(to: string, page: 'verify-email' | 'reset-password'): Promise<string> {
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
    return page.evaluate(() => (window as any).demoAuth.authed('/auth/me').then((a: any) => a.body));
  }

  it('verify-email: the emailed link opens the demo page, opening it changes nothing, the button verifies', async () => {
    const { context, page } = await openDemo();
    const email = await registerThroughForm(page);
    const link = await emailedLink(email, 'verify-email');
    expect(link.startsWith(`${demoUrl}/verify-email?token=`)).toBe(true);

    const linkPage = await context.newPage();
    await linkPage.goto(link);
    await linkPage.locator('button[type=submit]').waitFor();
    // The token left the address bar, and opening the page verified nothing.
    expect(linkPage.url()).toBe(`${demoUrl}/verify-email`);
    expect((await me(page)).emailVerified).toBe(false);

    await linkPage.locator('button[type=submit]').click();
    await linkPage.locator('#result[data-outcome=ok]').waitFor();
    expect(await linkPage.locator('#result').innerText()).toContain(`${email} is verified`);
    expect((await me(page)).emailVerified).toBe(true);

    // A second use of the same link is refused with a clear message.
    await linkPage.goto(link);
    await linkPage.locator('button[type=submit]').click();
    await linkPage.locator('#result[data-outcome=failed]').waitFor();
    expect(await linkPage.locator('#result').innerText()).toContain('invalid, expired or already used');
    await context.close();
  });

  it('reset-password: forgot form, emailed link, opening changes nothing, the new password signs in and old sessions end', async () => {
    const { context, page } = await openDemo();
    const email = await registerThroughForm(page);
    const other = await openDemo();
    const form = other.page.locator('#forgot-form');
    await form.locator('input[name=email]').fill(email);
    await form.locator('button[type=submit]').click();
    await other.page.locator('#status').filter({ hasText: 'reset link is on its way' }).waitFor();
    const link = await emailedLink(email, 'reset-password');
    expect(link.startsWith(`${demoUrl}/reset-password?token=`)).toBe(true);

    await other.page.goto(link);
    await other.page.locator('input[name=newPassword]').waitFor();
    expect(other.page.url()).toBe(`${demoUrl}/reset-password`);
    // Opening the link revoked nothing: the first browser still refreshes.
    expect(await page.evaluate(() => (window as any).demoAuth.refresh())).toBe(true);

    await other.page.locator('input[name=newPassword]').fill('a brand new passphrase');
    await other.page.locator('button[type=submit]').click();
    await other.page.locator('#result[data-outcome=ok]').waitFor();
    // Every session was revoked by the reset.
    expect(await page.evaluate(() => (window as any).demoAuth.refresh())).toBe(false);

    await other.page.goto(demoUrl);
    await other.page.locator('#status').filter({ hasText: 'Signed out' }).waitFor();
    const login = other.page.locator('#login-form');
    await login.locator('input[name=email]').fill(email);
    await login.locator('input[name=password]').fill('a brand new passphrase');
    await login.locator('button[type=submit]').click();
    await other.page.locator('#status').filter({ hasText: `Signed in as ${email}` }).waitFor();
    await other.context.close();
    await context.close();
  });
});
