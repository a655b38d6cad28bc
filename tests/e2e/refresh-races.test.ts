/**
 * Attacks on refresh by racing it, over HTTP, on a gateway of this file's own with short bounds (a
 * 4 s grace window to step past, a 1 s live cache at the authorizer):
 * - one refresh token presented several times at once at POST /oauth2/token, by its client and by
 *   a copy's holder (another user agent), also across the two refresh endpoints: one successor at
 *   most, and reuse detection behaves as for POST /auth/refresh;
 * - POST /auth/refresh of a session racing a password change that revokes it: no token it hands
 *   out outlives the change.
 * The forced orders of these races run on the use cases (tests/integration/
 * credential-change-races.test.ts); here the requests go side by side through the real handlers,
 * with varying offsets, and the state afterwards is checked by what the service still accepts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { startFileGateway, type TestGateway } from '../helpers/gateway';
import { bearer, call, expectDenied, warm, type Answer } from '../helpers/http';

const GRACE_SECONDS = 4;
const LIVE_CACHE_SECONDS = 1;
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';
const CLIENT_ID = 'lambda-jwt-auth';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const TRIALS = 6;
const OFFSETS_MS = [0, 5, 10, 20, 40];
/** Copies of one token sent at once by its own client. */
const COPIES = 5;
const TIMEOUT = 240_000;
let offline: TestGateway | undefined;

beforeAll(async () => {
  offline = await startFileGateway({
    REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS),
    AUTHORIZER_LIVE_CACHE_SECONDS: String(LIVE_CACHE_SECONDS),
  });
  // As many warm workers as a race sends requests at once: the race is not one of cold starts.
  await warm(
    [
      { method: 'POST', path: '/auth/register', json: {}, base: offline.url },
      { method: 'POST', path: '/auth/login', json: {}, base: offline.url },
      { method: 'POST', path: '/oauth2/token', body: '', headers: FORM, base: offline.url },
      { method: 'POST', path: '/auth/refresh', json: {}, base: offline.url },
      { method: 'POST', path: '/auth/password/change', json: {}, base: offline.url, contract: false },
      { method: 'GET', path: '/example/hello', base: offline.url, contract: false },
    ],
    COPIES,
  );
}, TIMEOUT);

afterAll(async () => {
  await offline?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const after = async <T>(ms: number, fn: () => Promise<T>): Promise<T> => (await sleep(ms), fn());
const send = (method: string, route: string, options: { json?: unknown; headers?: Record<string, string> } = {}) => call(method, route, { ...options, base: offline!.url });

/** The OAuth refresh grant, from the client named by `userAgent`, in the snake_case answer mapped to ours. */
async function grant(refreshToken: string, userAgent: string): Promise<Answer> {
  const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID }).toString();
  return call('POST', '/oauth2/token', { body, headers: { ...FORM, 'user-agent': userAgent }, base: offline!.url });
}
const refreshAt = (refreshToken: string, userAgent: string) => send('POST', '/auth/refresh', { json: { refreshToken }, headers: { 'user-agent': userAgent } });

/** Either endpoint's answer as `{refreshToken, accessToken}` on success, or its error code. */
function outcome(answer: Answer): { ok: true; refreshToken: string; accessToken: string } | { ok: false; code: string } {
  if (answer.status === 200) return { ok: true, refreshToken: answer.body.refresh_token ?? answer.body.refreshToken, accessToken: answer.body.access_token ?? answer.body.accessToken };
  // The OAuth endpoint answers RFC 6749's flat error; ours nests a code.
  return { ok: false, code: typeof answer.body.error === 'string' ? answer.body.error : answer.body.error.code };
}

async function signIn(): Promise<{ accessToken: string; refreshToken: string; email: string }> {
  const email = uniqueEmail('refresh-race');
  const answer = await send('POST', '/auth/register', { json: { email, password: PASSWORD } });
  expect(answer.status).toBe(201);
  return { ...answer.body, email };
}

/** The session is over: `refreshTokens` rotate no more (at the OAuth endpoint), `accessTokens` are refused past the live-cache bound. */
async function expectSessionOver(refreshTokens: string[], accessTokens: string[]): Promise<void> {
  for (const token of refreshTokens) {
    const answer = await grant(token, 'owner-app/1.0');
    expect(answer.status, `a token of the ended session rotated: ${answer.text}`).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
  }
  await sleep(LIVE_CACHE_SECONDS * 1000 + 300);
  for (const token of accessTokens) expectDenied(await send('GET', '/example/hello', { headers: bearer(token) }), 'an access token of the ended session');
}

describe('attack: one refresh token presented several times at once', () => {
  it(`its own client sending it ${COPIES} times at once to /oauth2/token gets one successor; a replay past the grace window is reuse and ends the session`, async () => {
    const signed = await signIn();
    const answers = await Promise.all(Array.from({ length: COPIES }, (_, i) => after(OFFSETS_MS[i % OFFSETS_MS.length]!, () => grant(signed.refreshToken, 'owner-app/1.0'))));
    // Within the grace window a retry of the same client is answered with the same successor.
    const successors = new Set(answers.map((a) => {
      expect(a.status, a.text).toBe(200);
      return a.body.refresh_token as string;
    }));
    expect(successors.size, 'one token rotated into several successors').toBe(1);
    const [successor] = [...successors];
    expect((await send('GET', '/example/hello', { headers: bearer(answers[0]!.body.access_token) })).status).toBe(200);

    await sleep((GRACE_SECONDS + 0.5) * 1000);
    const replay = await grant(signed.refreshToken, 'owner-app/1.0');
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    await expectSessionOver([successor!], answers.map((a) => a.body.access_token as string));
  }, TIMEOUT);

  it('a copy presented from another client at the same moment as the owner: one successor at most, the copy is reuse, and nothing of the session survives', async () => {
    const endpoints = [
      ['/oauth2/token', '/oauth2/token'],
      ['/oauth2/token', '/auth/refresh'],
      ['/auth/refresh', '/oauth2/token'],
    ] as const;
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const signed = await signIn();
      const [ownerAt, copyAt] = endpoints[trial % endpoints.length]!;
      const present = (at: string, userAgent: string) => (at === '/oauth2/token' ? grant(signed.refreshToken, userAgent) : refreshAt(signed.refreshToken, userAgent));
      const offset = OFFSETS_MS[trial % OFFSETS_MS.length]!;
      const [owner, copy] = await Promise.all([
        trial % 2 === 0 ? present(ownerAt, 'owner-app/1.0') : after(offset, () => present(ownerAt, 'owner-app/1.0')),
        trial % 2 === 0 ? after(offset, () => present(copyAt, 'attacker/1.0')) : present(copyAt, 'attacker/1.0'),
      ]);
      const results = [outcome(owner), outcome(copy)];
      // Whichever came first rotated; the other found it consumed by another client: reuse.
      expect(results.filter((r) => r.ok), `owner ${owner.status} ${owner.text}, copy ${copy.status} ${copy.text}`).toHaveLength(1);
      const loser = results.find((r) => !r.ok)!;
      expect(['invalid_grant', 'refresh_token_reused']).toContain(loser.ok ? '' : loser.code);
      if (copy.status !== 200 && copyAt === '/auth/refresh') expect(copy.body.error.code).toBe('refresh_token_reused');
      if (owner.status !== 200 && ownerAt === '/auth/refresh') expect(owner.body.error.code).toBe('refresh_token_reused');
      const winner = results.find((r) => r.ok) as { refreshToken: string; accessToken: string };
      await expectSessionOver([winner.refreshToken, signed.refreshToken], [winner.accessToken, signed.accessToken]);
    }
  }, TIMEOUT);
});

describe('attack: a refresh racing a password change that revokes its session', () => {
  it('no token the refresh hands out outlives the change, and the change never fails because of it', async () => {
    const won: { refreshToken: string; accessToken: string }[] = [];
    const refused: string[] = [];
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const owner = await signIn();
      // The session the change revokes: another sign-in of the same user (a stolen one, say).
      const other = await send('POST', '/auth/login', { json: { email: owner.email, password: PASSWORD } });
      expect(other.status).toBe(200);
      const offset = OFFSETS_MS[trial % OFFSETS_MS.length]!;
      const change = () => send('POST', '/auth/password/change', { json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, headers: bearer(owner.accessToken) });
      const refreshed = () => refreshAt(other.body.refreshToken, 'other-device/1.0');
      const [changed, answer] = trial % 2 === 0 ? await Promise.all([change(), after(offset, refreshed)]) : await Promise.all([after(offset, change), refreshed()]).then(([c, r]) => [c, r] as const);
      expect(changed.status, `the password change answered ${changed.text}`).toBe(204);
      if (answer.status === 200) won.push(answer.body);
      else {
        expect(answer.status, answer.text).toBe(401);
        expect(answer.body.error.code).toBe('invalid_refresh_token');
        refused.push(answer.body.error.code);
      }
      // Whatever the refresh got, the revoked session's own tokens are dead too.
      await expectSessionOver([other.body.refreshToken, ...(answer.status === 200 ? [answer.body.refreshToken as string] : [])], [other.body.accessToken]);
      // The owner's session is kept.
      expect((await send('GET', '/example/hello', { headers: bearer(owner.accessToken) })).status).toBe(200);
    }
    for (const session of won) expectDenied(await send('GET', '/example/hello', { headers: bearer(session.accessToken) }), 'an access token a racing refresh handed out');
    expect(won.length + refused.length).toBe(TRIALS);
  }, TIMEOUT);
});
