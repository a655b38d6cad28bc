import { invalidCredentials, invalidToken, serviceUnavailable, unauthorized } from '../errors';
import { log } from '../log';
import { hashPassword } from '../passwords';
import { ConditionsFailed } from '../repositories/transactions';
import { userSessionRevocationItems } from '../sessions';
import { hashOneTimeToken, isOneTimeTokenShape } from '../tokens/one-time-token';
import type { ChangePasswordInput, ForgotInput, ResetInput } from '../validation';
import type { AccountDeps } from './account-deps';
import type { RequestMeta } from './deps';
import { checkPasswordLikeLogin } from './password-check';
import { addressAllowed, emailIpAllowed, issueToken, sendLinkEmail } from './email-links';

/** The signed-in caller, as the authorizer described it. */
export interface Caller {
  userId: string;
  sessionId: string;
}

/**
 * POST /auth/password/change. The current password is checked under the login throttle (a wrong
 * one counts as a failed login). The new hash and the revocation of every OTHER session of the
 * user are one transaction, conditional on the hash still being the one just checked: a racing
 * change or reset makes this one fail rather than both half-apply. The caller's session stays.
 */
export async function changePassword(deps: AccountDeps, caller: Caller, input: ChangePasswordInput, meta: RequestMeta): Promise<void> {
  const now = deps.clock();
  const user = await deps.users.findById(caller.userId);
  if (!user) throw unauthorized();
  const attempt = await checkPasswordLikeLogin(deps, user, input.currentPassword, meta, now);
  const newHash = await hashPassword(input.newPassword, deps.config.bcryptCost);
  const revocation = await userSessionRevocationItems(deps, user.id, now, 'password_changed', { except: caller.sessionId });
  const items = [deps.users.changePasswordItem(user.id, user.passwordHash, newHash, now), ...revocation.items];
  // A pending reset link dies with the password it was meant to replace.
  if (user.resetTokenHash) items.push(deps.tokens.deleteItem('reset', user.resetTokenHash));
  try {
    await deps.tx.write(items);
  } catch (err) {
    // The password changed (or the account went) since we checked it: the current password is no longer current.
    if (err instanceof ConditionsFailed && err.codes[0] === 'ConditionalCheckFailed') throw invalidCredentials();
    if (err instanceof ConditionsFailed) throw serviceUnavailable(err);
    throw err;
  }
  await attempt.succeeded();
  log.info('password changed; other sessions revoked', {
    event: 'password_changed',
    userId: user.id,
    sessionId: caller.sessionId,
    revokedSessionIds: revocation.sessionIds,
  });
}

/**
 * POST /auth/password/forgot: always 202 with the same body, and never sooner than
 * FORGOT_MIN_RESPONSE_MS, so neither the answer nor its timing says whether the account exists.
 * Known and unknown addresses make the same DynamoDB reads and the same limit write; only an
 * existing account adds the token write and the send, which the floor hides (unless SES is
 * slower than the floor: then a slow answer hints at an account). A failed send is logged.
 */
export async function forgotPassword(deps: AccountDeps, input: ForgotInput, meta: RequestMeta): Promise<void> {
  const started = performance.now();
  try {
    await sendResetLink(deps, input.email, meta);
  } finally {
    const wait = deps.config.forgotMinResponseMs - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

async function sendResetLink(deps: AccountDeps, email: string, meta: RequestMeta): Promise<void> {
  const now = deps.clock();
  if (!(await emailIpAllowed(deps, meta, now))) return;
  const user = await deps.users.findByEmailEvenly(email);
  // Taken for unknown addresses too: the same requests either way, and no flood of any mailbox.
  if (!(await addressAllowed(deps, 'reset', email, user?.id ?? 'none', now, meta))) return;
  if (!user || user.disabledAt) {
    log.info('password reset requested for no usable account', { event: 'password_reset_requested', found: Boolean(user) });
    return;
  }
  const { token, items } = issueToken(deps, 'reset', user.id, now, user.resetTokenHash);
  try {
    await deps.tx.write(items);
  } catch (err) {
    if (err instanceof ConditionsFailed) return; // deleted meanwhile
    throw err;
  }
  log.info('password reset requested', { event: 'password_reset_requested', userId: user.id });
  await sendLinkEmail(deps, 'reset', user.email, token.value, { userId: user.id });
}

/**
 * POST /auth/password/reset. The token must be the user's current reset token, unexpired and
 * unused. ONE transaction consumes it (conditional on both the token item and the user's pointer
 * to it), sets the new hash and revokes every session of the user; of two concurrent uses of one
 * token exactly one commits. A weak newPassword was refused by validation before any of this,
 * so it consumes nothing.
 */
export async function resetPassword(deps: AccountDeps, input: ResetInput, meta: RequestMeta): Promise<void> {
  if (!isOneTimeTokenShape(input.token)) throw invalidToken();
  const hash = hashOneTimeToken('reset', input.token);
  const now = deps.clock();
  const record = await deps.tokens.find('reset', hash);
  if (!record || record.expiresAt <= Math.floor(now.getTime() / 1000)) throw invalidToken();
  const user = await deps.users.findById(record.userId);
  // A disabled account's link is refused here and again by the write's condition on the user item.
  if (!user || user.disabledAt || user.resetTokenHash !== hash) throw invalidToken();
  const newHash = await hashPassword(input.newPassword, deps.config.bcryptCost);
  const revocation = await userSessionRevocationItems(deps, user.id, now, 'password_reset');
  const items = [deps.tokens.consumeItem('reset', hash, now), deps.users.resetPasswordItem(user.id, hash, newHash, now), ...revocation.items];
  if (user.verifyTokenHash) items.push(deps.tokens.deleteItem('verify', user.verifyTokenHash));
  try {
    await deps.tx.write(items);
  } catch (err) {
    if (err instanceof ConditionsFailed && (err.codes[0] === 'ConditionalCheckFailed' || err.codes[1] === 'ConditionalCheckFailed')) throw invalidToken(err);
    if (err instanceof ConditionsFailed) throw serviceUnavailable(err);
    throw err;
  }
  log.info('password reset; every session revoked', { event: 'password_reset', userId: user.id, revokedSessionIds: revocation.sessionIds });
}

