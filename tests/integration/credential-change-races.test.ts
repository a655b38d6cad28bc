/**
 * Races between a credential change and a request of the same account that read the account
 * before the change committed, on the use cases against DynamoDB Local. Each race is run in both
 * orders of its dangerous window, forced rather than hoped for: one side is held after its reads,
 * just before its transaction (or its rotation), the other side runs to the end, then the held
 * side goes on with what it read. Then the same two requests are also sent side by side a few
 * times. Whatever the order, the state afterwards is checked item by item, not from the answers:
 *
 * - a first factor added (here a passkey) leaves no live session of the user but the enrolling
 *   one, and that one `aal2` (lib/usecases/mfa.ts commitFactorAdded);
 * - a factor removed leaves no live session of the user but the remover's, so no session proved
 *   by the removed factor outlives the removal (lib/usecases/mfa.ts removeFactor);
 * - of an unlink of the last federated identity and the removal of the last passkey of an
 *   account without a password, exactly one commits, the other answers `last_sign_in_method`
 *   (lib/usecases/identity-links.ts, lib/usecases/mfa.ts);
 * - a refresh never hands out a token of a session a password or email change revoked: either it
 *   rotated before the change (and that session is revoked with its successor), or it is refused;
 * - two refreshes of one token from two clients: at most one successor, and the copy is reuse.
 */
import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Secret } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { totpCode, totpStep } from '../../lib/mfa/totp';
import { FederationRepository } from '../../lib/repositories/federation';
import type { SessionRecord } from '../../lib/repositories/sessions';
import type { TransactionPart } from '../../lib/repositories/transactions';
import { NO_PASSWORD, trackedSessions, userKey } from '../../lib/repositories/users';
import { isActive } from '../../lib/sessions';
import type { MfaRequired, SignedIn, SignInResult } from '../../lib/sign-in';
import { accessSettings } from '../../lib/tokens/access-settings';
import { verifyAccessToken } from '../../lib/tokens/access-token';
import { parseRefreshToken } from '../../lib/tokens/refresh-token';
import type { AccountDeps } from '../../lib/usecases/account-deps';
import { confirmEmailChange } from '../../lib/usecases/email-change';
import { issueToken } from '../../lib/usecases/email-links';
import type { FederationDeps } from '../../lib/usecases/federation-deps';
import { linkIdentity, unlinkIdentity } from '../../lib/usecases/identity-links';
import { login } from '../../lib/usecases/login';
import { confirmTotp, enrolTotp, removeFactor, verifySecondFactor } from '../../lib/usecases/mfa';
import { passkeyChallengeForMfa, passkeyLoginOptions, passkeyRegistrationOptions } from '../../lib/usecases/passkey-options';
import { registerPasskey, signInWithPasskey, verifyPasskeySecondStep } from '../../lib/usecases/passkeys';
import { changePassword } from '../../lib/usecases/password';
import { refresh } from '../../lib/usecases/refresh';
import { register } from '../../lib/usecases/register';
import { parts } from '../../lib/repositories/transactions';
import { testDeps, uniqueEmail } from '../helpers/deps';
import { SoftAuthenticator } from '../helpers/soft-authenticator';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';
const ORIGIN = 'http://localhost:5173';
const meta = { ip: '203.0.113.99', userAgent: 'vitest/races' };
/** Side-by-side runs of each race after the two forced orders. */
const SIDE_BY_SIDE_TRIALS = 4;
type Ctx = ReturnType<typeof testDeps>;
type D = AccountDeps;

// ---------------------------------------------------------------------------------------------
// Holding one side of a race

interface Hold {
  /** Resolves once the held side reached its hold (its reads done, its write not sent). */
  reached: Promise<void>;
  release(): void;
  arrive(): void;
  released: Promise<void>;
}

function hold(): Hold {
  let arrive!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => (arrive = r));
  const released = new Promise<void>((r) => (release = r));
  return { reached, released, arrive, release };
}

/** `deps` whose first transaction holding a part labelled `label` waits for `h` before it is sent. */
function holdingTransaction(deps: D, label: string, h: Hold): D {
  let held = false;
  const real = deps.transactions;
  const transactions = {
    write: async (items: readonly TransactionPart[], options?: { conflictAttempts?: number }) => {
      if (!held && items.some((p) => p.label === label)) {
        held = true;
        h.arrive();
        await h.released;
      }
      return real.write(items, options);
    },
  } as D['transactions'];
  return { ...deps, transactions };
}

/** `deps` whose first read of a refresh token's record waits for `h` once read: the rotation that follows uses what it read. */
function holdingTokenRead(deps: D, h: Hold): D {
  let held = false;
  const real = deps.sessions;
  const sessions = new Proxy(real, {
    get(target, property) {
      if (property === 'getToken') {
        return async (id: string) => {
          const record = await target.getToken(id);
          if (!held) {
            held = true;
            h.arrive();
            await h.released;
          }
          return record;
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...deps, sessions };
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: { code?: string; message?: string } };
const settle = <T>(p: Promise<T>): Promise<Outcome<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: { code?: string }) => ({ ok: false as const, error }),
  );

/**
 * `held` runs with its deps held (see above) until `other` has run to its end, then goes on.
 * Returns both outcomes. Fails if `held` ended without ever reaching its hold (no race happened).
 */
async function inOrder<H, O>(h: Hold, held: () => Promise<H>, other: () => Promise<O>): Promise<{ held: Outcome<H>; other: Outcome<O> }> {
  const heldRun = settle(held());
  const first = await Promise.race([h.reached.then(() => 'reached' as const), heldRun.then(() => 'ended' as const)]);
  if (first === 'ended') throw new Error(`the held side ended before its hold: ${JSON.stringify(await heldRun)}`);
  const otherOutcome = await settle(other());
  h.release();
  return { held: await heldRun, other: otherOutcome };
}

// ---------------------------------------------------------------------------------------------
// Accounts and what is checked afterwards

const claimsOf = (deps: D, accessToken: string) => verifyAccessToken(deps.keys, accessSettings(deps.config), accessToken, deps.clock());

async function callerOf(deps: D, accessToken: string) {
  const c = await claimsOf(deps, accessToken);
  return { userId: c.sub, sessionId: c.sid };
}

function signedIn(result: SignInResult): SignedIn {
  if ('mfaRequired' in result) throw new Error('expected tokens, got mfaRequired');
  return result;
}
function challenged(result: SignInResult): MfaRequired {
  if (!('mfaRequired' in result)) throw new Error('expected mfaRequired, got tokens');
  return result;
}

async function registered(deps: D) {
  const email = uniqueEmail('race');
  const first = await register(deps, { email, password: PASSWORD, name: undefined }, meta);
  return { email, userId: first.user.id, first, caller: await callerOf(deps, first.accessToken) };
}

async function withTotp(ctx: Ctx) {
  const user = await registered(ctx.deps);
  const enrolment = await enrolTotp(ctx.deps, user.caller);
  const code = (offset = 0) => totpCode(Buffer.from(Secret.fromBase32(enrolment.secret).bytes), totpStep(ctx.deps.clock()) + offset);
  await confirmTotp(ctx.deps, user.caller, { factorId: enrolment.factor.id, code: code() }, meta);
  // The confirming code's step is spent: sign-ins use the next one.
  ctx.clock.advance(30_000);
  return { ...user, factorId: enrolment.factor.id, code };
}

async function withPasskey(ctx: Ctx) {
  const user = await registered(ctx.deps);
  const authenticator = new SoftAuthenticator(ORIGIN);
  const { response } = authenticator.create(await passkeyRegistrationOptions(ctx.deps, user.caller));
  const { factor } = await registerPasskey(ctx.deps, user.caller, { response, name: 'Laptop' }, meta);
  return { ...user, authenticator, factorId: factor.id };
}

/**
 * Every session of the user that is live now, read item by item (consistently): those the user
 * item names, those the byOwner index lists, and `known` ones (a racing sign-in's, which the user
 * item may have forgotten when the change revoked it).
 */
async function liveSessions(deps: D, userId: string, known: readonly string[] = []): Promise<SessionRecord[]> {
  const user = await deps.users.findById(userId, { consistent: true });
  const ids = new Set([...(user ? trackedSessions(user, deps.clock()).map((s) => s.sid) : []), ...(await deps.sessions.listActiveSessionIds(userId, deps.clock())), ...known]);
  const sessions = await Promise.all([...ids].map((sid) => deps.sessions.getSession(sid)));
  return sessions.filter((s): s is SessionRecord => isActive(s, deps.clock()) && s.userId === userId);
}

const sidOf = async (deps: D, result: Outcome<SignInResult>) => (result.ok && !('mfaRequired' in result.value) ? [(await claimsOf(deps, result.value.accessToken)).sid] : []);

// ---------------------------------------------------------------------------------------------

describe('race: a passkey registered as the first factor while the same user signs in with the password', () => {
  async function setup(ctx: Ctx) {
    const user = await registered(ctx.deps);
    const authenticator = new SoftAuthenticator(ORIGIN);
    const { response } = authenticator.create(await passkeyRegistrationOptions(ctx.deps, user.caller));
    return {
      user,
      registration: (deps: D) => registerPasskey(deps, user.caller, { response, name: 'Laptop' }, meta),
      signIn: (deps: D) => login(deps, { email: user.email, password: PASSWORD }, meta),
    };
  }

  /** The rule of a first factor: the enrolling session alone is live, at aal2; the racing sign-in's is not. */
  async function expectOnlyTheEnrollingSessionAal2(ctx: Ctx, user: { userId: string; caller: { sessionId: string } }, signInSid: string[]) {
    const live = await liveSessions(ctx.deps, user.userId, signInSid);
    expect(live.map((s) => s.sid), 'a session opened with the password alone outlived the first factor').toEqual([user.caller.sessionId]);
    expect(live[0]!.acr).toBe('aal2');
    expect(live.filter((s) => s.acr !== 'aal2')).toEqual([]);
  }

  it('attack: the password sign-in commits after the registration read the user: the registration retries and revokes it', async () => {
    const ctx = testDeps();
    const { user, registration, signIn } = await setup(ctx);
    const h = hold();
    const { held, other } = await inOrder(h, () => registration(holdingTransaction(ctx.deps, 'user', h)), () => signIn(ctx.deps));
    expect(held.ok, JSON.stringify(held)).toBe(true);
    // The sign-in won its race: it got a single-factor session, which the registration must end.
    expect(other.ok, JSON.stringify(other)).toBe(true);
    const sid = await sidOf(ctx.deps, other as Outcome<SignInResult>);
    expect(sid).toHaveLength(1);
    await expectOnlyTheEnrollingSessionAal2(ctx, user, sid);
    if (other.ok) await expect(refresh(ctx.deps, signedIn(other.value).refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });

  it('attack: the password sign-in read the user before the registration committed: its session write is refused', async () => {
    const ctx = testDeps();
    const { user, registration, signIn } = await setup(ctx);
    const h = hold();
    const { held, other } = await inOrder(h, () => signIn(holdingTransaction(ctx.deps, 'session', h)), () => registration(ctx.deps));
    expect(other.ok, JSON.stringify(other)).toBe(true);
    expect(held.ok).toBe(false);
    if (!held.ok) expect(held.error.code).toBe('invalid_credentials');
    await expectOnlyTheEnrollingSessionAal2(ctx, user, await sidOf(ctx.deps, held));
    // The password alone now asks for the passkey.
    challenged(await login(ctx.deps, { email: user.email, password: PASSWORD }, meta));
  });

  it('side by side: the registration always commits, and whatever the sign-in got does not outlive it', async () => {
    const ctx = testDeps();
    for (let trial = 0; trial < SIDE_BY_SIDE_TRIALS; trial += 1) {
      const { user, registration, signIn } = await setup(ctx);
      const [registered_, signed] = await Promise.all([settle(registration(ctx.deps)), settle(signIn(ctx.deps))]);
      expect(registered_.ok, JSON.stringify(registered_)).toBe(true);
      if (!signed.ok) expect(signed.error.code).toBe('invalid_credentials');
      await expectOnlyTheEnrollingSessionAal2(ctx, user, await sidOf(ctx.deps, signed));
    }
  });
});

describe('race: a factor removed while a sign-in completes its second step with that factor', () => {
  /**
   * removeFactor's rule (lib/usecases/mfa.ts): the removal is a credential change that revokes
   * every other session of the user, the remover's kept. So afterwards the remover's session is
   * the only live one, whether the second step committed before (revoked) or after (refused).
   */
  async function expectOnlyTheRemoversSession(ctx: Ctx, user: { userId: string; caller: { sessionId: string } }, signInSid: string[]) {
    const live = await liveSessions(ctx.deps, user.userId, signInSid);
    expect(live.map((s) => s.sid), 'a session proved by the removed factor outlived its removal').toEqual([user.caller.sessionId]);
    expect(await ctx.deps.factors.get(user.userId)).toMatchObject({ factors: [] });
  }

  const kinds = {
    TOTP: async (ctx: Ctx) => {
      const user = await withTotp(ctx);
      const step1 = challenged(await login(ctx.deps, { email: user.email, password: PASSWORD }, meta));
      const code = user.code();
      return { user, secondStep: (deps: D) => verifySecondFactor(deps, { mfaToken: step1.mfaToken, code }, meta) };
    },
    passkey: async (ctx: Ctx) => {
      const user = await withPasskey(ctx);
      const step1 = challenged(await login(ctx.deps, { email: user.email, password: PASSWORD }, meta));
      const passkey = user.authenticator.get(await passkeyChallengeForMfa(ctx.deps, { mfaToken: step1.mfaToken }));
      return { user, secondStep: (deps: D) => verifyPasskeySecondStep(deps, { mfaToken: step1.mfaToken, passkey }, meta) };
    },
  };

  for (const [kind, setup] of Object.entries(kinds)) {
    it(`attack: the ${kind} second step commits after the removal read the user: the removal retries and revokes its session`, async () => {
      const ctx = testDeps();
      const { user, secondStep } = await setup(ctx);
      const h = hold();
      const { held, other } = await inOrder(h, () => removeFactor(holdingTransaction(ctx.deps, 'user', h), user.caller, user.factorId, meta), () => secondStep(ctx.deps));
      expect(held.ok, JSON.stringify(held)).toBe(true);
      expect(other.ok, JSON.stringify(other)).toBe(true);
      const sid = await sidOf(ctx.deps, other);
      expect(sid).toHaveLength(1);
      await expectOnlyTheRemoversSession(ctx, user, sid);
    });

    it(`attack: the ${kind} second step read the user and its factor before the removal committed: it opens no session`, async () => {
      const ctx = testDeps();
      const { user, secondStep } = await setup(ctx);
      const h = hold();
      const { held, other } = await inOrder(h, () => secondStep(holdingTransaction(ctx.deps, 'session', h)), () => removeFactor(ctx.deps, user.caller, user.factorId, meta));
      expect(other.ok, JSON.stringify(other)).toBe(true);
      expect(held.ok).toBe(false);
      if (!held.ok) expect(['invalid_code', 'invalid_mfa_token']).toContain(held.error.code);
      await expectOnlyTheRemoversSession(ctx, user, await sidOf(ctx.deps, held));
    });

    it(`side by side: a ${kind} removal and the second step with it leave only the remover's session`, async () => {
      const ctx = testDeps();
      for (let trial = 0; trial < SIDE_BY_SIDE_TRIALS; trial += 1) {
        const { user, secondStep } = await setup(ctx);
        const [removed, signed] = await Promise.all([settle(removeFactor(ctx.deps, user.caller, user.factorId, meta)), settle(secondStep(ctx.deps))]);
        expect(removed.ok, JSON.stringify(removed)).toBe(true);
        if (!signed.ok) expect(['invalid_code', 'invalid_mfa_token']).toContain(signed.error.code);
        await expectOnlyTheRemoversSession(ctx, user, await sidOf(ctx.deps, signed));
      }
    });
  }

  it('attack: a passkey sign-in that read the passkey before its removal committed opens no session', async () => {
    const ctx = testDeps();
    const user = await withPasskey(ctx);
    const response = user.authenticator.get(await passkeyLoginOptions(ctx.deps, meta));
    const h = hold();
    const { held, other } = await inOrder(
      h,
      () => signInWithPasskey(holdingTransaction(ctx.deps, 'session', h), { response }, meta),
      () => removeFactor(ctx.deps, user.caller, user.factorId, meta),
    );
    expect(other.ok, JSON.stringify(other)).toBe(true);
    expect(held.ok).toBe(false);
    await expectOnlyTheRemoversSession(ctx, user, await sidOf(ctx.deps, held));
  });
});

describe('race: the last federated identity unlinked while the last passkey of an account without a password is removed', () => {
  /** An account with no password, one linked identity and one passkey, as a federated account that registered a passkey. */
  async function setup(ctx: Ctx) {
    const user = await withPasskey(ctx);
    const fed: FederationDeps = { ...ctx.deps, federation: new FederationRepository(ctx.doc, ctx.config.usersTable), providers: new Map() };
    const subject = randomUUID();
    await linkIdentity(fed, { provider: 'local', linkUserId: user.userId, linkSessionId: user.caller.sessionId }, { subject, email: user.email, emailVerified: true, name: undefined }, meta, ctx.deps.clock());
    await ctx.doc.send(new UpdateCommand({ TableName: ctx.config.usersTable, Key: { pk: userKey(user.userId) }, UpdateExpression: 'SET passwordHash = :none', ExpressionAttributeValues: { ':none': NO_PASSWORD } }));
    return {
      user,
      unlink: (deps: D) => unlinkIdentity({ ...fed, ...deps }, user.caller, 'local', meta),
      remove: (deps: D) => removeFactor(deps, user.caller, user.factorId, meta),
    };
  }

  /** Exactly one of the two committed, the loser answered last_sign_in_method, and the account kept the other way in. */
  async function expectOneWayInLeft(ctx: Ctx, userId: string, unlinked: Outcome<void>, removed: Outcome<void>) {
    expect([unlinked.ok, removed.ok].filter(Boolean), `unlink ${JSON.stringify(unlinked)}, removal ${JSON.stringify(removed)}`).toHaveLength(1);
    const loser = unlinked.ok ? removed : unlinked;
    if (!loser.ok) expect(loser.error.code).toBe('last_sign_in_method');
    const account = await ctx.deps.users.findById(userId, { consistent: true });
    const passkeys = (await ctx.deps.factors.get(userId)).factors.filter((f) => f.type === 'passkey');
    expect(account!.identities.length + passkeys.length, 'the account was left with no way to sign in').toBe(1);
    expect(account!.identities.length).toBe(unlinked.ok ? 0 : 1);
    expect(passkeys.length).toBe(removed.ok ? 0 : 1);
  }

  it('attack: the passkey removal commits after the unlink read the account: the unlink is refused', async () => {
    const ctx = testDeps();
    const { user, unlink, remove } = await setup(ctx);
    const h = hold();
    const { held, other } = await inOrder(h, () => unlink(holdingTransaction(ctx.deps, 'user', h)), () => remove(ctx.deps));
    expect(other.ok, JSON.stringify(other)).toBe(true);
    await expectOneWayInLeft(ctx, user.userId, held, other);
  });

  it('attack: the unlink commits after the passkey removal read the account: the removal is refused', async () => {
    const ctx = testDeps();
    const { user, unlink, remove } = await setup(ctx);
    const h = hold();
    const { held, other } = await inOrder(h, () => remove(holdingTransaction(ctx.deps, 'user', h)), () => unlink(ctx.deps));
    expect(other.ok, JSON.stringify(other)).toBe(true);
    await expectOneWayInLeft(ctx, user.userId, other, held);
    // The passkey kept still signs in.
    signedIn(await signInWithPasskey(ctx.deps, { response: user.authenticator.get(await passkeyLoginOptions(ctx.deps, meta)) }, meta));
  });

  it('side by side: exactly one of the two commits', async () => {
    const ctx = testDeps();
    for (let trial = 0; trial < SIDE_BY_SIDE_TRIALS; trial += 1) {
      const { user, unlink, remove } = await setup(ctx);
      const [unlinked, removed] = await Promise.all([settle(unlink(ctx.deps)), settle(remove(ctx.deps))]);
      await expectOneWayInLeft(ctx, user.userId, unlinked, removed);
    }
  });
});

describe('race: the last two passkeys of an account without a password removed at once', () => {
  /**
   * An account with no password and no identity: two passkeys, and (`totp`) a TOTP factor beside
   * them, which counts as a factor but never signs in on its own.
   */
  async function setup(ctx: Ctx, totp: boolean) {
    const user = await withPasskey(ctx);
    const second = new SoftAuthenticator(ORIGIN);
    const { response } = second.create(await passkeyRegistrationOptions(ctx.deps, user.caller));
    const { factor } = await registerPasskey(ctx.deps, user.caller, { response, name: 'Phone' }, meta);
    if (totp) {
      const enrolment = await enrolTotp(ctx.deps, user.caller);
      const code = totpCode(Buffer.from(Secret.fromBase32(enrolment.secret).bytes), totpStep(ctx.deps.clock()));
      await confirmTotp(ctx.deps, user.caller, { factorId: enrolment.factor.id, code }, meta);
    }
    await ctx.doc.send(new UpdateCommand({ TableName: ctx.config.usersTable, Key: { pk: userKey(user.userId) }, UpdateExpression: 'SET passwordHash = :none', ExpressionAttributeValues: { ':none': NO_PASSWORD } }));
    return { user, remove: (deps: D, factorId: string) => removeFactor(deps, user.caller, factorId, meta), first: user.factorId, second: factor.id };
  }

  /** Exactly one removal committed, the other answered last_sign_in_method, and one passkey is left. */
  async function expectOnePasskeyLeft(ctx: Ctx, userId: string, a: Outcome<void>, b: Outcome<void>) {
    expect([a.ok, b.ok].filter(Boolean), `removals ${JSON.stringify(a)}, ${JSON.stringify(b)}`).toHaveLength(1);
    const loser = a.ok ? b : a;
    if (!loser.ok) expect(loser.error.code).toBe('last_sign_in_method');
    const passkeys = (await ctx.deps.factors.get(userId)).factors.filter((f) => f.type === 'passkey');
    expect(passkeys, 'the account was left with no way to sign in').toHaveLength(1);
  }

  for (const totp of [false, true]) {
    const beside = totp ? ' (a TOTP factor beside them)' : '';
    it(`attack: one removal commits after the other read the factors${beside}: the other is refused`, async () => {
      const ctx = testDeps();
      const { user, remove, first, second } = await setup(ctx, totp);
      const h = hold();
      const { held, other } = await inOrder(h, () => remove(holdingTransaction(ctx.deps, 'user', h), first), () => remove(ctx.deps, second));
      expect(other.ok, JSON.stringify(other)).toBe(true);
      await expectOnePasskeyLeft(ctx, user.userId, held, other);
    });

    it(`side by side: exactly one of the two removals commits${beside}`, async () => {
      const ctx = testDeps();
      for (let trial = 0; trial < SIDE_BY_SIDE_TRIALS; trial += 1) {
        const { user, remove, first, second } = await setup(ctx, totp);
        const [a, b] = await Promise.all([settle(remove(ctx.deps, first)), settle(remove(ctx.deps, second))]);
        await expectOnePasskeyLeft(ctx, user.userId, a, b);
      }
    });
  }
});

describe('race: a refresh of another session while a credential change revokes it', () => {
  const changes = {
    'a password change': async (_ctx: Ctx, user: Awaited<ReturnType<typeof registered>>) => (deps: D): Promise<unknown> =>
      changePassword(deps, user.caller, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, meta),
    'an email change confirmation': async (ctx: Ctx, user: Awaited<ReturnType<typeof registered>>) => {
      // The link the new address got, made current directly: this test is about the race.
      const { token, items } = issueToken(ctx.deps, 'email_change', user.userId, ctx.deps.clock(), undefined, { newEmail: uniqueEmail('moved') });
      await ctx.deps.transactions.write(parts('token', items));
      return (deps: D): Promise<unknown> => confirmEmailChange(deps, token.value, meta);
    },
  };

  async function setup(ctx: Ctx, change: keyof typeof changes) {
    const user = await registered(ctx.deps);
    // The session the change revokes: a second sign-in of the same user.
    const other = signedIn(await login(ctx.deps, { email: user.email, password: PASSWORD }, meta));
    return { user, other, otherSid: (await callerOf(ctx.deps, other.accessToken)).sessionId, change: await changes[change](ctx, user) };
  }

  /** The refreshed session is revoked: neither the presented token nor any successor rotates again. */
  async function expectNothingOfTheSessionLeft(ctx: Ctx, sid: string, tokens: string[]) {
    expect(isActive(await ctx.deps.sessions.getSession(sid), ctx.deps.clock()), 'the session outlived the change').toBe(false);
    for (const token of tokens) await expect(refresh(ctx.deps, token)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  }

  for (const name of Object.keys(changes) as (keyof typeof changes)[]) {
    it(`attack: a refresh that read its token before ${name} committed is refused, not rotated into the revoked session`, async () => {
      const ctx = testDeps();
      const { other, otherSid, change } = await setup(ctx, name);
      const h = hold();
      const { held, other: changed } = await inOrder(h, () => refresh(holdingTokenRead(ctx.deps, h), other.refreshToken), () => change(ctx.deps));
      expect(changed.ok, JSON.stringify(changed)).toBe(true);
      expect(held.ok, 'a refresh handed out a token of a session the change revoked').toBe(false);
      if (!held.ok) expect(held.error.code).toBe('invalid_refresh_token');
      // Nothing was rotated: the presented token's record has no successor.
      expect((await ctx.deps.sessions.getToken(parseRefreshToken(other.refreshToken)!.id))?.successorId).toBeUndefined();
      await expectNothingOfTheSessionLeft(ctx, otherSid, [other.refreshToken]);
    });

    it(`attack: a refresh that rotated after ${name} read the user: the change still revokes the session and its successor`, async () => {
      const ctx = testDeps();
      const { other, otherSid, change } = await setup(ctx, name);
      const h = hold();
      const { held: changed, other: refreshed } = await inOrder(h, () => change(holdingTransaction(ctx.deps, 'user', h)), () => refresh(ctx.deps, other.refreshToken));
      expect(changed.ok, JSON.stringify(changed)).toBe(true);
      expect(refreshed.ok, JSON.stringify(refreshed)).toBe(true);
      await expectNothingOfTheSessionLeft(ctx, otherSid, [other.refreshToken, ...(refreshed.ok ? [refreshed.value.refreshToken] : [])]);
    });

    it(`side by side: a refresh and ${name}`, async () => {
      const ctx = testDeps();
      for (let trial = 0; trial < SIDE_BY_SIDE_TRIALS; trial += 1) {
        const { other, otherSid, change } = await setup(ctx, name);
        const [changed, refreshed] = await Promise.all([settle(change(ctx.deps)), settle(refresh(ctx.deps, other.refreshToken))]);
        expect(changed.ok, JSON.stringify(changed)).toBe(true);
        if (!refreshed.ok) expect(refreshed.error.code).toBe('invalid_refresh_token');
        await expectNothingOfTheSessionLeft(ctx, otherSid, [other.refreshToken, ...(refreshed.ok ? [refreshed.value.refreshToken] : [])]);
      }
    });
  }
});

describe('race: one refresh token presented twice at once', () => {
  it('attack: a copy of the token presented from another client while the owner rotates it is reuse: one successor at most, and the session ends', async () => {
    const ctx = testDeps();
    const user = await registered(ctx.deps);
    const sid = user.caller.sessionId;
    const h = hold();
    // The owner read the token first; the copy rotates it meanwhile; then the owner's rotation goes on.
    const { held: owner, other: copy } = await inOrder(
      h,
      () => refresh(holdingTokenRead(ctx.deps, h), user.first.refreshToken, { userAgent: 'owner-app/1.0' }),
      () => refresh(ctx.deps, user.first.refreshToken, { userAgent: 'attacker/1.0' }),
    );
    expect(copy.ok, JSON.stringify(copy)).toBe(true);
    expect(owner.ok).toBe(false);
    if (!owner.ok) expect(owner.error.code).toBe('refresh_token_reused');
    const record = await ctx.deps.sessions.getToken(parseRefreshToken(user.first.refreshToken)!.id);
    expect(record?.successorId, 'exactly one successor was stored').toBe(copy.ok ? parseRefreshToken(copy.value.refreshToken)!.id : undefined);
    expect(isActive(await ctx.deps.sessions.getSession(sid), ctx.deps.clock()), 'reuse must end the session').toBe(false);
    if (copy.ok) await expect(refresh(ctx.deps, copy.value.refreshToken, { userAgent: 'attacker/1.0' })).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });
});
