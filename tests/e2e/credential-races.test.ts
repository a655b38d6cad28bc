/**
 * Attacks on credential changes by racing sign-ins, over HTTP: someone who knows a user's old
 * password logs in again and again while the owner changes the password, resets it, or deletes the
 * account. Whatever the interleaving, no session opened with the old password may outlive the
 * change: its refresh token is refused at once, and its access token is refused by the authorizer
 * once the revocation bound has passed (the live cache, 1 s here).
 *
 * Each kind of change is raced TRIALS times on fresh accounts; in each trial the logins are sent
 * spread over the same 40 ms as the change. The change itself must succeed every time: a racing
 * login is retried past, never answered as an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parts } from '../../lib/repositories/transactions';
import { issueToken } from '../../lib/usecases/email-links';
import { testDeps, uniqueEmail } from '../helpers/deps';
import { startFileGateway, type TestGateway } from '../helpers/gateway';
import { bearer, call, expectDenied, warm, type Answer } from '../helpers/http';

const TRIALS = 20;
/** Trials run side by side (on separate accounts), to keep the file's time down. */
const SIDE_BY_SIDE = 2;
/**
 * Logins sent per trial, at these offsets (ms) from the change, each from a source of its own (the
 * gateway trusts SOURCE_HEADER here, as it would CloudFront's): the attacker spreads over
 * addresses, and the per-source allowance does not turn the race into 429s.
 */
const LOGIN_OFFSETS = [0, 5, 10, 20, 30, 40];
const SOURCE_HEADER = 'x-test-viewer-address';
const LIVE_CACHE_SECONDS = 1;
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';
let offline: TestGateway | undefined;

beforeAll(async () => {
  offline = await startFileGateway({
    AUTHORIZER_LIVE_CACHE_SECONDS: String(LIVE_CACHE_SECONDS),
    CLIENT_IP_HEADER: SOURCE_HEADER,
  });
  // As many warm workers as a trial sends requests at once, so the race is not a cold-start race.
  await warm(
    [
      { method: 'POST', path: '/auth/login', json: {}, base: offline.url },
      { method: 'POST', path: '/auth/password/change', json: {}, base: offline.url, contract: false },
      { method: 'POST', path: '/auth/password/reset', json: {}, base: offline.url },
      { method: 'GET', path: '/example/hello', base: offline.url, contract: false },
      { method: 'POST', path: '/auth/refresh', json: {}, base: offline.url },
    ],
    (LOGIN_OFFSETS.length + 1) * SIDE_BY_SIDE,
  );
}, 240_000);

afterAll(async () => {
  await offline?.stop();
});

const send = (method: string, route: string, options: { json?: unknown; token?: string; source?: string } = {}) =>
  call(method, route, {
    json: options.json,
    headers: { ...(options.token ? bearer(options.token) : {}), [SOURCE_HEADER]: options.source ?? '203.0.113.7' },
    base: offline!.url,
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `trial` TRIALS times, SIDE_BY_SIDE at once. */
async function trials(trial: () => Promise<void>): Promise<void> {
  for (let done = 0; done < TRIALS; done += SIDE_BY_SIDE) await Promise.all(Array.from({ length: SIDE_BY_SIDE }, () => trial()));
}

interface Account {
  email: string;
  userId: string;
  accessToken: string;
}

async function register(): Promise<Account> {
  const email = uniqueEmail('race');
  const answer = await send('POST', '/auth/register', { json: { email, password: PASSWORD } });
  expect(answer.status).toBe(201);
  return { email, userId: answer.body.user.id, accessToken: answer.body.accessToken };
}

/** The change, and the old-password logins spread around it; the sessions those logins got. */
async function race(account: Account, change: () => Promise<Answer>): Promise<{ changed: Answer; racers: { accessToken: string; refreshToken: string }[] }> {
  const logins = LOGIN_OFFSETS.map(async (offset, i) => {
    await sleep(offset);
    return send('POST', '/auth/login', { json: { email: account.email, password: PASSWORD }, source: `198.51.100.${i + 1}` });
  });
  const [changed, ...answers] = await Promise.all([change(), ...logins]);
  for (const answer of answers) {
    // A login either won the race (200, its session must then be revoked) or lost it (401); one
    // throttled (429) opened nothing either.
    expect([200, 401, 429], `a racing login answered ${answer.status} ${answer.text}`).toContain(answer.status);
  }
  return { changed: changed!, racers: answers.filter((a) => a.status === 200).map((a) => a.body) };
}

/** Nothing opened by a racing login outlives the change: refresh refused now, access refused past the bound. */
async function expectNoSurvivors(racers: { accessToken: string; refreshToken: string }[]): Promise<void> {
  // How many logins won their race (and must now be dead): a race that no login ever won tests nothing.
  expect(racers.length, 'no racing login ever signed in before the change committed').toBeGreaterThan(0);
  for (const racer of racers) {
    const refreshed = await send('POST', '/auth/refresh', { json: { refreshToken: racer.refreshToken } });
    expect(refreshed.status, 'a session opened with the old password must not refresh').toBe(401);
    expect(refreshed.body.error.code).toBe('invalid_refresh_token');
  }
  await sleep(LIVE_CACHE_SECONDS * 1000 + 300);
  for (const racer of racers) expectDenied(await send('GET', '/example/hello', { token: racer.accessToken }), 'an access token of a session opened with the old password');
}

// 20 trials of several racing logins each, every login now also writing a device record and
// sending a new-device notice: under two full suites at once a trial set took up to 90 s.
describe('attack: logins with the old password racing a credential change', { timeout: 240_000 }, () => {
  it('a password change leaves no racing session alive (and never fails because of them)', async () => {
    const racers: { accessToken: string; refreshToken: string }[] = [];
    const kept: string[] = [];
    await trials(async () => {
      const account = await register();
      const result = await race(account, () =>
        send('POST', '/auth/password/change', { json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, token: account.accessToken }),
      );
      expect(result.changed.status, `password change answered ${result.changed.text}`).toBe(204);
      racers.push(...result.racers);
      kept.push(account.accessToken);
    });
    await expectNoSurvivors(racers);
    // The caller's own session stays.
    for (const token of kept) expect((await send('GET', '/example/hello', { token })).status).toBe(200);
  });

  it('a password reset leaves no racing session alive', async () => {
    const { deps } = testDeps();
    const racers: { accessToken: string; refreshToken: string }[] = [];
    await trials(async () => {
      const account = await register();
      // The link the owner got by email, made current directly: this test is about the race.
      const { token, items } = issueToken(deps, 'reset', account.userId, new Date(), undefined);
      await deps.transactions.write(parts('token', items));
      const result = await race(account, () => send('POST', '/auth/password/reset', { json: { token: token.value, newPassword: NEW_PASSWORD } }));
      expect(result.changed.status, `password reset answered ${result.changed.text}`).toBe(204);
      racers.push(...result.racers);
    });
    await expectNoSurvivors(racers);
  });

  it('an email change confirmed while the old address signs in leaves no session that read the old account alive', async () => {
    const { deps } = testDeps();
    const racers: { accessToken: string; refreshToken: string }[] = [];
    await trials(async () => {
      const account = await register();
      // The link the new address got, made current directly: this test is about the race.
      const { token, items } = issueToken(deps, 'email_change', account.userId, new Date(), undefined, { newEmail: uniqueEmail('moved') });
      await deps.transactions.write(parts('token', items));
      const result = await race(account, () => send('POST', '/auth/email/change/confirm', { json: { token: token.value } }));
      expect(result.changed.status, `email change answered ${result.changed.text}`).toBe(200);
      // The password is unchanged, so a login that read the user after the change rightly signs in
      // (its answer names the new address). One that read the user before (the old address in its
      // answer) opened its session under the old credentials: that one must not survive.
      racers.push(...result.racers.filter((r) => (r as unknown as { user: { email: string } }).user.email === account.email));
    });
    await expectNoSurvivors(racers);
  });

  it('an account deletion leaves no racing session alive and nothing of the user listed', async () => {
    const { deps } = testDeps();
    const racers: { accessToken: string; refreshToken: string }[] = [];
    const users: string[] = [];
    await trials(async () => {
      const account = await register();
      const result = await race(account, () => send('DELETE', '/auth/me', { json: { password: PASSWORD }, token: account.accessToken }));
      expect(result.changed.status, `account deletion answered ${result.changed.text}`).toBe(204);
      racers.push(...result.racers);
      users.push(account.userId);
    });
    await expectNoSurvivors(racers);
    for (const userId of users) {
      // A login that lost the race to the deletion may still have found the user; none committed.
      expect(await deps.users.findById(userId, { consistent: true })).toBeUndefined();
      const listed = await deps.sessions.getSessions(await deps.sessions.listActiveSessionIds(userId, new Date()));
      expect(listed.filter((s) => !s.revokedAt), 'a live session of a deleted user').toEqual([]);
    }
  });
});
