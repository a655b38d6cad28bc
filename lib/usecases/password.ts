import type { Caller } from '../caller';
import { commitCredentialChange } from '../credential-change';
import { invalidCredentials, invalidToken, unauthorized } from '../errors';
import { log } from '../log';
import { hashPassword } from '../passwords';
import { failedOn, part, parts } from '../repositories/transactions';
import { hashOneTimeToken, isOneTimeTokenShape } from '../tokens/one-time-token';
import type { ChangePasswordInput, ForgotInput, ResetInput } from '../validation';
import type { AccountDeps } from './account-deps';
import type { RequestMeta } from './deps';
import { checkPasswordLikeLogin } from './password-check';
import { addressAllowed, emailIpAllowed, issueToken, sendLinkEmail } from './email-links';
import { notifyUser } from '../notices';
import { securityNotice } from '../email/templates';

/**
 * POST /auth/password/change. The current password is checked under the login throttle (a wrong
 * one counts as a failed login). Then, as a credential change (lib/credential-change.ts), ONE
 * transaction sets the new hash and revokes every OTHER session of the user, including one whose
 * login raced this change; it is conditional on the hash still being the one just checked, so a
 * racing change or reset makes this one fail (`invalid_credentials`) rather than both half-apply.
 * The caller's session stays.
 */
export async function changePassword(deps: AccountDeps, caller: Pick<Caller, 'userId' | 'sessionId'>, input: ChangePasswordInput, meta: RequestMeta): Promise<void> {
  const now = deps.clock();
  const user = await deps.users.findById(caller.userId);
  if (!user) throw unauthorized();
  const attempt = await checkPasswordLikeLogin(deps, user, input.currentPassword, meta, now);
  const newHash = await hashPassword(input.newPassword, deps.config.bcryptCost);
  const checkedHash = user.passwordHash;
  const { revokedSessionIds } = await commitCredentialChange(deps, user.id, now, {
    reason: 'password_changed',
    keep: caller.sessionId,
    plan: (current, revoked) => {
      // The password changed (or the account went) since we checked it: the current password is no longer current.
      if (!current || current.passwordHash !== checkedHash) throw invalidCredentials();
      const items = [
        part('user', deps.users.changePasswordItem(current, revoked, checkedHash, newHash, now)),
        part('event', deps.events.putItem({ userId: current.id, type: 'password_changed', ip: meta.ip, userAgent: meta.userAgent, sessionId: caller.sessionId }, now)),
      ];
      // A pending reset link dies with the password it was meant to replace.
      if (current.resetTokenHash) items.push(part('pending', deps.tokens.deleteItem('reset', current.resetTokenHash)));
      return { user: current, userItem: items };
    },
  });
  await attempt.succeeded();
  await notifyUser(deps, user.email, securityNotice(
    'Your password was changed',
    'The password of your account was changed, and every other device was signed out.',
    'If this was not you, reset your password now with "Forgot password": someone else may know it.',
    { at: now, ip: meta.ip, userAgent: meta.userAgent },
  ), user.id, now);
  log.info('password changed; other sessions revoked', {
    event: 'password_changed',
    userId: user.id,
    sessionId: caller.sessionId,
    revokedSessionIds,
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
    await deps.transactions.write(parts('token', items));
  } catch (err) {
    if (failedOn(err)) return; // deleted meanwhile
    throw err;
  }
  log.info('password reset requested', { event: 'password_reset_requested', userId: user.id });
  await sendLinkEmail(deps, 'reset', user.email, token.value, { userId: user.id });
}

/**
 * POST /auth/password/reset. The token must be the user's current reset token, unexpired and
 * unused, and the account enabled. As a credential change (lib/credential-change.ts), ONE
 * transaction consumes it (conditional on both the token item and the user's pointer to it), sets
 * the new hash and revokes every session of the user, including one whose login raced the reset;
 * of two concurrent uses of one token exactly one commits. A weak newPassword was refused by
 * validation before any of this, so it consumes nothing.
 */
export async function resetPassword(deps: AccountDeps, input: ResetInput, meta: RequestMeta): Promise<void> {
  if (!isOneTimeTokenShape(input.token)) throw invalidToken();
  const hash = hashOneTimeToken('reset', input.token);
  const now = deps.clock();
  const record = await deps.tokens.find('reset', hash);
  if (!record || record.expiresAt <= Math.floor(now.getTime() / 1000)) throw invalidToken();
  const user = await deps.users.findById(record.userId);
  // A disabled account's link is refused here and again by the write's condition on the user item.
  if (!user || user.resetTokenHash !== hash || user.disabledAt) throw invalidToken();
  const newHash = await hashPassword(input.newPassword, deps.config.bcryptCost);
  const { revokedSessionIds } = await commitCredentialChange(deps, user.id, now, {
    reason: 'password_reset',
    plan: (current, revoked) => {
      if (!current || current.resetTokenHash !== hash || current.disabledAt) throw invalidToken();
      const items = [
        part('token', deps.tokens.consumeItem('reset', hash, now)),
        part('user', deps.users.resetPasswordItem(current, revoked, hash, newHash, now)),
        part('event', deps.events.putItem({ userId: current.id, type: 'password_reset', ip: meta.ip, userAgent: meta.userAgent }, now)),
      ];
      if (current.verifyTokenHash) items.push(part('pending', deps.tokens.deleteItem('verify', current.verifyTokenHash)));
      return { user: current, userItem: items };
    },
    onConflict: (err) => {
      if (failedOn(err, 'token')) throw invalidToken(err);
    },
  });
  log.info('password reset; every session revoked', { event: 'password_reset', userId: user.id, revokedSessionIds });
  await notifyUser(deps, user.email, securityNotice(
    'Your password was reset',
    'The password of your account was reset with a link sent to this address, and every device was signed out.',
    'If this was not you, reset your password again now, and check who can read this mailbox.',
    { at: now, ip: meta.ip, userAgent: meta.userAgent },
  ), user.id, now);
}
