import { invalidCredentials } from '../errors';
import { log } from '../log';
import { dummyHash, verifyPassword } from '../passwords';
import { hasPassword } from '../repositories/users';
import type { UserRecord } from '../repositories/users';
import { reservePasswordAttempt } from '../throttle/password-attempts';
import type { Deps, RequestMeta } from './deps';

/**
 * Checks the password of a signed-in user who asks for a sensitive change (password change,
 * account deletion) under the login throttle (lib/throttle/password-attempts.ts): the check is
 * reserved before bcrypt runs, so it is refused (429) once the account and source are throttled,
 * and a wrong password stays counted as a failed login. Resolves with a function to call once the
 * change is written, which gives the attempt back.
 */
export async function checkPasswordLikeLogin(
  deps: Deps,
  user: UserRecord,
  password: string,
  meta: RequestMeta,
  now: Date,
): Promise<{ succeeded(): Promise<void> }> {
  const attempt = await reservePasswordAttempt(deps, { email: user.email, accountId: user.id, ip: meta.ip }, now);
  // An account without a password (federated) fails like a wrong one, after the same bcrypt work.
  const ok = hasPassword(user) ? await verifyPassword(password, user.passwordHash) : (await verifyPassword(password, dummyHash(deps.config.bcryptCost)), false);
  if (!ok) {
    log.warn('password check failed', { event: 'login_failed', userId: user.id });
    throw invalidCredentials();
  }
  return attempt;
}
