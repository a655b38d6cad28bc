/**
 * Security notices on DynamoDB Local and the SES emulator: best effort after the commit (a mail
 * provider that fails never fails the change nor leaves part of it), and the budget of new-device
 * notices kept apart from the budget of credential and factor notices.
 */
import { Secret } from 'otpauth';
import { describe, expect, it } from 'vitest';
import type { EmailSender } from '../../lib/email/sender';
import { totpCode, totpStep } from '../../lib/mfa/totp';
import { NOTICES_PER_MAILBOX } from '../../lib/notices';
import { verifyAccessToken } from '../../lib/tokens/access-token';
import { accessSettings } from '../../lib/tokens/access-settings';
import { confirmTotp, enrolTotp, listFactors, regenerateRecoveryCodes, removeFactor } from '../../lib/usecases/mfa';
import { changePassword } from '../../lib/usecases/password';
import { register } from '../../lib/usecases/register';
import { passwordLogin, testDeps, uniqueEmail } from '../helpers/deps';
import { emailsTo, waitForEmails } from '../helpers/mail';

const PASSWORD = 'correct horse battery';
const meta = { ip: '203.0.113.9', userAgent: 'vitest/notices' };

/** A provider that is down: every send fails. */
const failing: EmailSender & { attempts: number } = {
  attempts: 0,
  send() {
    this.attempts += 1;
    return Promise.reject(new Error('SES is down'));
  },
};

async function callerOf(deps: ReturnType<typeof testDeps>['deps'], accessToken: string) {
  const claims = await verifyAccessToken(deps.keys, accessSettings(deps.config), accessToken, deps.clock());
  return { userId: claims.sub, sessionId: claims.sid };
}

describe('security notices', () => {
  it('a mail provider that fails fails nothing: the new-device sign-in, the factor added, the codes and the removal all commit whole', async () => {
    const { deps, clock } = testDeps({ mailer: failing });
    const email = uniqueEmail('notice-down');
    const registered = await register(deps, { email, password: PASSWORD, name: undefined }, meta);

    // A new device: its token is issued and recorded, though the notice could not go out.
    const before = failing.attempts;
    const fresh = await passwordLogin(deps, { email, password: PASSWORD }, meta);
    expect(failing.attempts).toBe(before + 1);
    expect(fresh.deviceToken).toMatch(/^[\w-]{43}$/);
    const back = await passwordLogin(deps, { email, password: PASSWORD, deviceToken: fresh.deviceToken }, meta);
    expect(back.deviceToken).toBeUndefined();

    const caller = await callerOf(deps, registered.accessToken);
    const enrolment = await enrolTotp(deps, caller);
    const secret = Buffer.from(Secret.fromBase32(enrolment.secret).bytes);
    const confirmed = await confirmTotp(deps, caller, { factorId: enrolment.factor.id, code: totpCode(secret, totpStep(clock.now())) }, meta);
    expect(confirmed.recoveryCodes).toHaveLength(10);
    expect((await listFactors(deps, caller)).factors).toHaveLength(1);
    expect((await regenerateRecoveryCodes(deps, caller, meta)).recoveryCodes).toHaveLength(10);
    await removeFactor(deps, caller, enrolment.factor.id, meta);
    expect((await listFactors(deps, caller)).factors).toEqual([]);
    expect(failing.attempts).toBe(before + 4);
  });

  it('attack: a burst of sign-ins from new devices cannot use up the notices of a password change', async () => {
    const { deps } = testDeps();
    const email = uniqueEmail('notice-burst');
    const registered = await register(deps, { email, password: PASSWORD, name: undefined }, meta);
    // Someone with the password signs in from more new devices than the mailbox's budget allows.
    for (let i = 0; i < NOTICES_PER_MAILBOX + 2; i += 1) await passwordLogin(deps, { email, password: PASSWORD }, meta);
    const signIns = (await emailsTo(email)).filter((e) => e.subject === 'New sign-in to your account');
    expect(signIns).toHaveLength(NOTICES_PER_MAILBOX);

    // The owner's password change is still told.
    await changePassword(deps, await callerOf(deps, registered.accessToken), { currentPassword: PASSWORD, newPassword: 'a different passphrase' }, meta);
    const all = await waitForEmails(email, 1 + NOTICES_PER_MAILBOX + 1);
    expect(all.filter((e) => e.subject === 'Your password was changed')).toHaveLength(1);
  });
});
