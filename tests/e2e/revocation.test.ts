/**
 * Revocation reaching access tokens, over HTTP, on a gateway of its own with shortened caches:
 * the authorizer trusts a "live" session state for 1 s (AUTHORIZER_LIVE_CACHE_SECONDS) and, while
 * DynamoDB fails, honours a "live" seen in the last 6 s (AUTHORIZER_STALE_SECONDS). Offline has
 * no gateway result cache, so the bound here is the live cache alone (plus DynamoDB Local, which
 * is consistent at once).
 *
 * Each case: the token works, the session is revoked one way, the bound passes, and the very next
 * request with the same access token is refused (403). Waiting out the bound and then asserting
 * one refusal holds on a slow machine: a stall only lets more time pass.
 *
 * DynamoDB is reached through a switchable proxy (tests/helpers/fault-proxy.ts), so one case can
 * make it fail for the authorizer while the gateway keeps running.
 *
 * Password change and reset and account deletion revoke sessions too, each with its case here.
 *
 * The sessions endpoints (GET /auth/sessions, DELETE /auth/sessions/{id}) are tested here too:
 * ending a session is one more way to revoke one.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { latestToken } from '../helpers/mail';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { bearer, call, expectDenied, expectNoCredentials, type Answer } from '../helpers/http';

const LIVE_CACHE_SECONDS = 1;
const STALE_SECONDS = 6;
const GRACE_SECONDS = 1;
const PASSWORD = 'correct horse battery';
let offline: TestGateway | undefined;
let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy(inject('dynamoEndpoint'));
  offline = await startTestGateway({
    DYNAMODB_ENDPOINT: proxy.url,
    SIGNING_KEYS_FILE: inject('keysFile'),
    SES_ENDPOINT: inject('sesEndpoint'),
    AUTHORIZER_LIVE_CACHE_SECONDS: String(LIVE_CACHE_SECONDS),
    AUTHORIZER_STALE_SECONDS: String(STALE_SECONDS),
    REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS),
    // The stale-window case makes the authorizer log errors on purpose.
    LOG_LEVEL: 'silent',
  });
}, 120_000);

afterAll(async () => {
  await offline?.stop();
  await proxy?.close();
});

const send = (method: string, route: string, options: { json?: unknown; token?: string } = {}) =>
  call(method, route, { json: options.json, headers: options.token ? bearer(options.token) : {}, base: offline!.url });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pastTheBound = () => sleep(LIVE_CACHE_SECONDS * 1000 + 300);

interface Signed {
  email: string;
  accessToken: string;
  refreshToken: string;
  sid: string;
}

const sidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;

async function register(): Promise<Signed> {
  const email = uniqueEmail('revoke');
  const answer = await send('POST', '/auth/register', { json: { email, password: PASSWORD } });
  expect(answer.status).toBe(201);
  return { email, accessToken: answer.body.accessToken, refreshToken: answer.body.refreshToken, sid: sidOf(answer.body.accessToken) };
}

async function login(email: string): Promise<Signed> {
  const answer = await send('POST', '/auth/login', { json: { email, password: PASSWORD } });
  expect(answer.status).toBe(200);
  return { email, accessToken: answer.body.accessToken, refreshToken: answer.body.refreshToken, sid: sidOf(answer.body.accessToken) };
}

async function expectWorks(token: string): Promise<Answer> {
  const answer = await send('GET', '/example/hello', { token });
  expect(answer.status, 'the access token should still work').toBe(200);
  return answer;
}

async function expectRefused(token: string, what: string): Promise<void> {
  expectDenied(await send('GET', '/example/hello', { token }), what);
}

describe('the authorizer refuses a revoked session\'s access token once the bound has passed', () => {
  it('after a local logout with the refresh token, and only for that session', async () => {
    const first = await register();
    const second = await login(first.email);
    await expectWorks(first.accessToken);
    expect((await send('POST', '/auth/logout', { json: { refreshToken: first.refreshToken } })).status).toBe(204);
    await pastTheBound();
    await expectRefused(first.accessToken, 'the logged-out session\'s access token');
    await expectWorks(second.accessToken);
  });

  it('after a global logout, for every session of the user', async () => {
    const first = await register();
    const second = await login(first.email);
    await expectWorks(first.accessToken);
    await expectWorks(second.accessToken);
    expect((await send('POST', '/auth/logout', { json: { scope: 'global' }, token: first.accessToken })).status).toBe(204);
    await pastTheBound();
    await expectRefused(first.accessToken, 'the caller\'s own access token');
    await expectRefused(second.accessToken, 'the other session\'s access token');
  });

  it('after an "others" logout, for the other sessions but not the caller\'s', async () => {
    const first = await register();
    const second = await login(first.email);
    await expectWorks(second.accessToken);
    expect((await send('POST', '/auth/logout', { json: { scope: 'others' }, token: first.accessToken })).status).toBe(204);
    await pastTheBound();
    await expectRefused(second.accessToken, 'the other session\'s access token');
    await expectWorks(first.accessToken);
  });

  it('after refresh-token reuse detection, for the access tokens of the whole session', async () => {
    const first = await register();
    const rotated = await send('POST', '/auth/refresh', { json: { refreshToken: first.refreshToken } });
    expect(rotated.status).toBe(200);
    await expectWorks(first.accessToken);
    await expectWorks(rotated.body.accessToken);
    await sleep((GRACE_SECONDS + 0.5) * 1000);
    const replay = await send('POST', '/auth/refresh', { json: { refreshToken: first.refreshToken } });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('refresh_token_reused');
    await pastTheBound();
    await expectRefused(first.accessToken, 'the first access token of the reused session');
    await expectRefused(rotated.body.accessToken, 'the successor\'s access token');
  });
});

describe('the account changes that end sessions', () => {
  it('after a password change, for every other session of the user but not the caller\'s', async () => {
    const first = await register();
    const second = await login(first.email);
    await expectWorks(second.accessToken);
    const changed = await send('POST', '/auth/password/change', { json: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' }, token: first.accessToken });
    expect(changed.status).toBe(204);
    await pastTheBound();
    await expectRefused(second.accessToken, 'the other session\'s access token after a password change');
    await expectWorks(first.accessToken);
  });

  it('after a password reset, for every session of the user', async () => {
    const first = await register();
    const second = await login(first.email);
    await expectWorks(first.accessToken);
    await expectWorks(second.accessToken);
    expect((await send('POST', '/auth/password/forgot', { json: { email: first.email } })).status).toBe(202);
    const token = await latestToken(first.email, 'reset-password');
    expect((await send('POST', '/auth/password/reset', { json: { token, newPassword: 'a brand new passphrase' } })).status).toBe(204);
    await pastTheBound();
    await expectRefused(first.accessToken, 'an access token from before the reset');
    await expectRefused(second.accessToken, 'another access token from before the reset');
  });

  it('after the account is deleted, for every session it had', async () => {
    const first = await register();
    const second = await login(first.email);
    await expectWorks(second.accessToken);
    const deleted = await send('DELETE', '/auth/me', { json: { password: PASSWORD }, token: first.accessToken });
    expect(deleted.status).toBe(204);
    await pastTheBound();
    await expectRefused(first.accessToken, 'the deleting session\'s access token');
    await expectRefused(second.accessToken, 'the other session\'s access token of the deleted account');
  });
});

describe('when DynamoDB fails at the authorizer', () => {
  it('serves a live state seen within the stale window, then denies; a session never seen live is denied at once', async () => {
    const seen = await register();
    const unseen = await register();
    await expectWorks(seen.accessToken);
    const seenAt = Date.now();
    proxy.mode = 'error';
    try {
      await pastTheBound();
      // Past the live cache, inside the stale window: the recent "live" is honoured.
      expect(Date.now() - seenAt).toBeLessThan(STALE_SECONDS * 1000);
      await expectWorks(seen.accessToken);
      await expectRefused(unseen.accessToken, 'a token whose session state cannot be read');
      await sleep(Math.max(0, STALE_SECONDS * 1000 + 300 - (Date.now() - seenAt)));
      await expectRefused(seen.accessToken, 'a token whose live state is older than the stale window');
    } finally {
      proxy.mode = 'pass';
    }
    await expectWorks(seen.accessToken);
  });
});

describe('GET /auth/sessions and DELETE /auth/sessions/{id}', () => {
  it('lists the caller\'s active sessions only, the current one marked, with no token material', async () => {
    const first = await register();
    const second = await login(first.email);
    const ended = await login(first.email);
    expect((await send('POST', '/auth/logout', { json: { refreshToken: ended.refreshToken } })).status).toBe(204);
    const stranger = await register();
    const answer = await send('GET', '/auth/sessions', { token: second.accessToken });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const sessions = answer.body.sessions as Record<string, unknown>[];
    expect(sessions.map((s) => s.id).sort()).toEqual([first.sid, second.sid].sort());
    expect(sessions[0]).toMatchObject({ id: second.sid, current: true });
    expect(sessions.find((s) => s.id === first.sid)).toMatchObject({ current: false });
    for (const s of sessions) {
      expect(Object.keys(s).sort()).toEqual(['createdAt', 'current', 'id', 'ip', 'lastUsedAt', 'userAgent']);
      expect(Date.parse(s.createdAt as string)).not.toBeNaN();
      expect(Date.parse(s.lastUsedAt as string)).not.toBeNaN();
    }
    for (const secret of [first, second, ended, stranger].flatMap((s) => [s.accessToken, s.refreshToken, ...s.refreshToken.split('.'), s.accessToken.split('.')[2]!])) {
      expect(answer.text).not.toContain(secret);
    }
    expect(answer.text).not.toMatch(/secretHash|tokenId|TOKEN#|SESSION#|revoked/);
    expect(answer.text).not.toContain(stranger.sid);
  });

  it('ends another of the caller\'s sessions: 204, its access token refused after the bound, its refresh token at once', async () => {
    const first = await register();
    const second = await login(first.email);
    await expectWorks(second.accessToken);
    const answer = await send('DELETE', `/auth/sessions/${second.sid}`, { token: first.accessToken });
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    const refresh = await send('POST', '/auth/refresh', { json: { refreshToken: second.refreshToken } });
    expect(refresh.status).toBe(401);
    expect(refresh.body.error.code).toBe('invalid_refresh_token');
    await pastTheBound();
    await expectRefused(second.accessToken, 'the ended session\'s access token');
    await expectWorks(first.accessToken);
    const listed = await send('GET', '/auth/sessions', { token: first.accessToken });
    expect(listed.body.sessions.map((s: { id: string }) => s.id)).toEqual([first.sid]);
  });

  it('ends the current session: 204, and the same access token is refused afterwards', async () => {
    const me = await register();
    await expectWorks(me.accessToken);
    expect((await send('DELETE', `/auth/sessions/${me.sid}`, { token: me.accessToken })).status).toBe(204);
    await pastTheBound();
    await expectRefused(me.accessToken, 'the access token of the session it ended');
  });

  it('answers another user\'s session id exactly like an unknown one (404 not_found), and leaves that session alone', async () => {
    const attacker = await register();
    const victim = await register();
    const foreign = await send('DELETE', `/auth/sessions/${victim.sid}`, { token: attacker.accessToken });
    const unknown = await send('DELETE', '/auth/sessions/00000000-0000-4000-8000-000000000000', { token: attacker.accessToken });
    const malformed = await send('DELETE', '/auth/sessions/not-a-session-id', { token: attacker.accessToken });
    for (const answer of [foreign, unknown, malformed]) {
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    }
    expect(foreign.text).toBe(unknown.text);
    expect(malformed.text).toBe(unknown.text);
    await pastTheBound();
    await expectWorks(victim.accessToken);
    const refresh = await send('POST', '/auth/refresh', { json: { refreshToken: victim.refreshToken } });
    expect(refresh.status).toBe(200);
  });

  it('answers an already ended session 404, like an unknown one', async () => {
    const first = await register();
    const second = await login(first.email);
    expect((await send('DELETE', `/auth/sessions/${second.sid}`, { token: first.accessToken })).status).toBe(204);
    const again = await send('DELETE', `/auth/sessions/${second.sid}`, { token: first.accessToken });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('not_found');
  });

  it('needs a token: without one the gateway answers 401 before any function runs', async () => {
    expectNoCredentials(await send('GET', '/auth/sessions'));
    expectNoCredentials(await send('DELETE', '/auth/sessions/00000000-0000-4000-8000-000000000000'));
  });
});
