import type { Config } from '../config';
import { hasCode, invalidCredentials, tooManyAttempts } from '../errors';
import { cancellationCodes } from '../repositories/dynamo';
import { log } from '../log';
import { costOf, dummyHash, hashPassword, verifyPassword } from '../passwords';
import type { LoginAttempts } from '../repositories/login-attempts';
import type { LoginInput } from '../validation';
import type { Deps, RequestMeta, TokenResponse } from './deps';
import { enforceIpLimit } from './rate-limit';
import { publicUser, type PublicUser } from '../public-user';
import { openSession } from '../sessions';

/** How long a failure counter is remembered after the latest failure. */
export const FAILURE_MEMORY_SECONDS = 24 * 3600;

/**
 * Milliseconds the account must still wait. After `loginMaxFailures` consecutive failures each
 * further attempt waits base * 2^(n - max) seconds after the latest failure, capped.
 */
export function remainingBackoffMs(attempts: LoginAttempts | undefined, config: Config, now: Date): number {
  if (!attempts || attempts.failures < config.loginMaxFailures) return 0;
  const sinceFailureMs = now.getTime() - attempts.lastFailureAt.getTime();
  if (sinceFailureMs > FAILURE_MEMORY_SECONDS * 1000) return 0;
  const exponent = Math.min(attempts.failures - config.loginMaxFailures, 30);
  const delaySeconds = Math.min(config.loginBackoffBaseSeconds * 2 ** exponent, config.loginBackoffMaxSeconds);
  return Math.max(0, delaySeconds * 1000 - sinceFailureMs);
}

export async function login(
  deps: Deps,
  input: LoginInput,
  meta: RequestMeta,
): Promise<{ user: PublicUser } & TokenResponse> {
  const now = deps.clock();
  const [, { user, attempts }] = await Promise.all([
    enforceIpLimit(deps, 'login', deps.config.loginIpLimitPerMinute, meta, now),
    deps.users.findForLogin(input.email),
  ]);
  const waitMs = remainingBackoffMs(attempts, deps.config, now);
  if (waitMs > 0) {
    // Checked before the password: during the wait even the right password is refused.
    log.warn('login throttled', { event: 'login_throttled', userId: user?.id, failures: attempts?.failures });
    throw tooManyAttempts(waitMs / 1000);
  }
  // Unknown emails pay for a full bcrypt compare too, so timing does not reveal which exist.
  const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? dummyHash(deps.config.bcryptCost));
  // A disabled account answers exactly like a wrong password, failure counted, whether or not the
  // password was right: the answer tells nobody that the account exists, let alone its state.
  const disabled = user?.disabledAt !== undefined;
  if (!user || !passwordOk || disabled) {
    const counted = await deps.loginAttempts.recordFailure(input.email, now, FAILURE_MEMORY_SECONDS);
    log.warn('login failed', { event: 'login_failed', userId: user?.id, failures: counted.failures, disabled: disabled || undefined });
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
      : deps.users.activeCheckItem(user.id);
  const items = [userItem, ...session.items];
  // A success always clears earlier failures, in the same write as the session.
  if (attempts) items.push(deps.loginAttempts.resetItem(input.email));
  try {
    await deps.transactions.write(items);
  } catch (err) {
    if (hasCode(err, 'service_unavailable') && cancellationCodes(err.cause)[0] === 'ConditionalCheckFailed') {
      log.warn('login failed', { event: 'login_failed', userId: user.id, reason: 'user deleted, disabled or its password changed meanwhile' });
      throw invalidCredentials();
    }
    throw err;
  }
  log.info('login succeeded', { event: 'login', userId: user.id, sessionId: session.sid });
  return { user: publicUser(user), ...session.tokens };
}
