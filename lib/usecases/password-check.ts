import { invalidCredentials, tooManyAttempts } from '../errors';
import { log } from '../log';
import { verifyPassword } from '../passwords';
import type { UserRecord } from '../repositories/users';
import type { Deps, RequestMeta } from './deps';
import { FAILURE_MEMORY_SECONDS, remainingBackoffMs } from './login';

/**
 * Checks the password of a signed-in user who asks for a sensitive change (password change,
 * account deletion) under the same throttle as a login: while the account's login is throttled
 * even the right password is refused, and a wrong one counts as a failed login. Resolves with a
 * function to call once the change is written, which gives the attempt back.
 */
export async function checkPasswordLikeLogin(
  deps: Deps,
  user: UserRecord,
  password: string,
  meta: RequestMeta,
  now: Date,
): Promise<{ succeeded(): Promise<void> }> {
  const attempts = await deps.loginAttempts.get(user.email);
  const waitMs = remainingBackoffMs(attempts, deps.config, now);
  if (waitMs > 0) {
    log.warn('password check throttled', { event: 'login_throttled', userId: user.id });
    throw tooManyAttempts(waitMs / 1000);
  }
  if (!(await verifyPassword(password, user.passwordHash))) {
    await deps.loginAttempts.recordFailure(user.email, now, FAILURE_MEMORY_SECONDS);
    log.warn('password check failed', { event: 'login_failed', userId: user.id });
    throw invalidCredentials();
  }
  return {
    succeeded: async () => {
      if (attempts) await deps.transactions.write([deps.loginAttempts.resetItem(user.email)]).catch(() => undefined);
    },
  };
}
