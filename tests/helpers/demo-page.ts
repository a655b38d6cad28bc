/// <reference lib="dom" />
/**
 * Driving the demo account app (demo/) in Chromium: its screens, its forms, and an axe-core check
 * of what a screen shows. Each wait polls until the page gets there, with a generous timeout: the
 * gateway, DynamoDB Local and the browser share a loaded machine.
 */
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';

export const PASSWORD = 'correct horse battery';
/** How long a page may take to show an answer on a loaded machine (vitest's and playwright's defaults are too short or too long to read). */
export const WAIT = { timeout: 60_000 };

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** A fresh browser profile on the demo page, once it is drawn (signed out, or restored). */
export async function openDemo(browser: Browser, demoUrl: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(demoUrl);
  await drawn(page);
  return { context, page };
}

/** Waits until the page finished loading (its session restored or not). */
export async function drawn(page: Page) {
  await page.waitForFunction(() => (window as any).demoApp?.ready && document.querySelector('.screen:not([hidden])'), undefined, WAIT);
  await page.evaluate(() => (window as any).demoApp.ready);
}

/** Waits for the security page of `email`. */
export async function signedInAs(page: Page, email: string) {
  await page.locator('#account:not([hidden]) #profile-email').filter({ hasText: email }).waitFor(WAIT);
  await page.locator('#whoami').filter({ hasText: `Signed in as ${email}` }).waitFor(WAIT);
}

/** Waits for the signed-out screen. */
export async function signedOut(page: Page) {
  await page.locator('#signed-out:not([hidden])').waitFor(WAIT);
}

export async function register(page: Page, email: string, name?: string) {
  const form = page.locator('#register-form');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(PASSWORD);
  if (name) await form.getByLabel('Name (optional)').fill(name);
  await form.getByRole('button', { name: 'Create account' }).click();
  await signedInAs(page, email);
}

/** Fills the sign-in form and submits it; the caller waits for what should follow. */
export async function submitSignIn(page: Page, email: string, password = PASSWORD) {
  const form = page.locator('#login-form');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in', exact: true }).click();
}

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await submitSignIn(page, email, password);
  await signedInAs(page, email);
}

export async function signOut(page: Page) {
  await page.locator('header').getByRole('button', { name: 'Sign out' }).click();
  await signedOut(page);
}

/** The alert of a form or a section (errors are shown where the action was). */
export const alertIn = (page: Page, container: string) => page.locator(`${container} > .form-error:not([hidden])`);

/**
 * Runs axe-core (from node_modules) on what the page shows and fails on any serious or critical
 * violation. The script is added from the page's own origin (a route serves the file), so the
 * demo's Content-Security-Policy (`script-src 'self'`) stays in force during the check.
 */
export async function expectAccessible(page: Page, screen: string) {
  const url = new URL('/__axe-core.js', page.url()).href;
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.route(url, (route) => route.fulfill({ path: AXE_SOURCE, contentType: 'text/javascript; charset=utf-8' }));
    await page.addScriptTag({ url });
  }
  const violations = await page.evaluate(async () => {
    const results = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return (results.violations as Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }>)
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  expect(violations, `axe on the ${screen}`).toEqual([]);
}

/** No sideways scroll at phone width (360 px): the page fits the viewport. */
export async function expectNoSidewaysScroll(page: Page) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
}
