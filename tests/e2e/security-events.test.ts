/**
 * GET /auth/events over HTTP: a user's security activity, each event with where it came from, and
 * nobody else's. The grace window is short on this file's gateway, so a reuse can be detected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { startFileGateway, type TestGateway } from '../helpers/gateway';
import { bearer, call } from '../helpers/http';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';
const GRACE_SECONDS = 1;
let offline: TestGateway | undefined;

beforeAll(async () => {
  offline = await startFileGateway({
    REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS),
  });
}, 120_000);

afterAll(async () => {
  await offline?.stop();
});

const send = (method: string, route: string, options: { json?: unknown; token?: string; agent?: string } = {}) =>
  call(method, route, {
    json: options.json,
    headers: { ...(options.token ? bearer(options.token) : {}), 'user-agent': options.agent ?? 'events-test/1.0' },
    base: offline!.url,
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /auth/events', () => {
  it('lists a login, a failed login, a password change, a reuse detection, a session revoke and a logout, newest first, with IP and user agent', async () => {
    const email = uniqueEmail('events');
    const registered = await send('POST', '/auth/register', { json: { email, password: PASSWORD } });
    expect(registered.status).toBe(201);
    const phone = await send('POST', '/auth/login', { json: { email, password: PASSWORD }, agent: 'phone-app/2.1' });
    expect(phone.status).toBe(200);
    expect((await send('POST', '/auth/login', { json: { email, password: 'not the password' }, agent: 'guesser/0.1' })).status).toBe(401);
    // A refresh token used, then replayed after the grace window: reuse detected.
    const laptop = await send('POST', '/auth/login', { json: { email, password: PASSWORD }, agent: 'laptop/3.0' });
    expect((await send('POST', '/auth/refresh', { json: { refreshToken: laptop.body.refreshToken }, agent: 'laptop/3.0' })).status).toBe(200);
    await sleep((GRACE_SECONDS + 0.5) * 1000);
    expect((await send('POST', '/auth/refresh', { json: { refreshToken: laptop.body.refreshToken }, agent: 'thief/1.0' })).body.error.code).toBe('refresh_token_reused');
    // The phone's session ended from the account page, then the password changed.
    const phoneSid = JSON.parse(Buffer.from(phone.body.accessToken.split('.')[1], 'base64url').toString()).sid;
    expect((await send('DELETE', `/auth/sessions/${phoneSid}`, { token: registered.body.accessToken })).status).toBe(204);
    expect((await send('POST', '/auth/password/change', { json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, token: registered.body.accessToken })).status).toBe(204);
    const logout = await send('POST', '/auth/logout', { json: { refreshToken: registered.body.refreshToken } });
    expect(logout.status).toBe(204);

    // A fresh session reads the log (the first one just logged out).
    const reader = await send('POST', '/auth/login', { json: { email, password: NEW_PASSWORD } });
    // The failed-login event is written without holding the answer back: give it a moment.
    await sleep(300);
    const listed = await send('GET', '/auth/events', { token: reader.body.accessToken });
    expect(listed.status).toBe(200);
    const events = listed.body.events as { type: string; at: string; ip: string | null; userAgent: string | null; sessionId?: string; detail?: string }[];
    expect(events.map((e) => e.type)).toEqual([
      'login',
      'logout',
      'password_changed',
      'session_revoked',
      'refresh_reuse_detected',
      'login',
      'login_failed',
      'login',
    ]);
    const [, , , revoked, reuse, laptopLogin, failed, phoneLogin] = events;
    expect(failed).toMatchObject({ userAgent: 'guesser/0.1', ip: expect.stringMatching(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/) });
    expect(phoneLogin).toMatchObject({ userAgent: 'phone-app/2.1', sessionId: phoneSid });
    expect(laptopLogin).toMatchObject({ userAgent: 'laptop/3.0' });
    expect(reuse).toMatchObject({ userAgent: 'thief/1.0' });
    expect(revoked).toMatchObject({ sessionId: phoneSid });
    // Newest first, and nothing that looks like token material.
    expect([...events].map((e) => e.at)).toEqual([...events].map((e) => e.at).sort().reverse());
    for (const secret of [registered.body.refreshToken, laptop.body.refreshToken, phone.body.accessToken]) expect(listed.text).not.toContain(secret);
  });

  it('attack: another user sees none of them, even with a cursor from the victim\'s pages', async () => {
    const victimEmail = uniqueEmail('victim');
    const victim = await send('POST', '/auth/register', { json: { email: victimEmail, password: PASSWORD } });
    for (let i = 0; i < 3; i += 1) await send('POST', '/auth/login', { json: { email: victimEmail, password: PASSWORD } });
    const page = await send('GET', '/auth/events?limit=1', { token: victim.body.accessToken });
    expect(page.body.events).toHaveLength(1);
    expect(page.body.next).toEqual(expect.any(String));

    const attacker = await send('POST', '/auth/register', { json: { email: uniqueEmail('attacker'), password: PASSWORD } });
    const own = await send('GET', '/auth/events', { token: attacker.body.accessToken });
    expect(own.status).toBe(200);
    expect(own.body.events).toEqual([]);
    const stolenCursor = await send('GET', `/auth/events?cursor=${encodeURIComponent(page.body.next)}`, { token: attacker.body.accessToken });
    expect(stolenCursor.status).toBe(400);
    expect(stolenCursor.body.error.code).toBe('invalid_request');
  });

  it('pages with limit and next, and refuses a limit outside 1-100', async () => {
    const email = uniqueEmail('pages');
    const first = await send('POST', '/auth/register', { json: { email, password: PASSWORD } });
    for (let i = 0; i < 3; i += 1) await send('POST', '/auth/login', { json: { email, password: PASSWORD } });
    const one = await send('GET', '/auth/events?limit=2', { token: first.body.accessToken });
    const two = await send('GET', `/auth/events?limit=2&cursor=${encodeURIComponent(one.body.next)}`, { token: first.body.accessToken });
    expect([...one.body.events, ...two.body.events].map((e: { type: string }) => e.type)).toEqual(['login', 'login', 'login']);
    for (const limit of ['0', '101', 'x', '2.5']) expect((await send('GET', `/auth/events?limit=${limit}`, { token: first.body.accessToken })).status).toBe(400);
  });
});
