import { invalidToken, serviceUnavailable, unauthorized } from '../errors';
import { log } from '../log';
import { failedOn, part, parts } from '../repositories/transactions';
import { hashOneTimeToken, isOneTimeTokenShape } from '../tokens/one-time-token';
import type { AccountDeps } from './account-deps';
import type { RequestMeta } from './deps';
import { addressAllowed, emailIpAllowed, issueToken, sendLinkEmail } from './email-links';
import { publicUser, type PublicUser } from '../public-user';

/**
 * POST /auth/email/verify. The token must be the user's current verification token, unexpired
 * and unused; consuming it and marking the email verified are one conditional transaction, so
 * of two concurrent uses one wins, and a resend racing it either supersedes the token first
 * (the verify fails) or finds the email verified (nothing is sent). Every failure is the same
 * `invalid_token` and changes nothing.
 */
export async function verifyEmail(deps: AccountDeps, tokenValue: string, meta: RequestMeta): Promise<PublicUser> {
  if (!isOneTimeTokenShape(tokenValue)) throw invalidToken();
  const hash = hashOneTimeToken('verify', tokenValue);
  const now = deps.clock();
  const record = await deps.tokens.find('verify', hash);
  // Expiry is checked here and again in the write's condition; TTL deletion alone can lag by days.
  if (!record || record.expiresAt <= Math.floor(now.getTime() / 1000)) throw invalidToken();
  const user = await deps.users.findById(record.userId);
  if (!user || user.verifyTokenHash !== hash) throw invalidToken();
  try {
    await deps.transactions.write([
      part('token', deps.tokens.consumeItem('verify', hash, now)),
      part('user', deps.users.markEmailVerifiedItem(user.id, hash)),
      part('event', deps.events.putItem({ userId: user.id, type: 'email_verified', ip: meta.ip, userAgent: meta.userAgent }, now)),
    ]);
  } catch (err) {
    if (failedOn(err)) throw invalidToken(err);
    throw err;
  }
  log.info('email verified', { event: 'email_verified', userId: user.id });
  return publicUser({ ...user, emailVerified: true });
}

/**
 * POST /auth/email/resend: a new verification email whose token supersedes the previous one.
 * Answers 202 in every case a client cannot act on (already verified, limited); a send failure
 * is 503 so the client knows to try again.
 */
export async function resendVerification(deps: AccountDeps, userId: string, meta: RequestMeta): Promise<void> {
  const now = deps.clock();
  if (!(await emailIpAllowed(deps, meta, now))) return;
  const user = await deps.users.findById(userId);
  if (!user) throw unauthorized();
  if (user.emailVerified) return;
  if (!(await addressAllowed(deps, 'verify', user.email, user.id, now, meta))) return;
  const { token, items } = issueToken(deps, 'verify', user.id, now, user.verifyTokenHash);
  try {
    await deps.transactions.write(parts('token', items));
  } catch (err) {
    // Verified (or deleted) between our read and this write: there is nothing to send.
    if (failedOn(err)) return;
    throw err;
  }
  if (!(await sendLinkEmail(deps, 'verify', user.email, token.value, { userId: user.id }))) {
    throw serviceUnavailable(new Error('verification email not sent'));
  }
}
