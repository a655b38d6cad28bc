import { commitCredentialChange } from '../credential-change';
import { invalidCredentials, invalidRequest, unauthorized } from '../errors';
import { hasPassword } from '../repositories/users';
import { log } from '../log';
import type { DeleteAccountInput } from '../validation';
import type { AccountDeps } from './account-deps';
import type { RequestMeta } from './deps';
import { checkPasswordLikeLogin } from './password-check';
import type { Caller } from '../caller';
import { passkeysOf } from '../repositories/factors';

/**
 * DELETE /auth/me (step-up). An account with a password must send it, and it is checked under
 * the login throttle. An account without one (made by a federated sign-in) has nothing to type:
 * the step-up the route requires is its proof of presence (a sign-in within
 * STEP_UP_MAX_AGE_SECONDS, through the provider or with a factor, and `aal2` when it has a
 * factor), as for every other sensitive operation. Then, as a
 * credential change (lib/credential-change.ts), ONE transaction deletes the user, its email claim
 * (so the address can register again), pending tokens and second factors with their recovery
 * codes and their passkeys' credential lookups (pending enrolments expire on their own and name the deleted id), and revokes every session (the caller's included, and
 * any whose login raced the deletion: such a login either commits first and is revoked here, or
 * fails on the deleted user). It is conditional on the password hash just read, so a racing
 * password change or reset (one that gives a password-less account a password included) cancels
 * it (`invalid_credentials`).
 *
 * Order when a user holds more sessions than fit beside the deletion (only possible past the
 * per-user cap): those sessions are revoked FIRST, in transactions of their own, and the deletion
 * comes last. A failure in between leaves the account in place with fewer usable sessions, never
 * a deleted account with a usable token; a retry completes it.
 */
export async function deleteAccount(deps: AccountDeps, caller: Pick<Caller, 'userId' | 'sessionId'>, input: DeleteAccountInput, meta: RequestMeta): Promise<void> {
  const now = deps.clock();
  const [user, factors] = await Promise.all([deps.users.findById(caller.userId), deps.factors.get(caller.userId)]);
  if (!user) throw unauthorized();
  // A password sent is always checked (a password-less account fails it like a wrong one).
  if (input.password === undefined && hasPassword(user)) throw invalidRequest([{ field: 'password', message: 'is required' }]);
  const attempt = input.password === undefined ? undefined : await checkPasswordLikeLogin(deps, user, input.password, meta, now);
  const credentialIds = passkeysOf(factors).map((p) => p.credentialId);
  const { revokedSessionIds } = await commitCredentialChange(deps, user.id, now, {
    reason: 'account_deleted',
    plan: (current) => {
      if (!current || current.passwordHash !== user.passwordHash) throw invalidCredentials();
      return { user: current, userItem: deps.users.deleteItems(current, credentialIds) };
    },
  });
  await attempt?.succeeded();
  log.info('account deleted; every session revoked', { event: 'account_deleted', userId: user.id, revokedSessionIds });
}
