/**
 * Second factors (docs/guides/mfa-and-passkeys.md "Authenticator apps (TOTP) and recovery codes", docs/openapi.yaml tag `mfa`): the second step of a sign-in, TOTP enrolment
 * and confirmation, listing and removal of factors, recovery codes, and reauthentication.
 *
 * Every rule that must hold under parallel requests is a DynamoDB condition, never an earlier
 * read (lib/repositories/factors.ts, lib/repositories/mfa-tokens.ts): a TOTP code is accepted
 * once (`lastStep < :step`, written with the session), a recovery code is used once, an
 * mfaToken is consumed once and reserves at most 5 attempts, and the first and last factor are
 * decided by the factors item's size. Wrong codes also count against the account like failed
 * logins (lib/throttle/password-attempts.ts), reserved before the code is checked.
 *
 * Notices: every factor added or removed, and every new set of recovery codes, is told to the
 * user by email once its change has committed, through {@link noticeFactorChange} alone, so any
 * kind of factor added or removed through {@link commitFactorAdded} and {@link removeFactor} gets them.
 */
import { randomUUID } from 'node:crypto';
import { authenticationOf, type Method } from '../authentication';
import type { Caller } from '../caller';
import { commitCredentialChange } from '../credential-change';
import { hasCode, invalidCode, invalidCredentials, invalidMfaToken, lastSignInMethod, notFound, unauthorized } from '../errors';
import { describeError, log } from '../log';
import { newRecoveryCodes, recoveryCodeHash } from '../mfa/recovery-codes';
import { SealedSecretUnreadable } from '../mfa/secret-box';
import { checkTotp, newTotpSecret, totpIssuerName, totpSecretBase32, totpUri } from '../mfa/totp';
import { factorsKey, factorSetOf, PENDING_FACTOR_TTL_SECONDS, type FactorSet, type FactorType, type StoredFactor, type TotpFactor } from '../repositories/factors';
import type { MfaTokenRecord } from '../repositories/mfa-tokens';
import { failedOn, part, parts, type TransactionPart } from '../repositories/transactions';
import type { TransactWriteItem } from '../repositories/types';
import type { RecoveryCodeSet } from '../mfa/recovery-codes';
import { hasPassword, type UserRecord } from '../repositories/users';
import type { SecurityEventType } from '../repositories/security-events';
import { reauthenticatedSession, type TokenResponse } from '../sessions';
import { completeSignIn, signInBinding, type SignInResult } from '../sign-in';
import { reservePasswordAttempt } from '../throttle/password-attempts';
import type { MfaVerifyInput, ReauthenticateInput, TotpConfirmInput } from '../validation';
import type { Deps, RequestMeta } from './deps';
import type { AccountDeps } from './account-deps';
import { factorAddedNotice, factorRemovedNotice, notifyUser, recoveryCodesNotice } from '../notices';
import { checkPasswordLikeLogin } from './password-check';
import { epochSeconds } from '../clock';

/** A TOTP code that matched one of the user's factors: the step to record, and a fresher seal when the old one is stale. */
interface TotpMatch {
  factor: TotpFactor;
  step: number;
  resealed: string | undefined;
}

/**
 * Checks `code` against each TOTP factor of the set (steps after the factor's last accepted one
 * only). A factor whose secret cannot be opened (its data key removed by hand) is skipped and
 * logged: its owner signs in with a recovery code.
 */
async function matchTotp(deps: Deps, userId: string, set: FactorSet, code: string, now: Date): Promise<TotpMatch | undefined> {
  for (const factor of set.factors) {
    if (factor.type !== 'totp') continue;
    let opened;
    try {
      opened = await deps.totpBox.open(factor.secret, { userId, factorId: factor.id });
    } catch (err) {
      if (!(err instanceof SealedSecretUnreadable)) throw err;
      log.error('a TOTP secret cannot be opened', { event: 'totp_secret_unreadable', userId, factorId: factor.id, reason: err.reason });
      continue;
    }
    const step = checkTotp(opened.plaintext, code, now, { afterStep: factor.lastStep });
    if (step !== undefined) {
      const resealed = opened.stale ? await deps.totpBox.seal(opened.plaintext, { userId, factorId: factor.id }) : undefined;
      return { factor, step, resealed };
    }
  }
  return undefined;
}

/** Stores a fresher seal after a successful use; best effort (the old one still opens). */
async function reseal(deps: Deps, userId: string, match: TotpMatch | undefined): Promise<void> {
  if (!match?.resealed) return;
  await deps.factors.reseal(userId, match.factor.id, match.factor.secret, match.resealed).catch((err: unknown) => {
    log.warn('could not store a re-sealed TOTP secret', { userId, factorId: match.factor.id, error: String(err) });
  });
}

/** What one second step proved: its method and the writes that make the proof single use. */
export interface SecondStepProof {
  method: Method;
  writes: TransactionPart[];
  /** Runs after the session committed (a fresher TOTP seal, a log line). */
  after?: () => Promise<void>;
}

/** What a second step's check is given: the pending sign-in and the user with its factors, read after the attempt was reserved. */
export interface SecondStepContext<T> {
  pending: MfaTokenRecord;
  user: UserRecord;
  factors: FactorSet;
  now: Date;
  /** What `alongside` returned. */
  alongside: T;
}

/**
 * The frame of every second step (`POST /auth/mfa/verify` with a code, a recovery code or a
 * passkey): the mfaToken's attempt is reserved before anything is checked (a token is dead after
 * 5 attempts, whatever races), the account's throttle too, the user and its factors are read in
 * one BatchGetItem (with `alongside`, the check's own first request, in parallel), the token must
 * still be bound to the password the first step checked, then `check` proves the factor (or throws
 * `invalid_code`, recorded as a failed challenge, the attempts staying counted) and the session is
 * opened through lib/sign-in.ts with the token consumed and the check's writes in its transaction.
 */
export async function completeSecondStep<T = undefined>(
  deps: AccountDeps,
  mfaToken: string,
  meta: RequestMeta,
  step: { method: string; alongside?: (pending: MfaTokenRecord, now: Date) => Promise<T>; check(ctx: SecondStepContext<T>): Promise<SecondStepProof> },
): Promise<SignInResult> {
  const now = deps.clock();
  const pending = await deps.mfaTokens.reserveAttempt(mfaToken, now);
  if (!pending) throw invalidMfaToken();
  const [attempt, { user, items }, alongside] = await Promise.all([
    reservePasswordAttempt(deps, { email: pending.email, accountId: pending.userId, ip: meta.ip }, now),
    deps.users.findForSignIn(pending.userId, (id) => [factorsKey(id)]),
    step.alongside ? step.alongside(pending, now) : (undefined as T),
  ]);
  const factors = factorSetOf(items.get(factorsKey(pending.userId)));
  // The password the first step checked is no longer the password (or the account went).
  if (!user || user.disabledAt || signInBinding(user) !== pending.binding) throw invalidMfaToken();

  let proof: SecondStepProof;
  try {
    proof = await step.check({ pending, user, factors, now, alongside });
  } catch (err) {
    if (hasCode(err, 'invalid_code')) {
      log.warn('second factor failed', { event: 'mfa_challenge_failed', userId: user.id, method: step.method, reason: describeError(err.cause) });
      challengeFailed(deps, user.id, meta, deps.clock());
    }
    throw err;
  }
  const result = await completeSignIn(deps, user, meta, now, {
    methods: [...(pending.methods as Method[]), proof.method],
    factors,
    secondStep: [...proof.writes, part('mfa', deps.mfaTokens.consumeItem(mfaToken, { userId: user.id, binding: pending.binding }, now))],
    conflicts: { mfa: invalidMfaToken, factor: invalidCode, user: invalidMfaToken },
    // Known or not as the first step found it: the new device token and notice come now, with the session.
    device: { known: pending.knownDevice },
  });
  await attempt.succeeded();
  await proof.after?.();
  return result;
}

/**
 * POST /auth/mfa/verify with a TOTP code or a recovery code (a passkey: lib/usecases/passkeys.ts),
 * in the frame above. DynamoDB requests: (1) the mfaToken's attempt reserved; (2) one
 * BatchGetItem of the user and its factors, beside the throttle's counter read and its two
 * reservations (3 requests, the second and third after the read); (6) the session transaction with
 * the mfaToken consumed, the code's step or recovery code written and the user checked
 * (lib/sign-in.ts); (7, 8) the two give-backs side by side.
 */
export async function verifySecondFactor(deps: AccountDeps, input: Exclude<MfaVerifyInput, { passkey: object }>, meta: RequestMeta): Promise<SignInResult> {
  if (input.code !== undefined) {
    const code = input.code;
    return completeSecondStep(deps, input.mfaToken, meta, {
      method: 'otp',
      async check({ user, factors, now }) {
        const match = await matchTotp(deps, user.id, factors, code, now);
        if (!match) throw invalidCode();
        return {
          method: 'otp',
          writes: [part('factor', deps.factors.acceptTotpStepItem(user.id, match.factor.id, match.step, now))],
          after: () => reseal(deps, user.id, match),
        };
      },
    });
  }
  const recoveryCode = input.recoveryCode;
  return completeSecondStep(deps, input.mfaToken, meta, {
    method: 'recovery',
    async check({ user, factors, now }) {
      const recovery = factors.recovery;
      const hash = recovery ? recoveryCodeHash(recovery.salt, recoveryCode) : undefined;
      if (!recovery || !hash || !recovery.hashes.includes(hash)) throw invalidCode();
      return {
        method: 'recovery',
        writes: [part('factor', deps.factors.consumeRecoveryCodeItem(user.id, recovery.salt, hash, now))],
        after: async () => log.info('recovery code used', { event: 'recovery_code_used', userId: user.id, left: recovery.hashes.length - 1 }),
      };
    },
  });
}

async function callerUser(deps: Deps, caller: Pick<Caller, 'userId'>): Promise<UserRecord> {
  const user = await deps.users.findById(caller.userId, { consistent: true });
  if (!user || user.disabledAt) throw unauthorized();
  return user;
}

/** What enrolment answers: the secret, shown this once. */
export interface TotpEnrolment {
  factor: { id: string; type: 'totp'; confirmed: false };
  secret: string;
  otpauthUri: string;
}

/** POST /auth/mfa/totp (step-up): a pending TOTP factor, its secret sealed at rest and shown once. */
export async function enrolTotp(deps: Deps, caller: Pick<Caller, 'userId'>): Promise<TotpEnrolment> {
  const now = deps.clock();
  const user = await callerUser(deps, caller);
  const factorId = randomUUID();
  const secret = newTotpSecret();
  const sealed = await deps.totpBox.seal(secret, { userId: user.id, factorId });
  await deps.factors.createPending({
    userId: user.id,
    factorId,
    type: 'totp',
    name: 'Authenticator app',
    secret: sealed,
    createdAt: now.toISOString(),
    expiresAt: epochSeconds(now) + PENDING_FACTOR_TTL_SECONDS,
  });
  log.info('TOTP enrolment started', { event: 'factor_enrolment', userId: user.id, factorId });
  return {
    factor: { id: factorId, type: 'totp', confirmed: false },
    secret: totpSecretBase32(secret),
    otpauthUri: totpUri({ secret, email: user.email, issuer: totpIssuerName(deps.config.issuer) }),
  };
}

export type TotpConfirmation = { factor: PublicFactor; recoveryCodes?: string[] } & TokenResponse;

export interface PublicFactor {
  id: string;
  type: FactorType;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export const publicFactor = (f: Pick<StoredFactor, 'id' | 'type' | 'name' | 'createdAt' | 'lastUsedAt'>): PublicFactor => ({
  id: f.id,
  type: f.type,
  name: f.name,
  createdAt: f.createdAt,
  lastUsedAt: f.lastUsedAt ?? null,
});

/**
 * POST /auth/mfa/totp/confirm: the pending factor becomes active once its first code checks,
 * through {@link commitFactorAdded}. The first factor comes with 10 recovery codes; either way the
 * same transaction makes the caller's session `aal2` with a new token response.
 */
export async function confirmTotp(deps: AccountDeps, caller: Pick<Caller, 'userId' | 'sessionId'>, input: TotpConfirmInput, meta: RequestMeta = NO_ORIGIN): Promise<TotpConfirmation> {
  const now = deps.clock();
  const [user, pending, set] = await Promise.all([
    callerUser(deps, caller),
    deps.factors.findPending(caller.userId, input.factorId, now),
    deps.factors.get(caller.userId),
  ]);
  if (!pending) throw notFound();
  const opened = await deps.totpBox.open(pending.secret, { userId: user.id, factorId: pending.factorId });
  const step = checkTotp(opened.plaintext, input.code, now);
  if (step === undefined) {
    log.warn('TOTP confirmation failed', { event: 'mfa_challenge_failed', userId: user.id, method: 'otp' });
    challengeFailed(deps, user.id, meta, now);
    throw invalidCode();
  }
  const first = set.factors.length === 0;
  const issued = first ? newRecoveryCodes() : undefined;
  const authentication = authenticationOf(['pwd', 'otp'], now);
  const upgraded = await reauthenticatedSession(deps, user, caller.sessionId, authentication, now);
  if (!upgraded) throw unauthorized();
  await commitFactorAdded(deps, caller, meta, now, {
    factorId: pending.factorId,
    type: pending.type,
    email: user.email,
    first,
    recoveryCodesIssued: issued !== undefined,
    writes: [...parts('enrol', deps.factors.confirmItems(pending, { step, now, recovery: issued?.set })), ...upgraded.items],
  });
  return {
    factor: publicFactor({ id: pending.factorId, type: pending.type, name: pending.name, createdAt: pending.createdAt, lastUsedAt: undefined }),
    ...(issued ? { recoveryCodes: issued.codes } : {}),
    ...upgraded.tokens,
  };
}

/** A change to the user's second factors that the user is told about. */
export type FactorChange =
  | { kind: 'added'; type: string; recoveryCodes: boolean }
  | { kind: 'removed'; type: string; last: boolean }
  | { kind: 'recovery_codes' };

/**
 * The one place factor notices are sent from, after the change committed. Best effort: a notice
 * that cannot go out is logged (lib/notices.ts), the change stands and the request succeeds. A
 * first factor's recovery codes are named in its "added" notice rather than in a second email.
 */
export async function noticeFactorChange(deps: AccountDeps, user: { id: string; email: string }, change: FactorChange, meta: RequestMeta, now: Date): Promise<void> {
  const content =
    change.kind === 'added'
      ? factorAddedNotice(change.type, change.recoveryCodes, now, meta)
      : change.kind === 'removed'
        ? factorRemovedNotice(change.type, change.last, now, meta)
        : recoveryCodesNotice(now, meta);
  await notifyUser(deps, user.email, content, user.id, now);
}

/**
 * The one path of every factor added (a TOTP enrolment confirmed, a passkey registered), with the
 * `factor_added` event (and `recovery_codes_issued` when a set came with it) in its transaction.
 * The user is told by email once it committed ({@link noticeFactorChange}).
 * The user's first factor is a credential change (lib/credential-change.ts): ONE transaction adds
 * it, bumps the credential epoch and revokes every other session of the user (they were opened
 * without it; a login racing this fails on the epoch or on the factor check of lib/sign-in.ts).
 * A further factor is written on its own. `writes` carry the factor's items, labelled `enrol`
 * (their conditions decide first and further: a guess proved wrong by a parallel request fails
 * there, and the client starts again), and any session upgrade, labelled `session`.
 */
export async function commitFactorAdded(
  deps: AccountDeps,
  caller: Pick<Caller, 'userId' | 'sessionId'>,
  meta: RequestMeta,
  now: Date,
  added: { factorId: string; type: FactorType; email: string; first: boolean; recoveryCodesIssued: boolean; writes: TransactionPart[]; conflict?: (err: unknown) => void },
): Promise<void> {
  let email = added.email;
  const factorParts = [
    ...added.writes,
    event(deps, { userId: caller.userId, type: 'factor_added', sessionId: caller.sessionId, detail: added.type }, meta, now),
    ...(added.recoveryCodesIssued ? [event(deps, { userId: caller.userId, type: 'recovery_codes_issued', sessionId: caller.sessionId }, meta, now)] : []),
  ];
  const onConflict = (err: unknown) => {
    added.conflict?.(err);
    // The enrolment was confirmed (or expired) meanwhile, or another factor made this one no
    // longer the first: the client starts again.
    if (failedOn(err, 'enrol')) throw invalidCode(err);
    if (failedOn(err, 'session')) throw unauthorized(err);
  };
  if (added.first) {
    const { revokedSessionIds } = await commitCredentialChange(deps, caller.userId, now, {
      reason: 'factor_enabled',
      keep: caller.sessionId,
      plan: (current, revoked) => {
        if (!current || current.disabledAt) throw unauthorized();
        email = current.email;
        return { user: current, userItem: deps.users.factorsChangedItem(current, revoked), others: factorParts };
      },
      onConflict,
    });
    log.info('first second factor enabled; other sessions revoked', { event: 'factor_added', userId: caller.userId, factorId: added.factorId, type: added.type, revokedSessionIds });
  } else {
    try {
      await deps.transactions.write(factorParts);
    } catch (err) {
      onConflict(err);
      throw err;
    }
    log.info('second factor added', { event: 'factor_added', userId: caller.userId, factorId: added.factorId, type: added.type });
  }
  await noticeFactorChange(deps, { id: caller.userId, email }, { kind: 'added', type: added.type, recoveryCodes: added.recoveryCodesIssued }, meta, now);
}

/** GET /auth/mfa/factors: the caller's confirmed factors. */
export async function listFactors(deps: Deps, caller: Pick<Caller, 'userId'>): Promise<{ factors: PublicFactor[] }> {
  const set = await deps.factors.get(caller.userId);
  return { factors: set.factors.map(publicFactor) };
}

/** Attempts of a removal against parallel removals changing which factor is the last. */
class FactorsMoved extends Error {}
const REMOVAL_ATTEMPTS = 3;

/**
 * DELETE /auth/mfa/factors/{id} (step-up), as a credential change: the factor goes (the last
 * one with the recovery codes; a passkey with its credential id's lookup item), the credential epoch moves and every other session of the user
 * is revoked, the caller's kept. Only the caller's own item is touched: another user's factor
 * id is not in it (404).
 */
export async function removeFactor(deps: AccountDeps, caller: Pick<Caller, 'userId' | 'sessionId'>, factorId: string, meta: RequestMeta = NO_ORIGIN): Promise<void> {
  const now = deps.clock();
  for (let attempt = 1; attempt <= REMOVAL_ATTEMPTS; attempt += 1) {
    const set = await deps.factors.get(caller.userId);
    const factor = set.factors.find((f) => f.id === factorId);
    if (!factor) throw notFound();
    const last = set.factors.length === 1;
    let email = '';
    try {
      const { revokedSessionIds } = await commitCredentialChange(deps, caller.userId, now, {
        reason: 'factor_removed',
        keep: caller.sessionId,
        plan: (current, revoked) => {
          if (!current || current.disabledAt) throw unauthorized();
          // A password-less account with no federated identity signs in with its passkeys alone:
          // its last one stays (judged on the user item the change is conditional on).
          const passkeysLeft = set.factors.filter((f) => f.type === 'passkey' && f.id !== factorId).length;
          if (factor.type === 'passkey' && passkeysLeft === 0 && !hasPassword(current) && current.identities.length === 0) throw lastSignInMethod();
          email = current.email;
          const factorItems = [part('factor', deps.factors.deleteItem(caller.userId, factorId, { last }))];
          // A passkey's credential id stops naming this user with it.
          if (factor.type === 'passkey') factorItems.push(part('factor', deps.factors.passkeyLookupDeleteItem(factor.credentialId, caller.userId)));
          const detail = last ? `${factor.type} (last)` : factor.type;
          const recorded = event(deps, { userId: caller.userId, type: 'factor_removed', sessionId: caller.sessionId, detail }, meta, now);
          return { user: current, userItem: deps.users.factorsChangedItem(current, revoked), others: [...factorItems, recorded] };
        },
        onConflict: (err) => {
          // Gone, or no longer (or now) the last one: a parallel removal. Read again.
          if (failedOn(err, 'factor')) throw new FactorsMoved();
        },
      });
      log.info('second factor removed', { event: 'factor_removed', userId: caller.userId, factorId, type: factor.type, last, revokedSessionIds });
      await noticeFactorChange(deps, { id: caller.userId, email }, { kind: 'removed', type: factor.type, last }, meta, now);
      return;
    } catch (err) {
      if (!(err instanceof FactorsMoved)) throw err;
    }
  }
  throw notFound();
}

/** POST /auth/mfa/recovery-codes (step-up): 10 new codes; the old set stops working. */
export async function regenerateRecoveryCodes(deps: AccountDeps, caller: Pick<Caller, 'userId'> & Partial<Pick<Caller, 'sessionId'>>, meta: RequestMeta = NO_ORIGIN): Promise<{ recoveryCodes: string[] }> {
  const now = deps.clock();
  const issued = newRecoveryCodes();
  try {
    await deps.transactions.write([
      part('factors', deps.factors.replaceRecoveryCodesItem(caller.userId, issued.set, now)),
      event(deps, { userId: caller.userId, type: 'recovery_codes_issued', sessionId: caller.sessionId }, meta, now),
    ]);
  } catch (err) {
    // No confirmed factor: there is nothing to recover.
    if (failedOn(err, 'factors')) throw notFound(err);
    throw err;
  }
  log.info('recovery codes issued', { event: 'recovery_codes_issued', userId: caller.userId });
  // The address is read after the commit, for the notice only (the change does not need it).
  const user = await deps.users.findById(caller.userId).catch(() => undefined);
  if (user) await noticeFactorChange(deps, user, { kind: 'recovery_codes' }, meta, now);
  return { recoveryCodes: issued.codes };
}

/**
 * POST /auth/reauthenticate with the password: the password again (under the login throttle) and,
 * for a user with a factor, a TOTP code, then the caller's session (same id) takes a fresh
 * `auth_time` (and `aal2` with the code) in ONE transaction that also records the code's step and
 * requires the user unchanged since the password check. A user with a factor must give the code
 * (or reauthenticate with a passkey instead: lib/usecases/passkeys.ts): its sessions are `aal2`,
 * and a password alone never lowers one.
 */
export async function reauthenticate(deps: Deps, caller: Pick<Caller, 'userId' | 'sessionId'>, input: Exclude<ReauthenticateInput, { passkey: object }>, meta: RequestMeta): Promise<TokenResponse> {
  const now = deps.clock();
  const [user, set] = await Promise.all([callerUser(deps, caller), deps.factors.get(caller.userId)]);
  const attempt = await checkPasswordLikeLogin(deps, user, input.password, meta, now);
  const methods: Method[] = ['pwd'];
  const items: TransactionPart[] = [];
  let match: TotpMatch | undefined;
  if (set.factors.length > 0 || input.code !== undefined) {
    match = input.code === undefined ? undefined : await matchTotp(deps, user.id, set, input.code, now);
    if (!match) {
      log.warn('second factor failed', { event: 'mfa_challenge_failed', userId: user.id, method: 'otp', reauthentication: true });
      throw invalidCode();
    }
    methods.push('otp');
    items.push(part('factor', deps.factors.acceptTotpStepItem(user.id, match.factor.id, match.step, now)));
  }
  const tokens = await commitReauthentication(deps, user, caller, methods, items, now);
  await attempt.succeeded();
  await reseal(deps, user.id, match);
  return tokens;
}

/**
 * The caller's session (same id) takes the authentication of `methods` at `now`, in ONE
 * transaction with the proof's own writes (`factor`: a code's step, a passkey's counter) and a
 * check that the user is as read before the proof was checked (`user`).
 */
export async function commitReauthentication(
  deps: Deps,
  user: UserRecord,
  caller: Pick<Caller, 'userId' | 'sessionId'>,
  methods: Method[],
  proofWrites: TransactionPart[],
  now: Date,
): Promise<TokenResponse> {
  const session = await reauthenticatedSession(deps, user, caller.sessionId, authenticationOf(methods, now), now);
  if (!session) throw unauthorized();
  try {
    await deps.transactions.write([part('user', deps.users.unchangedCheckItem(user)), ...proofWrites, ...session.items]);
  } catch (err) {
    if (failedOn(err, 'factor')) throw invalidCode(err);
    if (failedOn(err, 'user')) throw invalidCredentials();
    if (failedOn(err, 'session')) throw unauthorized(err);
    throw err;
  }
  log.info('session reauthenticated', { event: 'reauthenticated', userId: user.id, sessionId: caller.sessionId, methods });
  return session.tokens;
}

/** The caller's user, read strongly consistently; a missing or disabled one is 401. */
export { callerUser };

/** Where an action came from when a caller does not say (use-case tests). */
export const NO_ORIGIN: RequestMeta = { ip: undefined, userAgent: undefined };

/** The security event recording a factor change, for the change's own transaction. */
export function event(deps: Deps, e: { userId: string; type: SecurityEventType; sessionId?: string | undefined; detail?: string | undefined }, meta: RequestMeta, now: Date) {
  return part('event', deps.events.putItem({ ...e, ip: meta.ip, userAgent: meta.userAgent }, now));
}

/** A wrong second-factor code, recorded best effort: it has no transaction, and its answer does not wait. */
function challengeFailed(deps: Deps, userId: string, meta: RequestMeta, now: Date): void {
  void deps.events
    .record({ userId, type: 'mfa_challenge_failed', ip: meta.ip, userAgent: meta.userAgent }, now)
    .catch((err) => log.warn('security event not recorded', { event: 'security_event_failed', type: 'mfa_challenge_failed', error: String(err) }));
}
