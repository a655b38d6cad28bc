/**
 * The one door from a checked sign-in to a session. Every way of signing in (today the password
 * login) ends here, so the rules a session is opened under live in one place:
 *
 * - The session is written in ONE transaction with an update of the user item that requires the
 *   user to be as the sign-in found it before its checks: still there, not disabled, the same
 *   password hash and the same credential epoch. Every credential change bumps that epoch in its
 *   own transaction (lib/credential-change.ts), so a sign-in that checked the old credentials
 *   while the change committed fails here and opens nothing.
 * - The same update names the new session on the user item and bumps its sign-in count. A change
 *   that read the user before this commit then fails its own condition and retries, this session
 *   now among those it revokes. Between the two, no session escapes a change, whichever commits
 *   first, and no index read is involved (the byOwner index is eventually consistent).
 * - The user's oldest sessions past MAX_SESSIONS_PER_USER are revoked by the same transaction,
 *   and sessions past their absolute end are forgotten by the user item.
 */
import { invalidCredentials } from './errors';
import { log } from './log';
import { publicUser, type PublicUser } from './public-user';
import { part, failedOn, type TransactionPart } from './repositories/transactions';
import type { SecurityEventsRepository } from './repositories/security-events';
import { endedSessions, trackedSessions, type UserRecord, type UsersRepository } from './repositories/users';
import { openSession, type SessionDeps, type SessionOrigin, type TokenResponse } from './sessions';

export interface SignInDeps extends SessionDeps {
  users: SessionDeps['users'] & Pick<UsersRepository, 'signInItem'>;
  events: Pick<SecurityEventsRepository, 'putItem'>;
}

export interface SignInOptions {
  /** A hash of the same password at the current BCRYPT_COST, replacing an older-cost one. */
  upgradedHash?: string | undefined;
  /** Further items the sign-in commits with its session (a new device record). */
  alsoWrite?: TransactionPart[];
}

/**
 * Opens a session for `user`, read before the sign-in's checks (the password compare) and passed
 * as read. A credential change committed since answers `invalid_credentials`, as if the old
 * password had been wrong (it no longer is the password).
 */
export async function completeSignIn(
  deps: SignInDeps,
  user: UserRecord,
  origin: SessionOrigin,
  now: Date,
  options: SignInOptions = {},
): Promise<{ user: PublicUser } & TokenResponse> {
  const session = await openSession(deps, user, origin, now, trackedSessions(user, now));
  const forget = [...endedSessions(user, now), ...session.displaced];
  const userItem = deps.users.signInItem(user, session, forget, options.upgradedHash);
  try {
    // The `login` security event is written with the session it records.
    const event = deps.events.putItem({ userId: user.id, type: 'login', ip: origin.ip, userAgent: origin.userAgent, sessionId: session.sid }, now);
    await deps.transactions.write([part('user', userItem), ...session.items, part('event', event), ...(options.alsoWrite ?? [])]);
  } catch (err) {
    if (failedOn(err, 'user')) {
      log.warn('login failed', { event: 'login_failed', userId: user.id, reason: 'credentials changed, account disabled or deleted meanwhile' });
      throw invalidCredentials();
    }
    throw err;
  }
  if (session.displaced.length > 0) {
    log.info('sessions revoked', { event: 'session_revoked', reason: 'session_limit', userId: user.id, sessionIds: session.displaced });
  }
  log.info('login succeeded', { event: 'login', userId: user.id, sessionId: session.sid });
  return { user: publicUser(user), ...session.tokens };
}
