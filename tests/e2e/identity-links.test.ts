/**
 * Linking and unlinking a federated identity from the account settings, and deleting an account
 * that has no password, end to end against the local OpenID providers (scripts/local-idp.ts).
 * Attacks have tests of their own, named after them.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bearer, call, get, post } from '../helpers/http';
import { latestToken } from '../helpers/mail';
import { APP_REDIRECT, callback, federatedCode, followProvider, landing } from '../helpers/federation';

const TIMEOUT = 90_000;
const PASSWORD = 'correct horse battery';
const address = (tag: string) => `link-${tag}-${randomUUID().slice(0, 8)}@example.com`;

interface SignedIn {
  user: { id: string; email: string };
  accessToken: string;
  refreshToken: string;
}

async function federatedSignIn(provider: string, email: string): Promise<SignedIn> {
  const { code, error } = await federatedCode(provider, email);
  expect(error).toBeNull();
  const answer = await post('/auth/oauth/token', { code });
  expect(answer.status).toBe(200);
  return answer.body as SignedIn;
}

async function passwordAccount(email: string): Promise<SignedIn> {
  expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
  expect((await post('/auth/email/verify', { token: await latestToken(email, 'verify-email') })).status).toBe(200);
  const login = await post('/auth/login', { email, password: PASSWORD });
  expect(login.status).toBe(200);
  return login.body as SignedIn;
}

/** POST /auth/oauth/{provider}/link as `accessToken`; the flow up to our callback. */
async function startLink(accessToken: string, provider: string, loginHint: string) {
  const answer = await call('POST', `/auth/oauth/${provider}/link`, { json: { redirectUri: APP_REDIRECT, loginHint }, headers: bearer(accessToken) });
  expect(answer.status, answer.text).toBe(200);
  const cookie = answer.headers.getSetCookie().find((c) => c.startsWith('__Host-oauth_flow='))!;
  return followProvider(new URL(answer.body.authorizationUrl), cookie.split(';')[0]!);
}

async function link(accessToken: string, provider: string, loginHint: string): Promise<URL> {
  return landing(await callback(await startLink(accessToken, provider, loginHint))).url;
}

const providersOf = async (accessToken: string) => ((await get('/auth/me', bearer(accessToken))).body.identities as { provider: string }[]).map((i) => i.provider).sort();
const refreshes = async (refreshToken: string) => (await post('/auth/refresh', { refreshToken })).status === 200;

describe('linking an identity from the account settings', () => {
  it('links the provider identity to the caller (whatever its email), revokes the other sessions, keeps the caller\'s, and signs in to this account from then on', async () => {
    const email = address('owner');
    const other = await passwordAccount(email);
    const caller = (await post('/auth/login', { email, password: PASSWORD })).body as SignedIn;
    const providerEmail = address('elsewhere');
    const back = await link(caller.accessToken, 'local', providerEmail);
    expect(back.searchParams.get('linked')).toBe('local');
    expect(back.searchParams.get('code')).toBeNull();
    expect(await providersOf(caller.accessToken)).toEqual(['local']);
    // A credential change: the other session is gone, the caller's stays.
    expect(await refreshes(other.refreshToken)).toBe(false);
    expect(await refreshes(caller.refreshToken)).toBe(true);
    const signedIn = await federatedSignIn('local', providerEmail);
    expect(signedIn.user.id).toBe(caller.user.id);
    const events = (await get('/auth/events', bearer(signedIn.accessToken))).body.events as { type: string; detail?: string }[];
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'identity_linked', detail: 'local' })]));
  }, TIMEOUT);

  it('attack: a link flow URL sent to another browser links nothing there (no flow cookie: 400, no redirect)', async () => {
    const attacker = await passwordAccount(address('attacker'));
    const leg = await startLink(attacker.accessToken, 'local', address('victim'));
    const answer = await callback(leg, { cookie: null });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
    expect(await providersOf(attacker.accessToken)).toEqual([]);
  }, TIMEOUT);

  it('attack: linking an identity that signs in to another account is refused with account_exists, and neither account changes', async () => {
    const victimEmail = address('victim-holder');
    const victim = await federatedSignIn('local', victimEmail);
    const attacker = await passwordAccount(address('attacker'));
    const back = await link(attacker.accessToken, 'local', victimEmail);
    expect(back.searchParams.get('error')).toBe('account_exists');
    expect(await providersOf(attacker.accessToken)).toEqual([]);
    expect((await federatedSignIn('local', victimEmail)).user.id).toBe(victim.user.id);
  }, TIMEOUT);

  it('attack: a link whose session was logged out before the provider answered links nothing (error=unauthorized)', async () => {
    const email = address('ended');
    const caller = await passwordAccount(email);
    const leg = await startLink(caller.accessToken, 'local', address('ended-provider'));
    expect((await post('/auth/logout', { refreshToken: caller.refreshToken })).status).toBe(204);
    expect(landing(await callback(leg)).error).toBe('unauthorized');
    const again = (await post('/auth/login', { email, password: PASSWORD })).body as SignedIn;
    expect(await providersOf(again.accessToken)).toEqual([]);
  }, TIMEOUT);

  it('refuses a second identity of a provider already linked (400), and an unknown provider (404)', async () => {
    const signedIn = await federatedSignIn('local', address('twice'));
    const again = await call('POST', '/auth/oauth/local/link', { json: { redirectUri: APP_REDIRECT }, headers: bearer(signedIn.accessToken) });
    expect(again.status).toBe(400);
    expect(again.body.error.details).toEqual([expect.objectContaining({ field: 'provider' })]);
    const unknown = await call('POST', '/auth/oauth/nope/link', { json: { redirectUri: APP_REDIRECT }, headers: bearer(signedIn.accessToken) });
    expect(unknown.status).toBe(404);
  }, TIMEOUT);

  it('attack: a link flow redirecting to an origin off the allow-list is refused before anything starts (400)', async () => {
    const caller = await passwordAccount(address('redirect'));
    const answer = await call('POST', '/auth/oauth/local/link', { json: { redirectUri: 'http://localhost:5173.evil.example/' }, headers: bearer(caller.accessToken) });
    expect(answer.status).toBe(400);
    expect(answer.headers.getSetCookie()).toEqual([]);
  }, TIMEOUT);
});

describe('unlinking an identity', () => {
  it('unlinks the identity of an account with a password, revokes the other sessions, records identity_unlinked; the identity then signs in to an account of its own', async () => {
    const email = address('unlink');
    const other = await passwordAccount(email);
    const caller = (await post('/auth/login', { email, password: PASSWORD })).body as SignedIn;
    const providerEmail = address('unlink-provider');
    expect((await link(caller.accessToken, 'local', providerEmail)).searchParams.get('linked')).toBe('local');
    const again = (await post('/auth/login', { email, password: PASSWORD })).body as SignedIn;
    const answer = await call('DELETE', '/auth/identities/local', { headers: bearer(again.accessToken) });
    expect(answer.status, answer.text).toBe(204);
    expect(await providersOf(again.accessToken)).toEqual([]);
    expect(await refreshes(other.refreshToken)).toBe(false);
    expect(await refreshes(again.refreshToken)).toBe(true);
    const events = (await get('/auth/events', bearer(again.accessToken))).body.events as { type: string; detail?: string }[];
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'identity_unlinked', detail: 'local' })]));
    expect((await federatedSignIn('local', providerEmail)).user.id).not.toBe(caller.user.id);
  }, TIMEOUT);

  it('refuses to unlink the last way to sign in (no password, no other identity, no passkey): 409 last_sign_in_method, the identity stays', async () => {
    const email = address('last');
    const signedIn = await federatedSignIn('local', email);
    const answer = await call('DELETE', '/auth/identities/local', { headers: bearer(signedIn.accessToken) });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('last_sign_in_method');
    expect(await providersOf(signedIn.accessToken)).toEqual(['local']);
    expect((await federatedSignIn('local', email)).user.id).toBe(signedIn.user.id);
  }, TIMEOUT);

  it('answers 404 for a provider the account has no identity of', async () => {
    const caller = await passwordAccount(address('none'));
    expect((await call('DELETE', '/auth/identities/local', { headers: bearer(caller.accessToken) })).status).toBe(404);
  }, TIMEOUT);

  it('attack: two unlinks racing on a password-less account with two identities cannot both succeed and leave it with no way in', async () => {
    const signedIn = await federatedSignIn('local', address('race'));
    expect((await link(signedIn.accessToken, 'unverified', address('race-second'))).searchParams.get('linked')).toBe('unverified');
    const answers = await Promise.all(['local', 'unverified'].map((p) => call('DELETE', `/auth/identities/${p}`, { headers: bearer(signedIn.accessToken) })));
    expect(answers.map((a) => a.status).sort()).toEqual([204, 409]);
    expect(await providersOf(signedIn.accessToken)).toHaveLength(1);
  }, TIMEOUT);
});

describe('deleting an account without a password', () => {
  it('deletes a federated-only account with an empty body and a fresh sign-in (the step-up is its proof); the identity can sign up afresh', async () => {
    const email = address('delete');
    const signedIn = await federatedSignIn('local', email);
    const answer = await call('DELETE', '/auth/me', { json: {}, headers: bearer(signedIn.accessToken) });
    expect(answer.status, answer.text).toBe(204);
    expect(await refreshes(signedIn.refreshToken)).toBe(false);
    const fresh = await federatedSignIn('local', email);
    expect(fresh.user.id).not.toBe(signedIn.user.id);
  }, TIMEOUT);

  it('still asks an account with a password for it (400 without one)', async () => {
    const caller = await passwordAccount(address('has-password'));
    const answer = await call('DELETE', '/auth/me', { json: {}, headers: bearer(caller.accessToken) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ field: 'password', message: 'is required' }]);
    expect(await refreshes(caller.refreshToken)).toBe(true);
  }, TIMEOUT);

  it('checks a password sent for an account without one, and refuses it like a wrong one (401 invalid_credentials)', async () => {
    const signedIn = await federatedSignIn('local', address('no-password'));
    const answer = await call('DELETE', '/auth/me', { json: { password: PASSWORD }, headers: bearer(signedIn.accessToken) });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_credentials');
    expect(await refreshes(signedIn.refreshToken)).toBe(true);
  }, TIMEOUT);
});
