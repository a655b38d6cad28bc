/**
 * Second factors end to end on the use cases, against DynamoDB Local: the login's `mfaRequired`
 * answer, the second step, enrolment as a credential change, recovery codes, reauthentication,
 * and the attacks of docs/guides/mfa-and-passkeys.md "Authenticator apps (TOTP) and recovery codes" and SECURITY.md, one test each.
 */
import { Secret } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { totpCode, totpStep } from '../../lib/mfa/totp';
import type { SignInResult, SignedIn, MfaRequired } from '../../lib/sign-in';
import { verifyAccessToken } from '../../lib/tokens/access-token';
import { accessSettings } from '../../lib/tokens/access-settings';
import { deleteAccount } from '../../lib/usecases/account-deletion';
import { deleteUser } from '../../lib/usecases/user-admin';
import { login } from '../../lib/usecases/login';
import { confirmTotp, enrolTotp, listFactors, reauthenticate, regenerateRecoveryCodes, removeFactor, verifySecondFactor } from '../../lib/usecases/mfa';
import { refresh } from '../../lib/usecases/refresh';
import { register } from '../../lib/usecases/register';
import { changePassword } from '../../lib/usecases/password';
import { testDeps, uniqueEmail } from '../helpers/deps';

const PASSWORD = 'correct horse battery';
const meta = { ip: '203.0.113.77', userAgent: 'vitest/mfa' };
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

/** The code an authenticator app would show `offset` steps from now, from the enrolment's base32 secret. */
function codeFor(deps: D, base32: string, offset = 0): string {
  return totpCode(Buffer.from(Secret.fromBase32(base32).bytes), totpStep(deps.clock()) + offset);
}

async function callerOf(deps: D, accessToken: string) {
  const c = await claimsOf(deps, accessToken);
  return { userId: c.sub, sessionId: c.sid, acr: c.acr ?? 'aal1', authTime: c.authTime ?? 0 };
}

/** A registered user with a confirmed TOTP factor: its secret, recovery codes and the enrolling session's tokens. */
async function enrolledUser(ctx: Ctx, options: { ip?: string } = {}) {
  const { deps } = ctx;
  const email = uniqueEmail('mfa');
  const first = await register(deps, { email, password: PASSWORD, name: undefined }, { ...meta, ip: options.ip ?? meta.ip });
  const caller = await callerOf(deps, first.accessToken);
  const enrolment = await enrolTotp(deps, caller);
  const confirmed = await confirmTotp(deps, caller, { factorId: enrolment.factor.id, code: codeFor(deps, enrolment.secret) });
  // The confirming code's step is used: sign-ins need the next one.
  ctx.clock.advance(30_000);
  return { email, userId: first.user.id, secret: enrolment.secret, factorId: enrolment.factor.id, recoveryCodes: confirmed.recoveryCodes!, confirmed, firstSid: caller.sessionId };
}

const nextStep = (ctx: Ctx) => ctx.clock.advance(30_000);

describe('second factors', () => {
  it('a login of a user with a factor answers mfaRequired and opens no session; the code completes it with aal2 claims', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const user = await enrolledUser(ctx);
    const before = await deps.sessions.listActiveSessionIds(user.userId, deps.clock());
    const step1 = challenged(await login(deps, { email: user.email, password: PASSWORD }, meta));
    expect(step1).toEqual({ mfaRequired: true, mfaToken: expect.stringMatching(/^[\w-]{43}$/), factors: [{ id: user.factorId, type: 'totp' }] });
    expect(Object.keys(step1)).not.toContain('accessToken');
    expect(await deps.sessions.listActiveSessionIds(user.userId, deps.clock())).toEqual(before);

    const done = signedIn(await verifySecondFactor(deps, { mfaToken: step1.mfaToken, code: codeFor(deps, user.secret) }, meta));
    const claims = await claimsOf(deps, done.accessToken);
    expect(claims).toMatchObject({ sub: user.userId, acr: 'aal2', amr: ['pwd', 'otp', 'mfa'], authTime: Math.floor(deps.clock().getTime() / 1000) });
    // Rotation keeps the session's authentication.
    ctx.clock.advance(60_000);
    const rotated = await refresh(deps, done.refreshToken);
    expect(await claimsOf(deps, rotated.accessToken)).toMatchObject({ acr: 'aal2', amr: ['pwd', 'otp', 'mfa'], authTime: claims.authTime });
  });

  it('a user without a factor signs in with aal1 and pwd; enabling the first factor revokes every other session and upgrades the caller', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const email = uniqueEmail('first');
    const reg = await register(deps, { email, password: PASSWORD, name: undefined }, meta);
    const other = signedIn(await login(deps, { email, password: PASSWORD }, meta));
    expect(await claimsOf(deps, other.accessToken)).toMatchObject({ acr: 'aal1', amr: ['pwd'] });
    const caller = await callerOf(deps, reg.accessToken);
    const enrolment = await enrolTotp(deps, caller);
    expect(enrolment.otpauthUri).toMatch(new RegExp(`^otpauth://totp/.*${encodeURIComponent(email).replace(/\./g, '\\.')}.*secret=${enrolment.secret}`));
    const confirmed = await confirmTotp(deps, caller, { factorId: enrolment.factor.id, code: codeFor(deps, enrolment.secret) });
    expect(confirmed.recoveryCodes).toHaveLength(10);
    expect(await claimsOf(deps, confirmed.accessToken)).toMatchObject({ sid: caller.sessionId, acr: 'aal2' });
    await expect(refresh(deps, other.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    // The caller's older refresh token now yields the session's new authentication.
    expect(await claimsOf(deps, (await refresh(deps, reg.refreshToken)).accessToken)).toMatchObject({ sid: caller.sessionId, acr: 'aal2' });
    expect((await listFactors(deps, caller)).factors).toEqual([
      { id: enrolment.factor.id, type: 'totp', name: expect.any(String), createdAt: expect.any(String), lastUsedAt: null },
    ]);
  });

  it('attack: a TOTP code replayed, at the same step and at an older one, answers invalid_code', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const user = await enrolledUser(ctx);
    const older = codeFor(deps, user.secret, -1);
    const code = codeFor(deps, user.secret);
    const a = challenged(await login(deps, { email: user.email, password: PASSWORD }, meta));
    signedIn(await verifySecondFactor(deps, { mfaToken: a.mfaToken, code }, meta));
    const b = challenged(await login(deps, { email: user.email, password: PASSWORD }, meta));
    await expect(verifySecondFactor(deps, { mfaToken: b.mfaToken, code }, meta)).rejects.toMatchObject({ code: 'invalid_code' });
    await expect(verifySecondFactor(deps, { mfaToken: b.mfaToken, code: older }, meta)).rejects.toMatchObject({ code: 'invalid_code' });
  });

  it('attack: one TOTP code replayed in parallel on 10 mfaTokens opens exactly one session', async () => {
    const ctx = testDeps({ env: { LOGIN_MAX_FAILURES: '50' } });
    const { deps } = ctx;
    const user = await enrolledUser(ctx);
    const tokens: string[] = [];
    for (let i = 0; i < 10; i += 1) tokens.push(challenged(await login(deps, { email: user.email, password: PASSWORD }, meta)).mfaToken);
    const code = codeFor(deps, user.secret);
    const results = await Promise.allSettled(tokens.map((mfaToken) => verifySecondFactor(deps, { mfaToken, code }, meta)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'invalid_code' });
  });

  it('attack: 6 wrong codes on one mfaToken: the sixth answers invalid_mfa_token, and so does the right code after it', async () => {
    const ctx = testDeps({ env: { LOGIN_MAX_FAILURES: '50' } });
    const { deps } = ctx;
    const user = await enrolledUser(ctx);
    const { mfaToken } = challenged(await login(deps, { email: user.email, password: PASSWORD }, meta));
    const right = codeFor(deps, user.secret);
    const wrong = right === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i += 1) await expect(verifySecondFactor(deps, { mfaToken, code: wrong }, meta)).rejects.toMatchObject({ code: 'invalid_code' });
    await expect(verifySecondFactor(deps, { mfaToken, code: wrong }, meta)).rejects.toMatchObject({ code: 'invalid_mfa_token' });
    await expect(verifySecondFactor(deps, { mfaToken, code: right }, meta)).rejects.toMatchObject({ code: 'invalid_mfa_token' });
  });

  it('attack: 20 parallel wrong codes for one account: no more than LOGIN_MAX_FAILURES are checked, the rest answer 429', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const user = await enrolledUser(ctx);
    const tokens: string[] = [];
    // The logins come from elsewhere (their own allowance); the guesses from one source.
    for (let i = 0; i < 20; i += 1) tokens.push(challenged(await login(deps, { email: user.email, password: PASSWORD }, { ...meta, ip: `198.51.100.${i + 1}` })).mfaToken);
    const right = codeFor(deps, user.secret);
    const wrong = right === '999999' ? '999998' : '999999';
    const results = await Promise.allSettled(tokens.map((mfaToken) => verifySecondFactor(deps, { mfaToken, code: wrong }, meta)));
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok'));
    expect(codes.filter((c) => c === 'invalid_code').length).toBeLessThanOrEqual(deps.config.loginMaxFailures);
    expect(codes.filter((c) => c === 'too_many_attempts').length).toBeGreaterThanOrEqual(20 - deps.config.loginMaxFailures);
    expect(codes).not.toContain('ok');
  });

  it('attack: an mfaToken reused after its success answers invalid_mfa_token, even with a fresh code', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const user = await enrolledUser(ctx);
    const { mfaToken } = challenged(await login(deps, { email: user.email, password: PASSWORD }, meta));
    signedIn(await verifySecondFactor(deps, { mfaToken, code: codeFor(deps, user.secret) }, meta));
    nextStep(ctx);
    await expect(verifySecondFactor(deps, { mfaToken, code: codeFor(deps, user.secret) }, meta)).rejects.toMatchObject({ code: 'invalid_mfa_token' });
  });

  it("attack: user A's mfaToken with user B's code answers invalid_code, and A's token still works with A's code", async () => {
    const ctx = testDeps({ env: { LOGIN_MAX_FAILURES: '50' } });
    const { deps } = ctx;
    const a = await enrolledUser(ctx);
    const b = await enrolledUser(ctx);
    const { mfaToken } = challenged(await login(deps, { email: a.email, password: PASSWORD }, meta));
    await expect(verifySecondFactor(deps, { mfaToken, code: codeFor(deps, b.secret) }, meta)).rejects.toMatchObject({ code: 'invalid_code' });
    await expect(verifySecondFactor(deps, { mfaToken, recoveryCode: b.recoveryCodes[0]! }, meta)).rejects.toMatchObject({ code: 'invalid_code' });
    const done = signedIn(await verifySecondFactor(deps, { mfaToken, code: codeFor(deps, a.secret) }, meta));
    expect(done.user.id).toBe(a.userId);
  });

  it('attack: a recovery code used twice (one after the other, and 10 times in parallel) signs in once', async () => {
    const ctx = testDeps({ env: { LOGIN_MAX_FAILURES: '50' } });
    const { deps } = ctx;
    const user = await enrolledUser(ctx);
    const [first, second] = user.recoveryCodes;
    const t1 = challenged(await login(deps, { email: user.email, password: PASSWORD }, meta));
    const done = signedIn(await verifySecondFactor(deps, { mfaToken: t1.mfaToken, recoveryCode: first!.toUpperCase() }, meta));
    expect(await claimsOf(deps, done.accessToken)).toMatchObject({ acr: 'aal2', amr: ['pwd', 'mfa'] });
    const t2 = challenged(await login(deps, { email: user.email, password: PASSWORD }, meta));
    await expect(verifySecondFactor(deps, { mfaToken: t2.mfaToken, recoveryCode: first! }, meta)).rejects.toMatchObject({ code: 'invalid_code' });

    const tokens: string[] = [];
    for (let i = 0; i < 10; i += 1) tokens.push(challenged(await login(deps, { email: user.email, password: PASSWORD }, meta)).mfaToken);
    const results = await Promise.allSettled(tokens.map((mfaToken) => verifySecondFactor(deps, { mfaToken, recoveryCode: second! }, meta)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('new recovery codes replace the old set; removing the last factor takes them with it and the login needs no code again', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const user = await enrolledUser(ctx);
    const caller = await callerOf(deps, user.confirmed.accessToken);
    const { recoveryCodes } = await regenerateRecoveryCodes(deps, caller);
    expect(recoveryCodes).toHaveLength(10);
    const t = challenged(await login(deps, { email: user.email, password: PASSWORD }, meta));
    await expect(verifySecondFactor(deps, { mfaToken: t.mfaToken, recoveryCode: user.recoveryCodes[0]! }, meta)).rejects.toMatchObject({ code: 'invalid_code' });
    signedIn(await verifySecondFactor(deps, { mfaToken: t.mfaToken, recoveryCode: recoveryCodes[0]! }, meta));

    await removeFactor(deps, caller, user.factorId);
    expect((await deps.factors.get(user.userId)).recovery).toBeUndefined();
    const plain = signedIn(await login(deps, { email: user.email, password: PASSWORD }, meta));
    expect(await claimsOf(deps, plain.accessToken)).toMatchObject({ acr: 'aal1' });
    await expect(regenerateRecoveryCodes(deps, caller)).rejects.toMatchObject({ code: 'not_found' });
  });

  it("attack: a factor deleted by another user answers 404 and the owner's factor stays", async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const victim = await enrolledUser(ctx);
    const attacker = await enrolledUser(ctx);
    const attackerCaller = await callerOf(deps, attacker.confirmed.accessToken);
    await expect(removeFactor(deps, attackerCaller, victim.factorId)).rejects.toMatchObject({ code: 'not_found' });
    expect((await deps.factors.get(victim.userId)).factors.map((f) => f.id)).toEqual([victim.factorId]);
  });

  it('attack: logins racing the first factor enrolment: no aal1 session survives it', async () => {
    const ctx = testDeps({ env: { LOGIN_MAX_FAILURES: '100' } });
    const { deps } = ctx;
    for (let trial = 0; trial < 3; trial += 1) {
      const email = uniqueEmail('race');
      const reg = await register(deps, { email, password: PASSWORD, name: undefined }, meta);
      const caller = await callerOf(deps, reg.accessToken);
      const enrolment = await enrolTotp(deps, caller);
      const code = codeFor(deps, enrolment.secret);
      const logins = Array.from({ length: 6 }, (_, i) => login(deps, { email, password: PASSWORD }, { ...meta, ip: `192.0.2.${i + 1}` }));
      const [confirmation, ...outcomes] = await Promise.allSettled([confirmTotp(deps, caller, { factorId: enrolment.factor.id, code }), ...logins]);
      expect(confirmation.status).toBe('fulfilled');
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expect(outcome.reason).toMatchObject({ code: 'invalid_credentials' });
          continue;
        }
        if ('mfaRequired' in outcome.value) continue;
        // A session opened before the factor committed: revoked by it, at refresh and at the authorizer.
        const sid = (await claimsOf(deps, outcome.value.accessToken)).sid;
        expect((await deps.sessions.getSession(sid))?.revokedAt).toBeDefined();
        await expect(refresh(deps, outcome.value.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
      }
    }
  });

  it('reauthentication refreshes auth_time in place (same session); a user with a factor must give a code, and gets aal2', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const user = await enrolledUser(ctx);
    const caller = await callerOf(deps, user.confirmed.accessToken);
    ctx.clock.advance(600_000);
    await expect(reauthenticate(deps, caller, { password: PASSWORD, code: undefined }, meta)).rejects.toMatchObject({ code: 'invalid_code' });
    await expect(reauthenticate(deps, caller, { password: 'wrong password!', code: codeFor(deps, user.secret) }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    const tokens = await reauthenticate(deps, caller, { password: PASSWORD, code: codeFor(deps, user.secret) }, meta);
    const claims = await claimsOf(deps, tokens.accessToken);
    expect(claims).toMatchObject({ sid: caller.sessionId, acr: 'aal2', authTime: Math.floor(deps.clock().getTime() / 1000) });
    // The code is now used for this step.
    await expect(reauthenticate(deps, caller, { password: PASSWORD, code: codeFor(deps, user.secret) }, meta)).rejects.toMatchObject({ code: 'invalid_code' });
  });

  it('a password change between the two steps kills the mfaToken', async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const user = await enrolledUser(ctx);
    const { mfaToken } = challenged(await login(deps, { email: user.email, password: PASSWORD }, meta));
    await changePassword(deps, { userId: user.userId, sessionId: user.firstSid }, { currentPassword: PASSWORD, newPassword: 'another passphrase' }, meta);
    await expect(verifySecondFactor(deps, { mfaToken, code: codeFor(deps, user.secret) }, meta)).rejects.toMatchObject({ code: 'invalid_mfa_token' });
  });

  it("account deletion, by the user or an operator, deletes the factors and recovery codes", async () => {
    const ctx = testDeps();
    const { deps } = ctx;
    const user = await enrolledUser(ctx);
    await deleteAccount(deps, { userId: user.userId, sessionId: user.firstSid }, { password: PASSWORD }, meta);
    expect(await deps.factors.get(user.userId)).toEqual({ factors: [], recovery: undefined });
    const other = await enrolledUser(ctx);
    await deleteUser(deps, other.userId);
    expect(await deps.factors.get(other.userId)).toEqual({ factors: [], recovery: undefined });
  });
});
