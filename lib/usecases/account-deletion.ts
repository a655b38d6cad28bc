import { invalidCredentials, serviceUnavailable, unauthorized } from '../errors';
import { log } from '../log';
import { ConditionsFailed } from '../repositories/transactions';
import { userSessionRevocationItems } from '../sessions';
import type { DeleteAccountInput } from '../validation';
import type { AccountDeps } from './account-deps';
import type { RequestMeta } from './deps';
import { checkPasswordLikeLogin } from './password-check';
import type { Caller } from './password';

/**
 * DELETE /auth/me. The password is checked under the login throttle. Then ONE transaction deletes
 * the user, its email claim (so the address can register again), its failed-login counter and
 * pending tokens, and revokes every session (the caller's included). It is conditional on the
 * password hash just checked, so a racing password change or reset cancels it.
 *
 * Order when a user holds more sessions than fit beside the deletion (only possible past the
 * per-user cap, through racing logins): those sessions are revoked FIRST, in transactions of
 * their own, and the deletion comes last. A failure in between leaves the account in place with
 * fewer usable sessions, never a deleted account with a usable token; a retry completes it.
 * Refresh also checks the user in its own transaction, so no session outlives its user.
 */
export async function deleteAccount(deps: AccountDeps, caller: Caller, input: DeleteAccountInput, meta: RequestMeta): Promise<void> {
  const now = deps.clock();
  const user = await deps.users.findById(caller.userId);
  if (!user) throw unauthorized();
  const attempt = await checkPasswordLikeLogin(deps, user, input.password, meta, now);
  const userItems = deps.users.deleteItems(user);
  const revocation = await userSessionRevocationItems(deps, user.id, now, 'account_deleted', {
    include: [caller.sessionId],
    room: 100 - userItems.length,
  });
  try {
    await deps.tx.write([...userItems, ...revocation.items]);
  } catch (err) {
    if (err instanceof ConditionsFailed && err.codes[0] === 'ConditionalCheckFailed') throw invalidCredentials();
    if (err instanceof ConditionsFailed) throw serviceUnavailable(err);
    throw err;
  }
  await attempt.succeeded();
  log.info('account deleted; every session revoked', { event: 'account_deleted', userId: user.id, revokedSessionIds: revocation.sessionIds });
}
