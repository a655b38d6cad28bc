import { mailboxOf } from '../email-address';
import { emailChangeEmail, passwordResetEmail, verificationEmail, type EmailContent } from '../email/templates';
import type { MailKind } from '../repositories/one-time-tokens';
import { sourceKey } from '../source-key';
import { describeError, log } from '../log';
import type { TransactWriteItem } from '../repositories/types';
import { newOneTimeToken, type OneTimeToken, type OneTimeTokenKind } from '../tokens/one-time-token';
import type { AccountDeps } from './account-deps';
import type { RequestMeta } from './deps';

export function ttlOf(deps: Pick<AccountDeps, 'config'>, kind: OneTimeTokenKind): number {
  if (kind === 'verify') return deps.config.emailVerificationTtlSeconds;
  return kind === 'reset' ? deps.config.passwordResetTtlSeconds : deps.config.emailChangeTtlSeconds;
}

/**
 * A fresh token of `kind` for the user, and the items that store its hash and make it the
 * user's current one (the previous one, if any, is deleted and stops working).
 */
export function issueToken(
  deps: Pick<AccountDeps, 'config' | 'tokens' | 'users'>,
  kind: OneTimeTokenKind,
  userId: string,
  now: Date,
  previousHash: string | undefined,
  options: { pointUser?: boolean; newEmail?: string; sessionId?: string } = {},
): { token: OneTimeToken; items: TransactWriteItem[] } {
  const token = newOneTimeToken(kind);
  const expiresAt = Math.floor(now.getTime() / 1000) + ttlOf(deps, kind);
  const record = { kind, userId, createdAt: now.toISOString(), expiresAt, newEmail: options.newEmail, sessionId: options.sessionId };
  const items = [deps.tokens.putItem(token.hash, record)];
  if (options.pointUser !== false) items.push(deps.users.setTokenItem(userId, kind, token.hash));
  if (previousHash) items.push(deps.tokens.deleteItem(kind, previousHash));
  return { token, items };
}

/**
 * Per-source limit shared by the email-sending endpoints (forgot, resend). Over the limit the
 * caller still answers as usual: the limit must not tell anything about accounts. Sources are
 * keyed like the login throttle's (lib/http/client-ip.ts `sourceKey`): an IPv6 client holds a
 * whole /64, so rotating addresses inside it stays one source, and a request without a known
 * source IP counts in one shared bucket instead of going unlimited.
 */
export async function emailIpAllowed(deps: AccountDeps, meta: RequestMeta, now: Date): Promise<boolean> {
  const limit = deps.config.emailIpLimitPerWindow;
  if (limit <= 0) return true;
  const source = sourceKey(meta.ip);
  const { count } = await deps.rateLimits.hit(`email:${source}`, deps.config.emailLimitWindowSeconds, now);
  if (count > limit) {
    log.warn('email request limited by source IP', { event: 'email_ip_limited', ip: source, count });
    return false;
  }
  return true;
}

/**
 * Per-mailbox limit: at most EMAIL_MAX_PER_ADDRESS emails of a kind within the window reach one
 * mailbox. The key folds the address to its mailbox ({@link mailboxOf}: `+tag` everywhere, dots at
 * Gmail), so registering or resetting `victim+1`, `victim+2`, ... cannot bomb one inbox.
 */
export async function addressAllowed(deps: AccountDeps, kind: MailKind, email: string, userId: string, now: Date, meta: RequestMeta): Promise<boolean> {
  const ok = await deps.mailLimits.tryReserve(kind, mailboxOf(email), now, deps.config.emailMaxPerAddress, deps.config.emailLimitWindowSeconds);
  if (!ok) log.warn('email limited for this mailbox', { event: 'email_address_limited', kind, userId });
  return ok;
}

/** Sends the link email; true when the provider accepted it. Never logs the token or the body. */
export async function sendLinkEmail(
  deps: Pick<AccountDeps, 'config' | 'mailer'>,
  kind: OneTimeTokenKind,
  to: string,
  token: string,
  context: { userId: string },
): Promise<boolean> {
  const values = { appUrl: deps.config.appUrl, token, ttlSeconds: ttlOf(deps, kind) };
  const content = kind === 'verify' ? verificationEmail(values) : kind === 'reset' ? passwordResetEmail(values) : emailChangeEmail(values);
  try {
    const messageId = await deps.mailer.send({ to, ...content });
    log.info('email sent', { event: 'email_sent', kind, userId: context.userId, messageId });
    return true;
  } catch (err) {
    log.error('email not sent', { event: 'email_failed', kind, userId: context.userId, error: describeError(err) });
    return false;
  }
}
