/**
 * Changing the account's email address.
 *
 * `POST /auth/email/change` (signed in) answers 202 whatever happens next, so it tells nothing
 * about other accounts: a free new address gets a single-use link to `<APP_URL>/confirm-email`
 * (its hash stored, current on the user item like the other links, 1 hour), a taken one gets only
 * a notice that someone tried to use it; the old address gets a notice either way. Both kinds of
 * email count against the per-source and per-mailbox limits.
 *
 * `POST /auth/email/change/confirm` (the link's page) is a credential change
 * (lib/credential-change.ts): ONE transaction consumes the token, moves the user to the new
 * address (verified: the link reached it), releases the old email claim, takes the new one only if
 * nobody holds it (so an email change and a registration of that address racing each other have
 * exactly one winner), records the event and revokes every session but the one that asked. The
 * `email` claim of the kept session is current at its next refresh; login works with the new
 * address only. A password change, reset, disabling or deletion ends a pending link.
 */
import type { Caller } from '../caller';
import { commitCredentialChange } from '../credential-change';
import { emailTaken, invalidRequest, invalidToken, unauthorized } from '../errors';
import { securityNotice } from '../email/templates';
import { log } from '../log';
import { publicUser, type PublicUser } from '../public-user';
import { failedOn, part, parts } from '../repositories/transactions';
import { hashOneTimeToken, isOneTimeTokenShape } from '../tokens/one-time-token';
import type { EmailChangeInput } from '../validation';
import type { AccountDeps } from './account-deps';
import type { RequestMeta } from './deps';
import { addressAllowed, emailIpAllowed, issueToken, sendLinkEmail } from './email-links';
import { notifyUser } from '../notices';

export async function requestEmailChange(deps: AccountDeps, caller: Pick<Caller, 'userId' | 'sessionId'>, input: EmailChangeInput, meta: RequestMeta): Promise<void> {
  const now = deps.clock();
  const user = await deps.users.findById(caller.userId);
  if (!user) throw unauthorized();
  if (input.newEmail === user.email) {
    throw invalidRequest([{ field: 'newEmail', message: 'is the address of this account already' }]);
  }
  if (!(await emailIpAllowed(deps, meta, now))) return;
  const taken = await deps.users.emailTaken(input.newEmail);
  const notice = { at: now, ip: meta.ip, userAgent: meta.userAgent };
  if (taken) {
    // Nothing to confirm: the owner of that address is told someone tried, and nothing else.
    // Any signed-in user can aim this at any address: it counts as an email-change email.
    if (await addressAllowed(deps, 'email_change', input.newEmail, user.id, now, meta)) {
      await notifyUser(deps, input.newEmail, securityNotice(
        'Someone tried to use your email address',
        'Someone asked to move another account to this email address. It is already the address of an account, so nothing changed.',
        'If this was you, sign in to the account that has this address instead. Otherwise there is nothing to do.',
        notice,
      ), user.id, now);
    }
  } else {
    const { token, items } = issueToken(deps, 'email_change', user.id, now, user.emailChangeTokenHash, { newEmail: input.newEmail, sessionId: caller.sessionId });
    try {
      await deps.transactions.write([
        ...parts('token', items),
        part('event', deps.events.putItem({ userId: user.id, type: 'email_change_requested', ip: meta.ip, userAgent: meta.userAgent, sessionId: caller.sessionId }, now)),
      ]);
    } catch (err) {
      if (failedOn(err)) return; // deleted meanwhile
      throw err;
    }
    if (await addressAllowed(deps, 'email_change', input.newEmail, user.id, now, meta)) {
      await sendLinkEmail(deps, 'email_change', input.newEmail, token.value, { userId: user.id });
    }
  }
  await notifyUser(deps, user.email, securityNotice(
    'A change of your email address was requested',
    `Someone signed in to your account asked to change its email address to ${input.newEmail}. It changes only once that address confirms it.`,
    'If this was not you, change your password now: that signs out every other device and cancels the change.',
    notice,
  ), user.id, now);
  log.info('email change requested', { event: 'email_change_requested', userId: user.id, addressTaken: taken });
}

export async function confirmEmailChange(deps: AccountDeps, tokenValue: string, meta: RequestMeta): Promise<PublicUser> {
  if (!isOneTimeTokenShape(tokenValue)) throw invalidToken();
  const hash = hashOneTimeToken('email_change', tokenValue);
  const now = deps.clock();
  const record = await deps.tokens.find('email_change', hash);
  if (!record || !record.newEmail || record.expiresAt <= Math.floor(now.getTime() / 1000)) throw invalidToken();
  const newEmail = record.newEmail;
  let oldEmail = '';
  const { user, revokedSessionIds } = await commitCredentialChange(deps, record.userId, now, {
    reason: 'email_changed',
    keep: record.sessionId,
    plan: (current, revoked) => {
      if (!current || current.emailChangeTokenHash !== hash || current.disabledAt) throw invalidToken();
      oldEmail = current.email;
      const items = [
        part('token', deps.tokens.consumeItem('email_change', hash, now)),
        part('user', deps.users.changeEmailItem(current, revoked, hash, newEmail, now)),
        ...deps.users.moveEmailClaimItems(current.id, current.email, newEmail, now),
        part('event', deps.events.putItem({ userId: current.id, type: 'email_changed', ip: meta.ip, userAgent: meta.userAgent, detail: 'confirmed' }, now)),
      ];
      if (current.verifyTokenHash) items.push(part('pending', deps.tokens.deleteItem('verify', current.verifyTokenHash)));
      return { user: { ...current, email: newEmail, emailVerified: true }, userItem: items };
    },
    onConflict: (err) => {
      if (failedOn(err, 'claim')) throw emailTaken();
      if (failedOn(err, 'token')) throw invalidToken(err);
    },
  });
  log.info('email changed; other sessions revoked', { event: 'email_changed', userId: user.id, revokedSessionIds });
  await notifyUser(deps, oldEmail, securityNotice(
    'Your email address was changed',
    `The email address of your account was changed to ${newEmail}. Every other device was signed out.`,
    'If this was not you, reset your password from the new address or contact support: someone may control your account.',
    { at: now, ip: meta.ip, userAgent: meta.userAgent },
  ), user.id, now);
  return publicUser(user);
}
