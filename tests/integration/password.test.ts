import { describe, expect, it } from 'vitest';
import { passwordAttemptKeys } from '../../lib/throttle/password-attempts';
import { passwordLogin as login } from '../helpers/deps';
import { refresh } from '../../lib/usecases/refresh';
import { register } from '../../lib/usecases/register';
import { deleteAccount } from '../../lib/usecases/account-deletion';
import { changePassword, forgotPassword, resetPassword } from '../../lib/usecases/password';
import { parseReset } from '../../lib/validation';
import { hashOneTimeToken } from '../../lib/tokens/one-time-token';
import { verifyEmail } from '../../lib/usecases/email-verification';
import { verifyAccessToken } from '../../lib/tokens/access-token';
import { accessSettings } from '../../lib/tokens/access-settings';
import { createSesClient, SesEmailSender } from '../../lib/email/sender';
import { freePort } from '../../scripts/stack';
import { injectFault, throttling } from '../helpers/faults';
import { emailsTo, latestToken, tokenIn, waitForEmails } from '../helpers/mail';
import { issued, testClock, testDeps, uniqueEmail } from '../helpers/deps';

const meta = { ip: '203.0.113.20', userAgent: 'vitest/1.0' };
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';
type D = ReturnType<typeof testDeps>['deps'];

function fastDeps(options: Parameters<typeof testDeps>[0] = {}) {
  return testDeps({ ...options, env: { FORGOT_MIN_RESPONSE_MS: '0', ...options.env } });
}

async function account(deps: D, email = uniqueEmail('pw')) {
  const first = await register(deps, { email, password: PASSWORD, name: 'Ada' }, meta);
  const second = await login(deps, { email, password: PASSWORD }, meta);
  const sid = async (accessToken: string) => (await verifyAccessToken(deps.keys, accessSettings(deps.config), accessToken, deps.clock())).sid;
  return { user: first.user, first, second, firstSid: await sid(first.accessToken), secondSid: await sid(second.accessToken) };
}

const isRevoked = async (deps: D, sid: string) => Boolean((await deps.sessions.getSession(sid))?.revokedAt);

describe('password change', () => {
  it('sets the new password and revokes every other session in the same write; the caller stays signed in', async () => {
    const { deps } = fastDeps();
    const { user, first, firstSid, secondSid } = await account(deps);
    await changePassword(deps, { userId: user.id, sessionId: firstSid }, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, meta);
    expect(await isRevoked(deps, secondSid)).toBe(true);
    expect(await isRevoked(deps, firstSid)).toBe(false);
    await expect(refresh(deps, first.refreshToken)).resolves.toEqual(issued());
    await expect(login(deps, { email: user.email, password: PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect((await login(deps, { email: user.email, password: NEW_PASSWORD }, meta)).user.id).toBe(user.id);
  });

  it('refuses a wrong current password with invalid_credentials, counts it as a failed login and changes nothing', async () => {
    const { deps } = fastDeps();
    const { user, firstSid, secondSid } = await account(deps);
    const caller = { userId: user.id, sessionId: firstSid };
    await expect(changePassword(deps, caller, { currentPassword: 'wrong password!', newPassword: NEW_PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(await isRevoked(deps, secondSid)).toBe(false);
    expect((await deps.loginAttempts.get(passwordAttemptKeys({ email: user.email, ip: meta.ip })[0]!))?.failures).toBe(1);
    expect((await login(deps, { email: user.email, password: PASSWORD }, meta)).user.id).toBe(user.id);
  });

  it('attack: guessing the current password through password change is throttled like a login', async () => {
    const { deps } = fastDeps();
    const { user, firstSid } = await account(deps);
    const caller = { userId: user.id, sessionId: firstSid };
    for (let i = 0; i < deps.config.loginMaxFailures; i += 1) {
      await expect(changePassword(deps, caller, { currentPassword: `guess number ${i}`, newPassword: NEW_PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    }
    await expect(changePassword(deps, caller, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, meta)).rejects.toMatchObject({ code: 'too_many_attempts' });
  });

  it('change racing a refresh of another device: that device ends up signed out either way', async () => {
    const { deps } = fastDeps();
    for (let round = 0; round < 3; round += 1) {
      const { user, second, firstSid, secondSid } = await account(deps);
      const [changed, refreshed] = await Promise.allSettled([
        changePassword(deps, { userId: user.id, sessionId: firstSid }, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, meta),
        refresh(deps, second.refreshToken),
      ]);
      expect(changed.status).toBe('fulfilled');
      expect(await isRevoked(deps, secondSid)).toBe(true);
      const latest = refreshed.status === 'fulfilled' ? refreshed.value.refreshToken : second.refreshToken;
      await expect(refresh(deps, latest)).rejects.toMatchObject({ code: expect.stringMatching(/invalid_refresh_token|refresh_token_reused/) });
    }
  });
});

describe('forgot password', () => {
  it('emails a reset link for an existing account and nothing for an unknown one, answering the same', async () => {
    const { deps } = fastDeps();
    const { user } = await account(deps);
    const ghost = uniqueEmail('ghost');
    expect(await forgotPassword(deps, { email: user.email }, meta)).toBeUndefined();
    expect(await forgotPassword(deps, { email: ghost }, meta)).toBeUndefined();
    const mails = (await waitForEmails(user.email, 2)).filter((e) => e.subject === 'Reset your password');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.body.text).toMatch(/http:\/\/localhost:5173\/reset-password\?token=[\w-]{43}/);
    expect(mails[0]!.body.text).toContain('30 minutes');
    expect(await emailsTo(ghost)).toHaveLength(0);
  });

  it('attack: enumeration by request count: known and unknown emails make the same DynamoDB reads', async () => {
    const { deps, doc } = fastDeps();
    const { user } = await account(deps);
    const count = async (email: string) => {
      const seen: string[] = [];
      const name = `count-${Math.random()}`;
      doc.middlewareStack.add((next, context) => async (args) => (seen.push(context.commandName as string), next(args)), { step: 'initialize', name });
      await forgotPassword(deps, { email }, { ...meta, ip: undefined });
      doc.middlewareStack.remove(name);
      return seen;
    };
    const known = await count(user.email);
    const unknown = await count(uniqueEmail('nobody'));
    // Reads and the limit write are the same; only the known account adds its token write.
    expect(known.filter((c) => c !== 'TransactWriteItemsCommand')).toEqual(unknown);
  });

  it('sends at most 3 reset emails per address in 15 minutes, still answering normally', async () => {
    const { deps } = fastDeps();
    const { user } = await account(deps);
    for (let i = 0; i < 5; i += 1) await forgotPassword(deps, { email: user.email }, meta);
    expect((await emailsTo(user.email)).filter((e) => e.subject === 'Reset your password')).toHaveLength(3);
  });

  it('still answers when SES fails (logged)', async () => {
    const dead = new SesEmailSender(createSesClient({ from: 'a@b.example', endpoint: `http://127.0.0.1:${await freePort()}` }), 'a@b.example');
    const { deps } = fastDeps({ mailer: dead });
    const { user } = await account(deps);
    await expect(forgotPassword(deps, { email: user.email }, meta)).resolves.toBeUndefined();
  });

  it('waits at least FORGOT_MIN_RESPONSE_MS for an unknown address as for a known one', async () => {
    const { deps } = testDeps({ env: { FORGOT_MIN_RESPONSE_MS: '300' } });
    const started = performance.now();
    await forgotPassword(deps, { email: uniqueEmail('floor') }, meta);
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
  });
});

describe('password reset', () => {
  async function resetLink(deps: D, email: string) {
    await forgotPassword(deps, { email }, meta);
    return latestToken(email, 'reset-password');
  }

  it('sets the new password, revokes every session and works once', async () => {
    const { deps } = fastDeps();
    const { user, first, firstSid, secondSid } = await account(deps);
    const token = await resetLink(deps, user.email);
    await resetPassword(deps, { token, newPassword: NEW_PASSWORD }, meta);
    expect(await isRevoked(deps, firstSid)).toBe(true);
    expect(await isRevoked(deps, secondSid)).toBe(true);
    await expect(refresh(deps, first.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    expect((await login(deps, { email: user.email, password: NEW_PASSWORD }, meta)).user.emailVerified).toBe(true);
    await expect(resetPassword(deps, { token, newPassword: 'yet another password' }, meta)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('a weak newPassword is refused before the token is touched, so the link still works', async () => {
    const { deps } = fastDeps();
    const { user } = await account(deps);
    const token = await resetLink(deps, user.email);
    expect(() => parseReset({ token, newPassword: 'short' })).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    await resetPassword(deps, parseReset({ token, newPassword: NEW_PASSWORD }), meta);
  });

  it('refuses an expired, a superseded, a malformed and a verification token, changing nothing', async () => {
    const clock = testClock();
    const { deps } = fastDeps({ clock });
    const { user, firstSid } = await account(deps);
    const older = await resetLink(deps, user.email);
    clock.advance(1000);
    await forgotPassword(deps, { email: user.email }, meta);
    const newer = tokenIn((await waitForEmails(user.email, 3)).filter((e) => e.subject === 'Reset your password').at(-1)!, 'reset-password');
    const verification = await latestToken(user.email, 'verify-email');
    for (const token of [older, verification, 'x'.repeat(43), 'nope']) {
      await expect(resetPassword(deps, { token, newPassword: NEW_PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_token' });
    }
    clock.advance(30 * 60 * 1000);
    await expect(resetPassword(deps, { token: newer, newPassword: NEW_PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_token' });
    expect(await isRevoked(deps, firstSid)).toBe(false);
    expect((await login(deps, { email: user.email, password: PASSWORD }, meta)).user.id).toBe(user.id);
  });

  it('race: two concurrent resets with one token: exactly one wins', async () => {
    const { deps } = fastDeps();
    const { user } = await account(deps);
    const token = await resetLink(deps, user.email);
    const outcomes = await Promise.allSettled([
      resetPassword(deps, { token, newPassword: 'first new password' }, meta),
      resetPassword(deps, { token, newPassword: 'second new password' }, meta),
    ]);
    const won = outcomes.findIndex((o) => o.status === 'fulfilled');
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect((outcomes[1 - won] as PromiseRejectedResult).reason).toMatchObject({ code: 'invalid_token' });
    const winner = won === 0 ? 'first new password' : 'second new password';
    expect((await login(deps, { email: user.email, password: winner }, meta)).user.id).toBe(user.id);
  });

  it('answers 503 and changes nothing when DynamoDB fails on the write; the link still works after', async () => {
    const { deps, doc } = fastDeps();
    const { user, firstSid } = await account(deps);
    const token = await resetLink(deps, user.email);
    const fault = injectFault(doc, { command: 'TransactWriteItemsCommand', error: throttling });
    await expect(resetPassword(deps, { token, newPassword: NEW_PASSWORD }, meta)).rejects.toMatchObject({ code: 'service_unavailable' });
    fault.remove();
    expect(await isRevoked(deps, firstSid)).toBe(false);
    await resetPassword(deps, { token, newPassword: NEW_PASSWORD }, meta);
  });
});

describe('pending links die with the credentials they were for', () => {
  it('a password change deletes the pending reset link', async () => {
    const { deps } = fastDeps();
    const { user, firstSid } = await account(deps);
    await forgotPassword(deps, { email: user.email }, meta);
    const token = await latestToken(user.email, 'reset-password');
    await changePassword(deps, { userId: user.id, sessionId: firstSid }, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, meta);
    expect(await deps.tokens.find('reset', hashOneTimeToken('reset', token))).toBeUndefined();
    await expect(resetPassword(deps, { token, newPassword: 'an attacker password' }, meta)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('deleting the account deletes its pending verification and reset links, so they do nothing to the next owner of the email', async () => {
    const { deps } = fastDeps();
    const { user, firstSid } = await account(deps);
    await forgotPassword(deps, { email: user.email }, meta);
    const reset = await latestToken(user.email, 'reset-password');
    const verify = await latestToken(user.email, 'verify-email');
    await deleteAccount(deps, { userId: user.id, sessionId: firstSid }, { password: PASSWORD }, meta);
    expect(await deps.tokens.find('reset', hashOneTimeToken('reset', reset))).toBeUndefined();
    expect(await deps.tokens.find('verify', hashOneTimeToken('verify', verify))).toBeUndefined();
    const again = await register(deps, { email: user.email, password: NEW_PASSWORD, name: 'Bea' }, meta);
    await expect(resetPassword(deps, { token: reset, newPassword: 'an attacker password' }, meta)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(verifyEmail(deps, verify, meta)).rejects.toMatchObject({ code: 'invalid_token' });
    expect((await deps.users.findById(again.user.id))?.emailVerified).toBe(false);
  });
});

describe('account deletion', () => {
  it('deletes the user, frees the email and revokes every session in one write', async () => {
    const { deps } = fastDeps();
    const { user, first, firstSid, secondSid } = await account(deps);
    await deleteAccount(deps, { userId: user.id, sessionId: firstSid }, { password: PASSWORD }, meta);
    expect(await deps.users.findById(user.id)).toBeUndefined();
    expect(await deps.users.findByEmail(user.email)).toBeUndefined();
    expect(await isRevoked(deps, firstSid)).toBe(true);
    expect(await isRevoked(deps, secondSid)).toBe(true);
    await expect(refresh(deps, first.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    const again = await register(deps, { email: user.email, password: NEW_PASSWORD, name: 'Bea' }, meta);
    expect(again.user.id).not.toBe(user.id);
  });

  it('refuses a wrong password with invalid_credentials and deletes nothing', async () => {
    const { deps } = fastDeps();
    const { user, firstSid } = await account(deps);
    await expect(deleteAccount(deps, { userId: user.id, sessionId: firstSid }, { password: 'wrong password!' }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(await deps.users.findById(user.id)).toBeDefined();
    expect((await deps.loginAttempts.get(passwordAttemptKeys({ email: user.email, ip: meta.ip })[0]!))?.failures).toBe(1);
  });

  it('answers 503 and deletes nothing when DynamoDB fails on the write', async () => {
    const { deps, doc } = fastDeps();
    const { user, firstSid } = await account(deps);
    const fault = injectFault(doc, { command: 'TransactWriteItemsCommand', error: throttling });
    await expect(deleteAccount(deps, { userId: user.id, sessionId: firstSid }, { password: PASSWORD }, meta)).rejects.toMatchObject({ code: 'service_unavailable' });
    fault.remove();
    expect(await deps.users.findById(user.id)).toBeDefined();
    expect(await isRevoked(deps, firstSid)).toBe(false);
  });
});
