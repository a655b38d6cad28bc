/**
 * Security notices over HTTP, read from the SES emulator: a second factor added, new recovery
 * codes, a factor removed, and a sign-in from a device not seen before. Each arrives exactly once,
 * says when and from where, and what to do if it was not the user; a client that presents its
 * device token (the registration's, or one a later sign-in issued) causes none.
 */
import { Secret } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { totpCode, totpStep } from '../../lib/mfa/totp';
import { uniqueEmail } from '../helpers/deps';
import { bearer, call, post } from '../helpers/http';
import { emailsTo, waitForEmails, type StoredEmail } from '../helpers/mail';

const PASSWORD = 'correct horse battery';
const AGENT = 'NoticeTest/1.0 (a browser never seen before)';
const NEW_SIGN_IN = 'New sign-in to your account';
const FACTOR_ADDED = 'A second factor was added to your account';
const FACTOR_REMOVED = 'A second factor was removed from your account';
const CODES_ISSUED = 'New recovery codes were issued for your account';

const withAgent = (headers: Record<string, string> = {}) => ({ 'user-agent': AGENT, ...headers });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The emails of `subject` to `address`, after `expected` of them arrived (or the wait ran out), plus a settling pause for strays. */
async function noticesOf(address: string, subject: string, expected: number): Promise<StoredEmail[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await emailsTo(address)).filter((e) => e.subject === subject);
    if (found.length >= expected || Date.now() > deadline) {
      // Sending happens before the answer; this only catches a duplicate the emulator stored late.
      await sleep(300);
      return (await emailsTo(address)).filter((e) => e.subject === subject);
    }
    await sleep(100);
  }
}

function expectNoticeShape(email: StoredEmail) {
  const text = email.body.text ?? '';
  expect(text).toMatch(/When: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT/);
  expect(text).toContain('From: 127.0.0.1');
  expect(text).toContain(AGENT);
  expect(text).toContain('If this was not you');
  expect(email.body.html).toContain(AGENT);
}

async function register() {
  const email = uniqueEmail('notices');
  const registered = await post('/auth/register', { email, password: PASSWORD }, withAgent());
  expect(registered.status).toBe(201);
  expect(registered.body.deviceToken).toMatch(/^[\w-]{43}$/);
  return { email, ...registered.body } as { email: string; accessToken: string; refreshToken: string; deviceToken: string };
}

describe('security notices', () => {
  it('a sign-in from a new device sends one notice; the registering client and a returning device send none', async () => {
    const user = await register();
    // The registering client signs in again with its device token: known, no notice, no new token.
    const same = await post('/auth/login', { email: user.email, password: PASSWORD, deviceToken: user.deviceToken }, withAgent());
    expect(same.status).toBe(200);
    expect(same.body.deviceToken).toBeUndefined();

    // Another client, without a device token: a new device, told once, given a token.
    const fresh = await post('/auth/login', { email: user.email, password: PASSWORD }, withAgent());
    expect(fresh.status).toBe(200);
    expect(fresh.body.deviceToken).toMatch(/^[\w-]{43}$/);
    const [notice, ...more] = await noticesOf(user.email, NEW_SIGN_IN, 1);
    expect(more).toEqual([]);
    expectNoticeShape(notice!);

    // That client comes back with the token it got: known now, nothing more is sent.
    const back = await post('/auth/login', { email: user.email, password: PASSWORD, deviceToken: fresh.body.deviceToken }, withAgent());
    expect(back.status).toBe(200);
    expect(back.body.deviceToken).toBeUndefined();
    expect(await noticesOf(user.email, NEW_SIGN_IN, 2)).toHaveLength(1);
  }, 120_000);

  it('attack: a device token of another account does not make a device known', async () => {
    const victim = await register();
    const attacker = await register();
    const login = await post('/auth/login', { email: victim.email, password: PASSWORD, deviceToken: attacker.deviceToken }, withAgent());
    expect(login.status).toBe(200);
    expect(login.body.deviceToken).toMatch(/^[\w-]{43}$/);
    expect(await noticesOf(victim.email, NEW_SIGN_IN, 1)).toHaveLength(1);
  }, 120_000);

  it('factor added, recovery codes issued, factor removed: one notice each, naming the factor; a two-step sign-in from a new device: one notice', async () => {
    const user = await register();
    const enrolment = await post('/auth/mfa/totp', undefined, withAgent(bearer(user.accessToken)));
    expect(enrolment.status).toBe(201);
    const secret = Buffer.from(Secret.fromBase32(enrolment.body.secret).bytes);
    const step = totpStep(new Date());
    const confirmed = await post('/auth/mfa/totp/confirm', { factorId: enrolment.body.factor.id, code: totpCode(secret, step) }, withAgent(bearer(user.accessToken)));
    expect(confirmed.status).toBe(200);
    const [added, ...moreAdded] = await noticesOf(user.email, FACTOR_ADDED, 1);
    expect(moreAdded).toEqual([]);
    expectNoticeShape(added!);
    expect(added!.body.text).toContain('An authenticator app (TOTP) was added');
    // The first factor's recovery codes are named in its notice, not sent as a second email.
    expect(added!.body.text).toContain('recovery codes');

    const regenerated = await post('/auth/mfa/recovery-codes', undefined, withAgent(bearer(confirmed.body.accessToken)));
    expect(regenerated.status).toBe(200);
    const [issued, ...moreIssued] = await noticesOf(user.email, CODES_ISSUED, 1);
    expect(moreIssued).toEqual([]);
    expectNoticeShape(issued!);

    // The registering client's two-step sign-in: known device, no notice.
    const known = await post('/auth/login', { email: user.email, password: PASSWORD, deviceToken: user.deviceToken }, withAgent());
    expect(known.body.mfaRequired).toBe(true);
    const knownDone = await post('/auth/mfa/verify', { mfaToken: known.body.mfaToken, code: totpCode(secret, step + 1) }, withAgent());
    expect(knownDone.status).toBe(200);
    expect(knownDone.body.deviceToken).toBeUndefined();
    // Another client's: no notice at the password step (no session yet), one with the session.
    const other = await post('/auth/login', { email: user.email, password: PASSWORD }, withAgent());
    expect(other.body.mfaRequired).toBe(true);
    expect(await emailsTo(user.email).then((all) => all.filter((e) => e.subject === NEW_SIGN_IN))).toEqual([]);
    const otherDone = await post('/auth/mfa/verify', { mfaToken: other.body.mfaToken, recoveryCode: regenerated.body.recoveryCodes[0] }, withAgent());
    expect(otherDone.status).toBe(200);
    expect(otherDone.body.deviceToken).toMatch(/^[\w-]{43}$/);
    expect(await noticesOf(user.email, NEW_SIGN_IN, 1)).toHaveLength(1);

    const removed = await call('DELETE', `/auth/mfa/factors/${enrolment.body.factor.id}`, { headers: withAgent(bearer(otherDone.body.accessToken)) });
    expect(removed.status).toBe(204);
    const [gone, ...moreGone] = await noticesOf(user.email, FACTOR_REMOVED, 1);
    expect(moreGone).toEqual([]);
    expectNoticeShape(gone!);
    expect(gone!.body.text).toContain('An authenticator app (TOTP) was removed');
    expect(gone!.body.text).toContain('It was the last one');

    // Each kind exactly once over the whole walk-through; nothing else but the verification email.
    const subjects = (await waitForEmails(user.email, 5)).map((e) => e.subject).sort();
    expect(subjects).toEqual([CODES_ISSUED, FACTOR_ADDED, FACTOR_REMOVED, NEW_SIGN_IN, 'Confirm your email address'].sort());
  }, 180_000);
});
