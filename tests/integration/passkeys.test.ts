/**
 * Passkeys on the use cases, against DynamoDB Local, with a software authenticator
 * (tests/helpers/soft-authenticator.ts) making the responses: registration as a factor, the
 * passwordless sign-in, the second step of a password sign-in, reauthentication, removal, and the
 * attacks of docs/guides/mfa-and-passkeys.md "Passkeys (WebAuthn)", one test each. The same flows run in a real browser in
 * tests/e2e/passkeys-browser.test.ts.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { passkeyKey } from '../../lib/repositories/factors';
import { NO_PASSWORD, userKey } from '../../lib/repositories/users';
import { deleteAccount } from '../../lib/usecases/account-deletion';
import { deleteUser } from '../../lib/usecases/user-admin';
import type { MfaRequired, SignedIn, SignInResult } from '../../lib/sign-in';
import { accessSettings } from '../../lib/tokens/access-settings';
import { verifyAccessToken } from '../../lib/tokens/access-token';
import { passwordLogin, testDeps, uniqueEmail } from '../helpers/deps';
import { login } from '../../lib/usecases/login';
import { listFactors, removeFactor } from '../../lib/usecases/mfa';
import { passkeyChallengeForMfa, passkeyLoginOptions, passkeyRegistrationOptions } from '../../lib/usecases/passkey-options';
import { reauthenticateWithPasskey, registerPasskey, signInWithPasskey, verifyPasskeySecondStep } from '../../lib/usecases/passkeys';
import { refresh } from '../../lib/usecases/refresh';
import { register } from '../../lib/usecases/register';
import { SoftAuthenticator, withChallenge } from '../helpers/soft-authenticator';

const PASSWORD = 'correct horse battery';
const ORIGIN = 'http://localhost:5173';
const meta = { ip: '203.0.113.88', userAgent: 'vitest/passkeys' };
type Ctx = ReturnType<typeof testDeps>;
type D = Ctx['deps'];

const claimsOf = (deps: D, accessToken: string) => verifyAccessToken(deps.keys, accessSettings(deps.config), accessToken, deps.clock());

function signedIn(result: SignInResult): SignedIn {
  if ('mfaRequired' in result) throw new Error('expected tokens, got mfaRequired');
  return result;
}
function challenged(result: SignInResult): MfaRequired {
  if (!('mfaRequired' in result)) throw new Error('expected mfaRequired, got tokens');
  return result;
}

async function callerOf(deps: D, accessToken: string) {
  const c = await claimsOf(deps, accessToken);
  return { userId: c.sub, sessionId: c.sid, acr: c.acr ?? 'aal1', authTime: c.authTime ?? 0 };
}

/** A registered user holding a passkey on `authenticator` (its first factor, registered from its first session). */
async function userWithPasskey(ctx: Ctx, authenticator = new SoftAuthenticator(ORIGIN)) {
  const { deps } = ctx;
  const email = uniqueEmail('passkey');
  const first = await register(deps, { email, password: PASSWORD, name: 'Ada' }, meta);
  const caller = await callerOf(deps, first.accessToken);
  const options = await passkeyRegistrationOptions(deps, caller);
  const { credential, response } = authenticator.create(options);
  const { factor } = await registerPasskey(deps, caller, { response, name: 'Laptop' }, meta);
  return { email, userId: first.user.id, first, caller, authenticator, credential, factor };
}

/** A passwordless sign-in with the authenticator's credential (options, then the assertion). */
async function passkeySignIn(deps: D, authenticator: SoftAuthenticator, ceremony: Parameters<SoftAuthenticator['get']>[1] = {}) {
  const options = await passkeyLoginOptions(deps, meta);
  return signInWithPasskey(deps, { response: authenticator.get(options, ceremony) }, meta);
}

const refused = { code: 'invalid_code' };

describe('passkeys', () => {
  it('registers a passkey as the first factor (other sessions revoked, the registering one aal2 from its next refresh) and signs in with it alone at aal2', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const email = uniqueEmail('passkey');
    const first = await register(deps, { email, password: PASSWORD, name: 'Ada' }, meta);
    const other = await passwordLogin(deps, { email, password: PASSWORD }, meta);
    const caller = await callerOf(deps, first.accessToken);
    const options = await passkeyRegistrationOptions(deps, caller);
    expect(options).toMatchObject({
      rp: { id: 'localhost' },
      user: { name: email, displayName: 'Ada' },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      timeout: 300_000,
    });
    const authenticator = new SoftAuthenticator(ORIGIN);
    const { response } = authenticator.create(options);
    const { factor } = await registerPasskey(deps, caller, { response, name: 'Laptop' }, meta);
    expect(factor).toEqual({ id: expect.any(String), type: 'passkey', name: 'Laptop', createdAt: deps.clock().toISOString() });
    expect((await listFactors(deps, caller)).factors).toEqual([{ ...factor, lastUsedAt: null }]);

    // A first factor is a credential change: the other session is gone, the caller's is aal2.
    await expect(refresh(deps, other.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    const rotated = await refresh(deps, first.refreshToken);
    expect(await claimsOf(deps, rotated.accessToken)).toMatchObject({ acr: 'aal2', amr: ['pwd', 'hwk', 'user', 'mfa'] });
    const events = (await deps.events.list(first.user.id, 10, deps.clock())).events;
    expect(events.find((e) => e.type === 'factor_added')).toMatchObject({ detail: 'passkey', ip: meta.ip });

    // The password alone no longer signs in; the passkey alone does, at aal2.
    expect(challenged(await login(deps, { email, password: PASSWORD }, meta)).factors).toEqual([{ id: factor.id, type: 'passkey' }]);
    const done = signedIn(await passkeySignIn(deps, authenticator));
    expect(done.user).toMatchObject({ id: first.user.id, email });
    expect(await claimsOf(deps, done.accessToken)).toMatchObject({ sub: first.user.id, acr: 'aal2', amr: ['hwk', 'user', 'mfa'] });
    expect((await listFactors(deps, caller)).factors[0]!.lastUsedAt).toBe(deps.clock().toISOString());
  });

  it('a synced passkey (no signature counter: 0 stays 0) signs in again and again, as swk', async () => {
    const ctx = testDeps();
    const user = await userWithPasskey(ctx, new SoftAuthenticator(ORIGIN, { synced: true }));
    for (let i = 0; i < 3; i += 1) {
      const done = signedIn(await passkeySignIn(ctx.deps, user.authenticator));
      expect(await claimsOf(ctx.deps, done.accessToken)).toMatchObject({ sub: user.userId, acr: 'aal2', amr: ['swk', 'user', 'mfa'] });
    }
  });

  it('completes a password sign-in as its second factor: /auth/mfa/challenge options for the user, then verify with the passkey', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const user = await userWithPasskey(ctx);
    const step1 = challenged(await login(deps, { email: user.email, password: PASSWORD }, meta));
    const options = await passkeyChallengeForMfa(deps, { mfaToken: step1.mfaToken });
    expect(options).toMatchObject({ rpId: 'localhost', userVerification: 'required', allowCredentials: [{ id: user.credential.id, type: 'public-key' }] });
    const done = signedIn(await verifyPasskeySecondStep(deps, { mfaToken: step1.mfaToken, passkey: user.authenticator.get(options) }, meta));
    expect(await claimsOf(deps, done.accessToken)).toMatchObject({ sub: user.userId, acr: 'aal2', amr: ['pwd', 'hwk', 'user', 'mfa'] });
    // The mfaToken was used with it.
    await expect(passkeyChallengeForMfa(deps, { mfaToken: step1.mfaToken })).rejects.toMatchObject({ code: 'invalid_mfa_token' });
  });

  it("a second-step challenge is bound to its mfaToken: another sign-in's token cannot use it", async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const user = await userWithPasskey(ctx);
    const a = challenged(await login(deps, { email: user.email, password: PASSWORD }, meta));
    const b = challenged(await login(deps, { email: user.email, password: PASSWORD }, meta));
    const options = await passkeyChallengeForMfa(deps, { mfaToken: a.mfaToken });
    await expect(verifyPasskeySecondStep(deps, { mfaToken: b.mfaToken, passkey: user.authenticator.get(options) }, meta)).rejects.toMatchObject(refused);
  });

  it('reauthenticates a session with a passkey: fresh auth_time at aal2, same session', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const user = await userWithPasskey(ctx);
    ctx.clock.advance(600_000);
    const options = await passkeyLoginOptions(deps, meta);
    const tokens = await reauthenticateWithPasskey(deps, user.caller, { passkey: user.authenticator.get(options) });
    const claims = await claimsOf(deps, tokens.accessToken);
    expect(claims).toMatchObject({ sid: user.caller.sessionId, acr: 'aal2', amr: ['hwk', 'user', 'mfa'], authTime: Math.floor(deps.clock().getTime() / 1000) });
  });

  it("reauthentication refuses another user's passkey", async () => {
    const ctx = testDeps();
    const a = await userWithPasskey(ctx);
    const b = await userWithPasskey(ctx);
    const options = await passkeyLoginOptions(ctx.deps, meta);
    await expect(reauthenticateWithPasskey(ctx.deps, a.caller, { passkey: b.authenticator.get(options) })).rejects.toMatchObject(refused);
  });

  it('removing a passkey is a credential change: its lookup goes, its assertions sign nobody in, factor_removed is recorded', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const user = await userWithPasskey(ctx);
    const elsewhere = signedIn(await passkeySignIn(deps, user.authenticator));
    await removeFactor(deps, user.caller, user.factor.id, meta);
    expect((await listFactors(deps, user.caller)).factors).toEqual([]);
    await expect(refresh(deps, elsewhere.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    await expect(passkeySignIn(deps, user.authenticator)).rejects.toMatchObject(refused);
    const events = (await deps.events.list(user.userId, 10, deps.clock())).events;
    expect(events.find((e) => e.type === 'factor_removed')).toMatchObject({ detail: 'passkey (last)' });
    // The password alone signs in again.
    await passwordLogin(deps, { email: user.email, password: PASSWORD }, meta);
  });

  it('attack: the last passkey of an account with no password and no linked provider removed (the account would have no way in): 409 last_sign_in_method, the passkey stays', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const user = await userWithPasskey(ctx);
    // As a federated account that registered a passkey and then unlinked its provider: no password.
    await ctx.doc.send(new UpdateCommand({ TableName: ctx.config.usersTable, Key: { pk: userKey(user.userId) }, UpdateExpression: 'SET passwordHash = :none', ExpressionAttributeValues: { ':none': NO_PASSWORD } }));
    await expect(removeFactor(deps, user.caller, user.factor.id, meta)).rejects.toMatchObject({ code: 'last_sign_in_method' });
    expect((await listFactors(deps, user.caller)).factors.map((f) => f.id)).toEqual([user.factor.id]);
    signedIn(await passkeySignIn(deps, user.authenticator));
  });

  it("account deletion, by the user or an operator, removes the passkeys' credential lookups with the factors", async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const lookup = async (credentialId: string) =>
      (await ctx.doc.send(new GetCommand({ TableName: ctx.config.usersTable, Key: { pk: passkeyKey(credentialId) }, ConsistentRead: true }))).Item;
    const user = await userWithPasskey(ctx);
    expect(await lookup(user.credential.id)).toMatchObject({ userId: user.userId });
    await deleteAccount(deps, user.caller, { password: PASSWORD }, meta);
    expect(await lookup(user.credential.id)).toBeUndefined();
    const other = await userWithPasskey(ctx);
    await deleteUser(deps, other.userId);
    expect(await lookup(other.credential.id)).toBeUndefined();
    await expect(passkeySignIn(deps, other.authenticator)).rejects.toMatchObject(refused);
  });

  it('a challenge expires after 5 minutes', async () => {
    const ctx = testDeps();
    const user = await userWithPasskey(ctx);
    const options = await passkeyLoginOptions(ctx.deps, meta);
    ctx.clock.advance(301_000);
    await expect(signInWithPasskey(ctx.deps, { response: user.authenticator.get(options) }, meta)).rejects.toMatchObject(refused);
  });

  it('a registration challenge is bound to the user who asked for it', async () => {
    const ctx = testDeps();
    const a = await userWithPasskey(ctx);
    const b = await userWithPasskey(ctx);
    const optionsForA = await passkeyRegistrationOptions(ctx.deps, a.caller);
    const { response } = new SoftAuthenticator(ORIGIN).create(optionsForA);
    await expect(registerPasskey(ctx.deps, b.caller, { response, name: undefined }, meta)).rejects.toMatchObject(refused);
  });
});

describe('passkey attacks', () => {
  it('attack: an assertion replayed answers invalid_code and opens no second session', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    // A synced passkey: its counter stays 0, so nothing but the single-use challenge stops a replay.
    const user = await userWithPasskey(ctx, new SoftAuthenticator(ORIGIN, { synced: true }));
    const options = await passkeyLoginOptions(deps, meta);
    const assertion = user.authenticator.get(options);
    signedIn(await signInWithPasskey(deps, { response: assertion }, meta));
    const sessions = await deps.sessions.listActiveSessionIds(user.userId, deps.clock());
    await expect(signInWithPasskey(deps, { response: assertion }, meta)).rejects.toMatchObject(refused);
    // Replayed in parallel too: none of them gets through.
    const replays = await Promise.allSettled(Array.from({ length: 5 }, () => signInWithPasskey(deps, { response: assertion }, meta)));
    expect(replays.every((r) => r.status === 'rejected')).toBe(true);
    expect(await deps.sessions.listActiveSessionIds(user.userId, deps.clock())).toEqual(sessions);
  });

  it('attack: an assertion made for another origin, or for another RP id, answers invalid_code', async () => {
    const ctx = testDeps();
    const user = await userWithPasskey(ctx);
    // A phishing page relaying the ceremony: the browser writes the page's real origin.
    await expect(passkeySignIn(ctx.deps, user.authenticator, { origin: 'https://login-example.evil' })).rejects.toMatchObject(refused);
    await expect(passkeySignIn(ctx.deps, user.authenticator, { rpId: 'evil.example' })).rejects.toMatchObject(refused);
    // The same authenticator on the right origin and RP id still works.
    signedIn(await passkeySignIn(ctx.deps, user.authenticator));
  });

  it("attack: an assertion for a credential registered to another user, with that user's handle swapped in, answers invalid_code and signs nobody in", async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const victim = await userWithPasskey(ctx);
    const attacker = await userWithPasskey(ctx);
    const victimSessions = await deps.sessions.listActiveSessionIds(victim.userId, deps.clock());
    const attackerSessions = await deps.sessions.listActiveSessionIds(attacker.userId, deps.clock());
    // The attacker signs with their own credential, claiming the victim's user handle.
    await expect(passkeySignIn(deps, attacker.authenticator, { userHandle: victim.credential.userHandle })).rejects.toMatchObject(refused);
    expect(await deps.sessions.listActiveSessionIds(victim.userId, deps.clock())).toEqual(victimSessions);
    expect(await deps.sessions.listActiveSessionIds(attacker.userId, deps.clock())).toEqual(attackerSessions);
    // And in the victim's second step, after the victim's password (a stolen one): refused too.
    const step1 = challenged(await login(deps, { email: victim.email, password: PASSWORD }, meta));
    const options = await passkeyChallengeForMfa(deps, { mfaToken: step1.mfaToken });
    await expect(
      verifyPasskeySecondStep(deps, { mfaToken: step1.mfaToken, passkey: attacker.authenticator.get(options, { userHandle: victim.credential.userHandle }) }, meta),
    ).rejects.toMatchObject(refused);
  });

  it('attack: a signature counter going backwards (a cloned authenticator) answers invalid_code', async () => {
    const ctx = testDeps();
    const user = await userWithPasskey(ctx);
    signedIn(await passkeySignIn(ctx.deps, user.authenticator, { counter: 5 }));
    // The clone signs with the counter it had when it was copied.
    await expect(passkeySignIn(ctx.deps, user.authenticator, { counter: 3 })).rejects.toMatchObject(refused);
    await expect(passkeySignIn(ctx.deps, user.authenticator, { counter: 5 })).rejects.toMatchObject(refused);
    // The genuine authenticator moves on.
    signedIn(await passkeySignIn(ctx.deps, user.authenticator, { counter: 6 }));
  });

  it("attack: a registration response replayed for a second account (its challenge rewritten: attestation none signs nothing) answers invalid_code; the credential still signs in its owner only", async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const email = uniqueEmail('victim');
    const victim = await register(deps, { email, password: PASSWORD, name: undefined }, meta);
    const victimCaller = await callerOf(deps, victim.accessToken);
    const authenticator = new SoftAuthenticator(ORIGIN);
    const { response } = authenticator.create(await passkeyRegistrationOptions(deps, victimCaller));
    await registerPasskey(deps, victimCaller, { response, name: undefined }, meta);

    const attacker = await register(deps, { email: uniqueEmail('attacker'), password: PASSWORD, name: undefined }, meta);
    const attackerCaller = await callerOf(deps, attacker.accessToken);
    // As captured: its challenge was the victim's, and is spent.
    await expect(registerPasskey(deps, attackerCaller, { response, name: undefined }, meta)).rejects.toMatchObject(refused);
    // With the attacker's own fresh challenge written in.
    const fresh = await passkeyRegistrationOptions(deps, attackerCaller);
    await expect(registerPasskey(deps, attackerCaller, { response: withChallenge(response, fresh.challenge), name: undefined }, meta)).rejects.toMatchObject(refused);
    expect((await listFactors(deps, attackerCaller)).factors).toEqual([]);
    const done = signedIn(await passkeySignIn(deps, authenticator));
    expect(done.user.id).toBe(victim.user.id);
  });

  it('attack: user verification absent (presence only), at registration and at sign-in, answers invalid_code', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const first = await register(deps, { email: uniqueEmail('uv'), password: PASSWORD, name: undefined }, meta);
    const caller = await callerOf(deps, first.accessToken);
    const { response } = new SoftAuthenticator(ORIGIN).create(await passkeyRegistrationOptions(deps, caller), { userVerified: false });
    await expect(registerPasskey(deps, caller, { response, name: undefined }, meta)).rejects.toMatchObject(refused);

    const user = await userWithPasskey(ctx);
    await expect(passkeySignIn(deps, user.authenticator, { userVerified: false })).rejects.toMatchObject(refused);
    const step1 = challenged(await login(deps, { email: user.email, password: PASSWORD }, meta));
    const options = await passkeyChallengeForMfa(deps, { mfaToken: step1.mfaToken });
    await expect(verifyPasskeySecondStep(deps, { mfaToken: step1.mfaToken, passkey: user.authenticator.get(options, { userVerified: false }) }, meta)).rejects.toMatchObject(refused);
  });
});
