/**
 * Federated sign-in end to end, against real OpenID providers (scripts/local-idp.ts on
 * oidc-provider): `local` says `email_verified: true`, `unverified` says false. Each attack has a
 * test of its own, named after it.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { bearer, call, get, post } from '../helpers/http';
import { latestToken } from '../helpers/mail';
import {
  APP_ORIGIN,
  APP_REDIRECT,
  authorize,
  callback,
  federatedCode,
  landing,
  providerLeg,
  tamperIdTokens,
} from '../helpers/federation';

const TIMEOUT = 60_000;
const address = (tag: string) => `fed-${tag}-${randomUUID().slice(0, 8)}@example.com`;
const PASSWORD = 'correct horse battery';

async function exchange(code: string, headers: Record<string, string> = {}) {
  return call('POST', '/auth/oauth/token', { json: { code }, headers });
}

async function signInWith(provider: string, email: string) {
  const { code, error } = await federatedCode(provider, email);
  expect(error).toBeNull();
  const answer = await exchange(code!);
  expect(answer.status).toBe(200);
  return answer.body as { user: { id: string; email: string; emailVerified: boolean }; accessToken: string; refreshToken: string };
}

/** A registered account whose address is verified through its email link. */
async function verifiedAccount(email: string) {
  expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
  expect((await post('/auth/email/verify', { token: await latestToken(email, 'verify-email') })).status).toBe(200);
}

describe('federated sign-in', () => {
  it('makes a new account on the first sign-in (no password, email verified as the provider said) and signs the same one in afterwards', async () => {
    const email = address('new');
    const first = await signInWith('local', email);
    expect(first.user).toMatchObject({ email, emailVerified: true });
    const claims = decodeJwt(first.accessToken);
    expect(claims.amr).toEqual(['fed']);
    expect(claims.acr).toBe('aal1');
    const me = await get('/auth/me', bearer(first.accessToken));
    expect(me.body.identities).toEqual([{ provider: 'local', linkedAt: expect.any(String) }]);
    const again = await signInWith('local', email);
    expect(again.user.id).toBe(first.user.id);
    // No password: a password login fails like any wrong password.
    const login = await post('/auth/login', { email, password: PASSWORD });
    expect(login.status).toBe(401);
    expect(login.body.error.code).toBe('invalid_credentials');
  }, TIMEOUT);

  it('gives a new account of a provider that does not vouch for the email emailVerified false', async () => {
    const signedIn = await signInWith('unverified', address('unverified-new'));
    expect(signedIn.user.emailVerified).toBe(false);
  }, TIMEOUT);

  it('links to an existing account when both sides verified the email, and the account keeps its password', async () => {
    const email = address('link');
    await verifiedAccount(email);
    const signedIn = await signInWith('local', email);
    const me = await get('/auth/me', bearer(signedIn.accessToken));
    expect(me.body.identities.map((i: { provider: string }) => i.provider)).toEqual(['local']);
    expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(200);
    const events = await get('/auth/events', bearer(signedIn.accessToken));
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['identity_linked', 'login']));
  }, TIMEOUT);

  it('sets the password of a federated account through the reset flow', async () => {
    const email = address('reset');
    await signInWith('local', email);
    expect((await post('/auth/password/forgot', { email })).status).toBe(202);
    const token = await latestToken(email, 'reset-password');
    expect((await post('/auth/password/reset', { token, newPassword: PASSWORD })).status).toBe(204);
    expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(200);
  }, TIMEOUT);

  it('exchanges the code in cookie mode: the refresh token goes into the refresh cookie', async () => {
    const { code } = await federatedCode('local', address('cookie'));
    const answer = await exchange(code!, { 'x-auth-transport': 'cookie', origin: APP_ORIGIN });
    expect(answer.status).toBe(200);
    expect(answer.body.refreshToken).toBeUndefined();
    expect(answer.headers.getSetCookie().some((c) => c.startsWith('__Host-refresh_token='))).toBe(true);
  }, TIMEOUT);

  it('answers an unknown provider 404', async () => {
    const answer = await authorize('nowhere', { redirect_uri: APP_REDIRECT });
    expect(answer.status).toBe(404);
  }, TIMEOUT);
});

describe('federated sign-in attacks', () => {
  it('forged state: a callback with a state we never issued is refused, nothing redirects', async () => {
    const leg = await providerLeg('local', address('forged'));
    const forged = new URL(leg.callbackUrl);
    forged.searchParams.set('state', 'A'.repeat(43));
    const answer = await fetch(forged, { redirect: 'manual', headers: { cookie: leg.flowCookie } });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
  }, TIMEOUT);

  it('replayed state: the same callback twice signs in once', async () => {
    const leg = await providerLeg('local', address('replayed-state'));
    expect(landing(await callback(leg)).code).not.toBeNull();
    const replay = await callback(leg);
    expect(replay.status).toBe(400);
    expect(replay.headers.get('location')).toBeNull();
  }, TIMEOUT);

  it('login CSRF: a callback URL opened by another browser (without the flow cookie) is refused', async () => {
    const leg = await providerLeg('local', address('csrf'));
    const answer = await callback(leg, { cookie: null });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
  }, TIMEOUT);

  for (const [what, claims] of [
    ['wrong nonce', { nonce: 'not-the-nonce-we-sent' }],
    ['wrong aud', { aud: 'another-client' }],
    ['wrong iss', { iss: 'http://localhost:1/elsewhere' }],
  ] as const) {
    it(`ID token with a ${what} (validly signed by the provider) is refused`, async () => {
      await tamperIdTokens('unverified', claims);
      try {
        const { code, error } = await federatedCode('unverified', address(what.replace(' ', '-')));
        expect(code).toBeNull();
        expect(error).toBe('provider_error');
      } finally {
        await tamperIdTokens('unverified', undefined);
      }
    }, TIMEOUT);
  }

  it('provider code replayed: a used authorization code injected into a new flow is refused', async () => {
    const email = address('code-replay');
    const used = await providerLeg('local', email);
    expect(landing(await callback(used)).code).not.toBeNull();
    // A fresh flow of the attacker's browser, with the victim's used code in place of its own.
    const fresh = await providerLeg('local', email);
    const injected = new URL(fresh.callbackUrl);
    injected.searchParams.set('code', used.callbackUrl.searchParams.get('code')!);
    const result = landing(await fetch(injected, { redirect: 'manual', headers: { cookie: fresh.flowCookie } }));
    expect(result.code).toBeNull();
    expect(result.error).toBe('provider_error');
  }, TIMEOUT);

  it('one-time code replayed at /auth/oauth/token: exchanged once, then invalid_token', async () => {
    const { code } = await federatedCode('local', address('our-code'));
    const [a, b] = await Promise.all([exchange(code!), exchange(code!)]);
    expect([a.status, b.status].sort()).toEqual([200, 400]);
    const again = await exchange(code!);
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('invalid_token');
  }, TIMEOUT);

  it('redirect_uri outside the allow-list, and look-alikes of an allowed one: 400 and no redirect', async () => {
    for (const target of [
      'https://evil.example.com/',
      'http://localhost:5173.evil.com/',
      'http://localhost:5173@evil.com/',
      'http://user:pass@localhost:5173/',
      'http://localhost:5174/',
      'https://localhost:5173/',
      'javascript:alert(1)//localhost:5173/',
      '//evil.example.com/',
      '/relative',
      'http://evil.example.com\\@localhost:5173/',
      'http://localhost:5173/#fragment',
      '',
    ]) {
      const answer = await authorize('local', { redirect_uri: target });
      expect(answer.status, target).toBe(400);
      expect(answer.headers.get('location'), target).toBeNull();
      expect((await answer.json()).error.code, target).toBe('invalid_request');
    }
    expect((await authorize('local', {})).status).toBe(400);
  }, TIMEOUT);

  it('linking to an unverified local account: account_exists, nothing linked, and the squatter never gets in', async () => {
    const email = address('squat');
    // Someone registers the address first and never verifies it (they do not own the mailbox).
    const squatter = await post('/auth/register', { email, password: PASSWORD });
    expect(squatter.status).toBe(201);
    const { code, error } = await federatedCode('local', email);
    expect(code).toBeNull();
    expect(error).toBe('account_exists');
    const me = await get('/auth/me', bearer(squatter.body.accessToken));
    expect(me.body.identities).toEqual([]);
  }, TIMEOUT);

  it('provider says email_verified false: no link to the verified account holding the address', async () => {
    const email = address('claims');
    await verifiedAccount(email);
    const { code, error } = await federatedCode('unverified', email);
    expect(code).toBeNull();
    expect(error).toBe('account_exists');
    const login = await post('/auth/login', { email, password: PASSWORD });
    const me = await get('/auth/me', bearer(login.body.accessToken));
    expect(me.body.identities).toEqual([]);
  }, TIMEOUT);

  it("mix-up: a response of one provider delivered to another provider's callback is refused", async () => {
    const leg = await providerLeg('unverified', address('mixup'));
    const result = landing(await callback(leg, { provider: 'local' }));
    expect(result.code).toBeNull();
    expect(result.error).toBe('provider_error');
  }, TIMEOUT);
});
