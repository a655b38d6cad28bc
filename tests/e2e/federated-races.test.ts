/**
 * Attacks on federated sign-in by racing it against other writes of the same account, over HTTP
 * against the local OpenID provider (scripts/local-idp.ts):
 * - a provider callback racing a registration of the same address: whatever the interleaving,
 *   exactly one account holds the address, and an unverified registration never gets the
 *   provider's identity;
 * - the exchange of a one-time code racing a password change of the account it signs in to: no
 *   session it opens outlives the change (the code is bound to the credential epoch, and a
 *   session that committed first is revoked by the change).
 * Each race runs TRIALS times on fresh accounts, the two requests sent with a varying offset; the
 * exchange race also runs each order in full (one request after the other), so both outcomes are
 * checked whatever the machine's timing.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bearer, call, expectDenied, post, type Answer } from '../helpers/http';
import { latestToken } from '../helpers/mail';
import { callback, federatedCode, landing, providerLeg } from '../helpers/federation';

const TRIALS = 8;
const OFFSETS_MS = [0, 5, 10, 20];
const TIMEOUT = 240_000;
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';
/** The authorizer's live-session cache bound on the shared gateway (AUTHORIZER_LIVE_CACHE_SECONDS default). */
const LIVE_CACHE_SECONDS = 3;

const address = (tag: string) => `race-${tag}-${randomUUID().slice(0, 8)}@example.com`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const after = async <T>(ms: number, fn: () => Promise<T>): Promise<T> => (await sleep(ms), fn());

describe('attack: federated sign-in racing other writes of the same account', () => {
  it('a provider callback racing a registration of the same address: exactly one account holds it, and the unverified registration never gets the identity', async () => {
    const outcomes = { registration: 0, federated: 0 };
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const email = address('register');
      const leg = await providerLeg('local', email);
      const offset = OFFSETS_MS[trial % OFFSETS_MS.length]!;
      const [back, registered] = await Promise.all([
        trial % 2 === 0 ? callback(leg) : after(offset, () => callback(leg)),
        trial % 2 === 0 ? after(offset, () => post('/auth/register', { email, password: PASSWORD })) : post('/auth/register', { email, password: PASSWORD }),
      ]);
      const { code, error } = landing(back);
      if (registered.status === 201) {
        // The registration holds the address; its email is unverified, so the identity is not linked.
        outcomes.registration += 1;
        expect(code).toBeNull();
        expect(error).toBe('account_exists');
        expect((await federatedCode('local', email)).error).toBe('account_exists');
        const login = await post('/auth/login', { email, password: PASSWORD });
        expect(login.status).toBe(200);
        expect(login.body.user.id).toBe(registered.body.user.id);
      } else {
        // The federated account holds it; the registration was refused, and nothing else exists.
        outcomes.federated += 1;
        expect(registered.status, registered.text).toBe(409);
        expect(registered.body.error.code).toBe('email_taken');
        expect(error).toBeNull();
        const exchanged = await post('/auth/oauth/token', { code });
        expect(exchanged.status).toBe(200);
        expect(exchanged.body.user.email).toBe(email);
        // No password was set by the losing registration.
        expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(401);
      }
    }
    expect(outcomes.registration + outcomes.federated).toBe(TRIALS);
  }, TIMEOUT);

  it('a code exchange racing a password change of the linked account opens no session that outlives the change', async () => {
    const survivors: { accessToken: string; refreshToken: string }[] = [];
    const exchanges: Answer[] = [];
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const email = address('change');
      expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
      expect((await post('/auth/email/verify', { token: await latestToken(email, 'verify-email') })).status).toBe(200);
      const owner = await post('/auth/login', { email, password: PASSWORD });
      expect(owner.status).toBe(200);
      // Both sides verified the address: the callback links the identity and hands out a code.
      const { code, error } = await federatedCode('local', email);
      expect(error).toBeNull();
      const offset = OFFSETS_MS[trial % OFFSETS_MS.length]!;
      const exchange = () => post('/auth/oauth/token', { code });
      const change = () => call('POST', '/auth/password/change', { json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, headers: bearer(owner.body.accessToken) });
      // The two ends of the race in full (one after the other, each way), then interleavings.
      const [exchanged, changed] =
        trial === 0 ? [await exchange(), await change()]
        : trial === 1 ? await change().then(async (c) => [await exchange(), c] as const)
        : trial % 2 === 0 ? await Promise.all([exchange(), after(offset, change)])
        : await Promise.all([after(offset, exchange), change()]);
      expect(changed.status, `the password change answered ${changed.text}`).toBe(204);
      // The exchange either won (its session must now be revoked) or lost on the moved epoch.
      expect([200, 400], exchanged.text).toContain(exchanged.status);
      if (exchanged.status === 400) expect(exchanged.body.error.code).toBe('invalid_token');
      else survivors.push(exchanged.body);
      exchanges.push(exchanged);
    }
    for (const session of survivors) {
      const refreshed = await post('/auth/refresh', { refreshToken: session.refreshToken });
      expect(refreshed.status, 'a session of a code exchanged around a password change must not refresh').toBe(401);
    }
    await sleep(LIVE_CACHE_SECONDS * 1000 + 500);
    for (const session of survivors) expectDenied(await call('GET', '/example/hello', { headers: bearer(session.accessToken), contract: false }), 'the access token of a session opened around the change');
    expect(exchanges).toHaveLength(TRIALS);
  }, TIMEOUT);
});
