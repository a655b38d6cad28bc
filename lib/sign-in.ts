/**
 * The one door from a checked sign-in to a session. Every way of signing in (the password login,
 * the second-factor step that completes it, a passkey sign-in, and later ones) ends here, so the rules a session is
 * opened under live in one place:
 *
 * - Second factor. A passkey sign-in is its own second factor (user verification required: the
 *   key plus the PIN or biometric that unlocked it) and opens a session at `aal2` directly, its
 *   counter written with the session. A sign-in whose proof holds no second factor, for a user with a confirmed one,
 *   opens no session: it answers `mfaRequired` with a single-use `mfaToken` bound to the
 *   credentials just checked ({@link signInBinding}), which `POST /auth/mfa/verify` brings back
 *   here with the second factor's own conditional writes. A sign-in without a second factor
 *   commits only while the user has no confirmed factor (`noFactorsCheckItem`), so a factor
 *   confirmed while the password was checked leaves it no single-factor session.
 * - The session is written in ONE transaction with an update of the user item that requires the
 *   user to be as the sign-in found it before its checks: still there, not disabled, the same
 *   password hash and the same credential epoch. Every credential change bumps that epoch in its
 *   own transaction (lib/credential-change.ts), so a sign-in that checked the old credentials
 *   while the change committed fails here and opens nothing.
 * - The same update names the new session on the user item and bumps its sign-in count. A change
 *   that read the user before this commit then fails its own condition and retries, this session
 *   now among those it revokes. Between the two, no session escapes a change, whichever commits
 *   first, and no index read is involved (the byOwner index is eventually consistent).
 * - The session records how it was authenticated (`auth_time`, `acr`, `amr`:
 *   lib/authentication.ts), stated by every access token it issues.
 * - The user's oldest sessions past MAX_SESSIONS_PER_USER are revoked by the same transaction,
 *   and sessions past their absolute end are forgotten by the user item.
 * - Devices. Every path says whether the client presented a device token of this user
 *   (lib/tokens/device-token.ts; `device` is required, so no path can leave it out). A client
 *   without one gets a new token, its record written with the session, and the user gets a
 *   "new sign-in" notice once the session has committed (lib/notices.ts: best effort, it never
 *   fails the sign-in). A two-step sign-in carries the first step's answer in its mfaToken, so
 *   the notice and the token come with the session, not with `mfaRequired`.
 */
import { createHash } from 'node:crypto';
import { epochSeconds } from './clock';
import { authenticationOf, provesSecondFactor, type Method } from './authentication';
import { AppError, invalidCredentials } from './errors';
import { log } from './log';
import { publicUser, type PublicUser } from './public-user';
import type { FactorSet, FactorsRepository, FactorType } from './repositories/factors';
import type { MfaTokensRepository } from './repositories/mfa-tokens';
import { part, failedOn, type TransactionPart } from './repositories/transactions';
import type { SecurityEventsRepository } from './repositories/security-events';
import { endedSessions, trackedSessions, type UserRecord, type UsersRepository } from './repositories/users';
import { openSession, type SessionDeps, type SessionOrigin, type TokenResponse } from './sessions';
import { newDeviceNotice, notifyUser, type NoticeDeps } from './notices';
import { newDeviceToken } from './tokens/device-token';

export interface SignInDeps extends SessionDeps, NoticeDeps {
  config: SessionDeps['config'];
  users: SessionDeps['users'] & Pick<UsersRepository, 'signInItem' | 'deviceItem'>;
  factors: Pick<FactorsRepository, 'noFactorsCheckItem'>;
  mfaTokens: Pick<MfaTokensRepository, 'issueItem'>;
  events: Pick<SecurityEventsRepository, 'putItem'>;
}

/** What a sign-in proved before reaching the door. */
export interface SignInProof {
  /** The methods proved, first step first (`['pwd']`, then `['pwd', 'otp']` after the second step; `['swk']` for a passkey). */
  methods: Method[];
  /** The user's confirmed factors, read (strongly consistently) before the checks. */
  factors: FactorSet;
  /**
   * The second step's own writes (the mfaToken consumed, the TOTP step accepted, the recovery
   * code used or the passkey's counter moved), committed with the session or not at all. Required when `methods` hold a second factor.
   */
  secondStep?: TransactionPart[];
  /** A hash of the same password at the current BCRYPT_COST, replacing an older-cost one. */
  upgradedHash?: string | undefined;
  /** Errors for failed conditions by label; a failed `user` condition is `invalid_credentials` unless named here. */
  conflicts?: Record<string, () => AppError>;
  /** Further items the sign-in commits with its session. */
  alsoWrite?: TransactionPart[];
  /**
   * Whether the client presented an unexpired device token of this user (for a second step: the
   * first step's answer, carried by the mfaToken). False issues a new one and sends the notice.
   */
  device: { known: boolean };
}

/** `deviceToken`: a new device token for a client that presented none of this user's. */
export type SignedIn = { user: PublicUser; deviceToken?: string } & TokenResponse;

/** A user with a second factor gets this instead of tokens from a first step alone. */
export interface MfaRequired {
  mfaRequired: true;
  mfaToken: string;
  factors: { id: string; type: FactorType }[];
}

export type SignInResult = SignedIn | MfaRequired;

/**
 * What an mfaToken is bound to: the credential epoch and the password hash the first step checked
 * (a fingerprint, not the hash). A password change, a reset or any other credential change
 * between the two steps changes it, and the second step's consume condition refuses the token.
 */
export function signInBinding(user: Pick<UserRecord, 'credentialEpoch' | 'passwordHash'>): string {
  return createHash('sha256').update(`sign-in binding\0${user.credentialEpoch}\0${user.passwordHash}`).digest('base64url');
}


/**
 * Opens a session for `user`, read before the sign-in's checks and passed as read, or answers
 * `mfaRequired` (see the module comment). A credential change committed since answers
 * `invalid_credentials` (or the caller's error for the `user` label).
 */
export async function completeSignIn(deps: SignInDeps, user: UserRecord, origin: SessionOrigin, now: Date, proof: SignInProof): Promise<SignInResult> {
  const secondFactor = provesSecondFactor(proof.methods);
  if (!secondFactor && proof.factors.factors.length > 0) {
    const { token, item } = deps.mfaTokens.issueItem({ userId: user.id, email: user.email, binding: signInBinding(user), methods: proof.methods, knownDevice: proof.device.known, now });
    await deps.transactions.write([part('mfa', item)]);
    log.info('second factor required', { event: 'mfa_required', userId: user.id });
    return { mfaRequired: true, mfaToken: token, factors: proof.factors.factors.map((f) => ({ id: f.id, type: f.type })) };
  }
  if (secondFactor && !proof.secondStep?.length) throw new Error('a second factor was claimed without its writes');

  const authentication = authenticationOf(proof.methods, now);
  const session = await openSession(deps, user, origin, now, authentication, trackedSessions(user, now));
  const forget = [...endedSessions(user, now), ...session.displaced];
  const userItem = deps.users.signInItem(user, session, forget, proof.upgradedHash);
  // Without a second factor, the user must still have none when the session commits.
  const factorParts = secondFactor ? proof.secondStep! : [part('factors', deps.factors.noFactorsCheckItem(user.id))];
  // A client without a known device of this account gets one, written with the session.
  const device = proof.device.known ? undefined : newDeviceToken();
  const deviceParts = device ? [part('device', deps.users.deviceItem(device.hash, user.id, now, epochSeconds(now) + deps.config.loginDeviceTtlDays * 86_400))] : [];
  try {
    // The `login` security event is written with the session it records.
    const event = deps.events.putItem({ userId: user.id, type: 'login', ip: origin.ip, userAgent: origin.userAgent, sessionId: session.sid }, now);
    await deps.transactions.write([part('user', userItem), ...factorParts, ...session.items, part('event', event), ...deviceParts, ...(proof.alsoWrite ?? [])]);
  } catch (err) {
    for (const [label, error] of Object.entries(proof.conflicts ?? {})) {
      if (failedOn(err, label)) {
        log.warn('sign-in failed', { event: 'login_failed', userId: user.id, reason: `${label} changed meanwhile` });
        throw error();
      }
    }
    if (failedOn(err, 'user') || failedOn(err, 'factors')) {
      log.warn('login failed', { event: 'login_failed', userId: user.id, reason: 'credentials or factors changed, account disabled or deleted meanwhile' });
      throw invalidCredentials();
    }
    throw err;
  }
  if (session.displaced.length > 0) {
    log.info('sessions revoked', { event: 'session_revoked', reason: 'session_limit', userId: user.id, sessionIds: session.displaced });
  }
  log.info('login succeeded', { event: 'login', userId: user.id, sessionId: session.sid, acr: authentication.acr, newDevice: device !== undefined });
  if (device) await notifyUser(deps, user.email, newDeviceNotice(now, origin), user.id, now, 'sign_in_notice');
  return { user: publicUser(user), ...session.tokens, ...(device ? { deviceToken: device.value } : {}) };
}
