/**
 * Security notices by email: what happened to an account, when, from where, and what to do if it
 * was not its owner (lib/email/templates.ts `securityNotice`). Sent after the change they report
 * has committed and never throwing: a notice that cannot go out (the mailbox's limit reached, the
 * provider down) is logged, and the request that made the change still succeeds.
 *
 * Here rather than beside the use cases because the sign-in door (lib/sign-in.ts) sends one too.
 */
import { mailboxOf } from './email-address';
import type { EmailSender } from './email/sender';
import { securityNotice, type EmailContent } from './email/templates';
import { describeError, log } from './log';
import type { Config } from './config';
import type { EmailLimitRepository } from './repositories/one-time-tokens';

/** What sending a notice needs. */
export interface NoticeDeps {
  config: Pick<Config, 'emailLimitWindowSeconds'>;
  mailLimits: Pick<EmailLimitRepository, 'tryReserve'>;
  mailer: EmailSender;
}

/** Where a noticed action came from. */
export interface NoticeOrigin {
  ip: string | undefined;
  userAgent: string | undefined;
}

/**
 * Notices of each kind to one mailbox per EMAIL_LIMIT_WINDOW_SECONDS. Higher than the links' limit: a user's
 * own password change, reset, email change, factor changes and sign-ins from new devices send one
 * each, and none of them can be set off by someone without the account's credentials (the notice
 * to a taken address, which any signed-in user can aim at any address, counts as an email-change
 * email instead).
 */
export const NOTICES_PER_MAILBOX = 10;

/**
 * Sends `content` to `to`, within the per-mailbox limit of its `kind` (new-device sign-ins have a
 * budget of their own: a burst of them cannot silence the notice of a password change). Never
 * throws: the change it reports has already happened, and a notice that cannot go out is logged.
 */
export async function notifyUser(deps: NoticeDeps, to: string, content: EmailContent, userId: string, now: Date, kind: 'notice' | 'sign_in_notice' = 'notice'): Promise<void> {
  try {
    const allowed = await deps.mailLimits.tryReserve(kind, mailboxOf(to), now, NOTICES_PER_MAILBOX, deps.config.emailLimitWindowSeconds);
    if (!allowed) {
      log.warn('email limited for this mailbox', { event: 'email_address_limited', kind, userId });
      return;
    }
    const messageId = await deps.mailer.send({ to, ...content });
    log.info('email sent', { event: 'email_sent', kind, userId, messageId });
  } catch (err) {
    log.error('email not sent', { event: 'email_failed', kind, userId, error: describeError(err) });
  }
}

/** A factor type in words; a type this list does not know yet is still named. */
export function factorInWords(type: string): string {
  const words: Record<string, string> = { totp: 'an authenticator app (TOTP)', passkey: 'a passkey' };
  return words[type] ?? `a second factor of type "${type}"`;
}

const TAKEN_OVER = 'If this was not you, someone else can sign in to your account: reset your password now with "Forgot password" (that signs out every device), then review your second factors.';

/** A second factor was added (`recoveryCodes`: with the first factor, a set of recovery codes was issued too). */
export function factorAddedNotice(type: string, recoveryCodes: boolean, at: Date, origin: NoticeOrigin): EmailContent {
  const codes = recoveryCodes ? ' Ten recovery codes were issued with it; every other device was signed out.' : '';
  return securityNotice(
    'A second factor was added to your account',
    `${capitalized(factorInWords(type))} was added as a second factor of your account.${codes}`,
    TAKEN_OVER,
    { at, ip: origin.ip, userAgent: origin.userAgent },
  );
}

/** A second factor was removed (`last`: the account has none left, and its recovery codes went with it). */
export function factorRemovedNotice(type: string, last: boolean, at: Date, origin: NoticeOrigin): EmailContent {
  const rest = last
    ? ' It was the last one: signing in now takes the password alone, and the recovery codes no longer work.'
    : '';
  return securityNotice(
    'A second factor was removed from your account',
    `${capitalized(factorInWords(type))} was removed from the second factors of your account, and every other device was signed out.${rest}`,
    TAKEN_OVER,
    { at, ip: origin.ip, userAgent: origin.userAgent },
  );
}

/** A new set of recovery codes was issued; the previous set stopped working. */
export function recoveryCodesNotice(at: Date, origin: NoticeOrigin): EmailContent {
  return securityNotice(
    'New recovery codes were issued for your account',
    'A new set of ten recovery codes was issued for your account. The codes issued before no longer work.',
    TAKEN_OVER,
    { at, ip: origin.ip, userAgent: origin.userAgent },
  );
}

/** A sign-in from a browser or app that had not signed in to this account before (or not for a long time). */
export function newDeviceNotice(at: Date, origin: NoticeOrigin): EmailContent {
  return securityNotice(
    'New sign-in to your account',
    'Your account was signed in to from a device or browser it has not seen before (or has not seen for a long time).',
    'If this was not you, someone else knows your password: reset it now with "Forgot password" (that signs out every device) and add a second factor if you have none. If it was you, there is nothing to do.',
    { at, ip: origin.ip, userAgent: origin.userAgent },
  );
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
