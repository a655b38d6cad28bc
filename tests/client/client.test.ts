/// <reference lib="dom" />
/**
 * The client package (client/src) against the real local API: the run's offline gateway,
 * DynamoDB Local and SES emulator. Cookie mode runs in Node through tests/helpers/client-fetch.ts
 * (a browser's cookie jar and Origin); every answer the client receives is checked against
 * docs/openapi.yaml there.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Secret } from 'otpauth';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { AuthError, createAuthClient, isAuthError, type AuthClient, type SessionEvents } from '../../client/src/index';
import { totpCode, totpStep } from '../../lib/mfa/totp';
import { testFetch, type TestFetch } from '../helpers/client-fetch';
import { testDeps, uniqueEmail } from '../helpers/deps';
import { latestToken } from '../helpers/mail';

const PASSWORD = 'correct horse battery';
const REFRESH = 'POST /auth/refresh';
const clients: TestFetch[] = [];

function client(options: { transport?: 'cookie' | 'body'; jar?: TestFetch } = {}): { auth: AuthClient; jar: TestFetch; ended: Array<SessionEvents['sessionend']> } {
  const jar = options.jar ?? testFetch();
  clients.push(jar);
  const auth = createAuthClient({ baseUrl: inject('apiUrl'), fetch: jar.fetch, ...(options.transport ? { transport: options.transport } : {}) });
  const ended: Array<SessionEvents['sessionend']> = [];
  auth.on('sessionend', (event) => ended.push(event));
  return { auth, jar, ended };
}

/** The error a promise rejects with (failing when it resolves). */
async function failure(promise: Promise<unknown>): Promise<AuthError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isAuthError(outcome), `expected an AuthError, got ${String(outcome)}`).toBe(true);
  return outcome as AuthError;
}

/**
 * The refusal of a call made with the token of a session just revoked. The authorizer trusts a
 * "live" session it read for AUTHORIZER_LIVE_CACHE_SECONDS (3 s), so the call is repeated until
 * the revocation is seen.
 */
const refusedAfterRevocation = (call: () => Promise<unknown>) => vi.waitFor(() => failure(call()), { timeout: 30_000, interval: 500 });

const claimsOf = (accessToken: string) => JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8'));

afterEach(() => {
  for (const jar of clients.splice(0)) expect(jar.problems).toEqual([]);
});

describe('client in cookie mode (the default)', () => {
  it('signs up, keeps the refresh token out of reach, restores the session after a reload with one refresh, signs out', async () => {
    const { auth, jar, ended } = client();
    const email = uniqueEmail('client');
    const user = await auth.register({ email, password: PASSWORD, name: 'Ada' });
    expect(user).toMatchObject({ email, name: 'Ada', emailVerified: false });
    expect(jar.cookies.has('__Host-refresh_token')).toBe(true);
    expect(auth.refreshToken()).toBeNull();
    expect(await auth.account.me()).toEqual({ ...user, identities: [] });

    // A reload: a new client on the same browser (cookie jar) starts without an access token.
    const { auth: reloaded } = client({ jar });
    expect(reloaded.signedIn()).toBe(false);
    expect((await reloaded.account.me()).id).toBe(user.id);
    expect(jar.count(REFRESH)).toBe(1);

    await reloaded.logout();
    expect(jar.cookies.has('__Host-refresh_token')).toBe(false);
    expect(reloaded.signedIn()).toBe(false);
    // The first tab's access token belongs to the ended session: the gateway refuses it, the one
    // refresh that follows is refused too, and the session ends there as well.
    const refused = await refusedAfterRevocation(() => auth.account.me());
    expect(refused.code).toBe('forbidden');
    expect(ended).toEqual([{ reason: 'refresh_failed', error: expect.objectContaining({ code: 'invalid_refresh_token', status: 401 }) }]);
    expect((await failure(auth.account.me())).code).toBe('not_signed_in');

    const again = await auth.login({ email, password: PASSWORD });
    expect(again).toEqual({ status: 'signedIn', user: expect.objectContaining({ id: user.id }) });
    expect(jar.cookies.has('__Host-device')).toBe(true);
  });

  it('shares one refresh between concurrent callers', async () => {
    const { auth, jar } = client();
    await auth.register({ email: uniqueEmail('single-flight'), password: PASSWORD });
    const { auth: reloaded } = client({ jar });
    const before = jar.count(REFRESH);
    const answers = await Promise.all([
      reloaded.account.me(),
      reloaded.account.me(),
      reloaded.activity.sessions(),
      reloaded.mfa.factors(),
      reloaded.activity.events(),
      reloaded.refresh(),
    ]);
    expect(answers).toHaveLength(6);
    expect(jar.count(REFRESH) - before).toBe(1);
  });
});

describe('client in body mode', () => {
  it('types the errors: validation details, a taken email, wrong credentials', async () => {
    const { auth } = client({ transport: 'body' });
    const invalid = await failure(auth.register({ email: 'not-an-email', password: 'short' }));
    expect(invalid).toMatchObject({ code: 'invalid_request', status: 400 });
    expect(invalid.details.map((d) => d.field).sort()).toEqual(['email', 'password']);
    const email = uniqueEmail('errors');
    await auth.register({ email, password: PASSWORD });
    expect(await failure(client({ transport: 'body' }).auth.register({ email, password: PASSWORD }))).toMatchObject({ code: 'email_taken', status: 409 });
    expect(await failure(auth.login({ email, password: 'wrong password' }))).toMatchObject({ code: 'invalid_credentials', status: 401 });
  });

  it('holds the refresh token and the device token in memory, and ends the session on a global logout', async () => {
    const { auth, jar, ended } = client({ transport: 'body' });
    const email = uniqueEmail('body');
    await auth.register({ email, password: PASSWORD });
    expect(jar.cookies.size).toBe(0);
    const first = auth.refreshToken();
    expect(first).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(await auth.refresh()).toBe(true);
    expect(auth.refreshToken()).not.toBe(first);

    await auth.login({ email, password: PASSWORD });
    const device = auth.deviceToken();
    expect(device).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const other = client({ transport: 'body' });
    await other.auth.login({ email, password: PASSWORD });

    // `others` keeps this session; `global` ends every one.
    await auth.logout('others');
    expect(ended).toEqual([]);
    expect((await refusedAfterRevocation(() => other.auth.account.me())).code).toBe('forbidden');
    expect(other.ended).toEqual([{ reason: 'refresh_failed', error: expect.objectContaining({ code: 'invalid_refresh_token' }) }]);
    expect((await auth.activity.sessions()).map((s) => s.current)).toEqual([true]);
    await auth.logout('global');
    expect(ended).toEqual([{ reason: 'logout' }]);
    expect(auth.signedIn()).toBe(false);

    // A resumed client (the app kept the tokens) sends the device token with its login.
    const resumed = client({ transport: 'body' });
    const withDevice = createAuthClient({ baseUrl: inject('apiUrl'), fetch: resumed.jar.fetch, transport: 'body', deviceToken: device! });
    await withDevice.login({ email, password: PASSWORD });
    expect(withDevice.deviceToken()).toBe(device);
  });

  it('walks the account: sessions, events, email verification, password change, forgot and reset, email change, deletion', async () => {
    const { auth, ended } = client({ transport: 'body' });
    const email = uniqueEmail('account');
    const user = await auth.register({ email, password: PASSWORD });

    await auth.account.resendVerification();
    expect(await auth.account.verifyEmail({ token: await latestToken(email, 'verify-email') })).toMatchObject({ id: user.id, emailVerified: true });

    const laptop = client({ transport: 'body' });
    await laptop.auth.login({ email, password: PASSWORD });
    const sessions = await auth.activity.sessions();
    expect(sessions).toHaveLength(2);
    await auth.activity.revokeSession(sessions.find((s) => !s.current)!.id);
    expect(await auth.activity.sessions()).toHaveLength(1);
    expect((await failure(auth.activity.revokeSession('no-such-session'))).code).toBe('not_found');

    const firstPage = await auth.activity.events({ limit: 2 });
    expect(firstPage.events).toHaveLength(2);
    expect(firstPage.next).toEqual(expect.any(String));
    const secondPage = await auth.activity.events({ limit: 2, cursor: firstPage.next! });
    expect(secondPage.events[0]!.id).not.toBe(firstPage.events[0]!.id);

    const newPassword = 'a different horse';
    await auth.account.changePassword({ currentPassword: PASSWORD, newPassword });
    expect(await failure(auth.account.changePassword({ currentPassword: PASSWORD, newPassword }))).toMatchObject({ code: 'invalid_credentials' });

    await auth.account.forgotPassword({ email });
    await auth.account.forgotPassword({ email: uniqueEmail('nobody') });
    await auth.account.resetPassword({ token: await latestToken(email, 'reset-password'), newPassword: PASSWORD });
    expect((await refusedAfterRevocation(() => auth.account.me())).code).toBe('forbidden');
    expect(ended.map((e) => e.reason)).toEqual(['refresh_failed']);

    await auth.login({ email, password: PASSWORD });
    const newEmail = uniqueEmail('moved');
    await auth.account.requestEmailChange({ newEmail });
    expect(await auth.account.confirmEmailChange({ token: await latestToken(newEmail, 'confirm-email') })).toMatchObject({ id: user.id, email: newEmail });
    expect((await auth.account.me()).email).toBe(newEmail);

    await auth.account.delete({ password: PASSWORD });
    expect(ended.map((e) => e.reason)).toEqual(['refresh_failed', 'account_deleted']);
    expect(await failure(auth.login({ email: newEmail, password: PASSWORD }))).toMatchObject({ code: 'invalid_credentials' });
  });

  it('answers mfaRequired as a typed result; a code or a recovery code completes the sign-in; factors and codes are managed', async () => {
    const { auth } = client({ transport: 'body' });
    const email = uniqueEmail('client-mfa');
    await auth.register({ email, password: PASSWORD });
    const enrolment = await auth.mfa.enrolTotp();
    const secret = Buffer.from(Secret.fromBase32(enrolment.secret).bytes);
    const step = totpStep(new Date());
    const confirmed = await auth.mfa.confirmTotp({ factorId: enrolment.factor.id, code: totpCode(secret, step) });
    expect(confirmed.recoveryCodes).toHaveLength(10);
    expect(claimsOf(await auth.accessToken())).toMatchObject({ acr: 'aal2' });
    expect((await auth.mfa.factors()).map((f) => f.id)).toEqual([enrolment.factor.id]);
    await auth.logout();

    const first = await auth.login({ email, password: PASSWORD });
    if (first.status !== 'mfaRequired') throw new Error('expected the second step');
    expect(first.factors).toEqual([{ id: enrolment.factor.id, type: 'totp' }]);
    expect(auth.signedIn()).toBe(false);
    expect(await failure(auth.verifySecondFactor({ mfaToken: first.mfaToken, code: totpCode(secret, step) }))).toMatchObject({ code: 'invalid_code', status: 401 });
    expect((await auth.verifySecondFactor({ mfaToken: first.mfaToken, code: totpCode(secret, step + 1) })).email).toBe(email);
    expect(auth.signedIn()).toBe(true);

    const second = client({ transport: 'body' }).auth;
    const challenge = await second.login({ email, password: PASSWORD });
    if (challenge.status !== 'mfaRequired') throw new Error('expected the second step');
    await second.verifySecondFactor({ mfaToken: challenge.mfaToken, recoveryCode: confirmed.recoveryCodes![0]! });
    expect(claimsOf(await second.accessToken())).toMatchObject({ acr: 'aal2', amr: ['pwd', 'mfa'] });

    const regenerated = await auth.mfa.regenerateRecoveryCodes();
    expect(regenerated).toHaveLength(10);
    await auth.mfa.removeFactor(enrolment.factor.id);
    expect(await auth.mfa.factors()).toEqual([]);
    expect(await auth.login({ email, password: PASSWORD })).toMatchObject({ status: 'signedIn' });
  });

  it('surfaces insufficient_user_authentication as needsReauthentication with the challenge; reauthenticate lets the operation through', async () => {
    const { auth } = client({ transport: 'body' });
    const email = uniqueEmail('step-up');
    await auth.register({ email, password: PASSWORD });
    // An old sign-in: the session's authentication moved back an hour; the next token states it.
    const { doc, config } = testDeps();
    const sid = claimsOf(await auth.accessToken()).sid;
    await doc.send(new UpdateCommand({ TableName: config.sessionsTable, Key: { pk: `SESSION#${sid}` }, UpdateExpression: 'SET authTime = authTime - :hour', ExpressionAttributeValues: { ':hour': 3600 } }));
    expect(await auth.refresh()).toBe(true);

    const refused = await failure(auth.mfa.enrolTotp());
    expect(refused).toMatchObject({ code: 'insufficient_user_authentication', status: 401, needsReauthentication: true, stepUp: { maxAge: 300 } });
    expect(await failure(auth.mfa.reauthenticate({ password: 'wrong password' }))).toMatchObject({ code: 'invalid_credentials', needsReauthentication: false });
    await auth.mfa.reauthenticate({ password: PASSWORD });
    expect((await auth.mfa.enrolTotp()).factor.confirmed).toBe(false);
  });
});
