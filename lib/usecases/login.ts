import { hasCode, invalidCredentials } from '../errors';
import { log } from '../log';
import { costOf, dummyHash, hashPassword, verifyPassword } from '../passwords';
import { cancellationCodes } from '../repositories/dynamo';
import { passwordAttemptKeys, reservePasswordAttempt } from '../throttle/password-attempts';
import type { LoginInput } from '../validation';
import type { Deps, RequestMeta, TokenResponse } from './deps';
import { enforceIpLimit } from './rate-limit';
import { publicUser, type PublicUser } from '../public-user';
import { openSession } from '../sessions';

/**
 * Signs a user in. DynamoDB requests: (1) the per-IP counter beside one BatchGetItem (email claim
 * + the two throttle counters); (2) the per-source reservation beside the user read; (3) the
 * per-account reservation; then bcrypt; on success (4) the user's active sessions (session cap)
 * and (5) the session transaction, then (6) the two give-backs side by side. 5 requests for a
 * wrong password, 8 for a success (9 when a counter cannot be forgiven and is decremented
 * instead), 2-3 for a throttled attempt.
 */
export async function login(
  deps: Deps,
  input: LoginInput,
  meta: RequestMeta,
): Promise<{ user: PublicUser } & TokenResponse> {
  const now = deps.clock();
  const [, state] = await Promise.all([
    enforceIpLimit(deps, 'login', deps.config.loginIpLimitPerMinute, meta, now),
    deps.users.readLoginState(input.email, passwordAttemptKeys({ email: input.email, ip: meta.ip })),
  ]);
  // Reserved before the password is checked: the right password is refused too once throttled.
  const [attempt, user] = await Promise.all([
    reservePasswordAttempt(deps, { email: input.email, accountId: state.userId, ip: meta.ip }, now, state.items),
    deps.users.findForLogin(state.userId),
  ]);
  // Unknown emails pay for a full bcrypt compare too, so timing does not reveal which exist.
  const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? dummyHash(deps.config.bcryptCost));
  // A disabled account answers exactly like a wrong password, the attempt staying counted, whether
  // or not the password was right: the answer tells nobody that the account exists, let alone its state.
  const disabled = user?.disabledAt !== undefined;
  if (!user || !passwordOk || disabled) {
    log.warn('login failed', { event: 'login_failed', userId: user?.id, disabled: disabled || undefined });
    throw invalidCredentials();
  }
  const session = await openSession(deps, user, meta, now, { existingUser: true });
  // First item, on the user: it must still exist, be enabled (and hold the hash just checked) when
  // the session is written, so a disabling, deletion or password change racing this login cannot
  // leave it a session nobody revoked. When BCRYPT_COST was raised since this hash was made, that
  // item also upgrades the hash, now that we know the password.
  const userItem =
    costOf(user.passwordHash) !== deps.config.bcryptCost
      ? deps.users.replacePasswordHashItem(user.id, user.passwordHash, await hashPassword(input.password, deps.config.bcryptCost))
      : deps.users.activeCheckItem(user.id, user.passwordHash);
  try {
    await deps.transactions.write([userItem, ...session.items]);
  } catch (err) {
    if (hasCode(err, 'service_unavailable') && cancellationCodes(err.cause)[0] === 'ConditionalCheckFailed') {
      log.warn('login failed', { event: 'login_failed', userId: user.id, reason: 'user deleted, disabled or its password changed meanwhile' });
      throw invalidCredentials();
    }
    throw err;
  }
  // The give-back stays out of the session transaction: attackers writing the same counters
  // could otherwise cancel the owner's sign-in with transaction conflicts.
  await attempt.succeeded();
  log.info('login succeeded', { event: 'login', userId: user.id, sessionId: session.sid });
  return { user: publicUser(user), ...session.tokens };
}
