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
 * Password change/reset and account deletion (which also revoke sessions) get their cases here
 * when those endpoints exist.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { bearer, call, expectDenied, type Answer } from '../helpers/http';

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
