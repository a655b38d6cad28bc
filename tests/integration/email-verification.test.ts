import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createSesClient, SesEmailSender } from '../../lib/email/sender';
import { hashOneTimeToken } from '../../lib/tokens/one-time-token';
import { resendVerification, verifyEmail } from '../../lib/usecases/email-verification';
import { register } from '../../lib/usecases/register';
import { injectFault, throttling } from '../helpers/faults';
import { emailsTo, latestToken, tokenIn, waitForEmails } from '../helpers/mail';
import { testClock, testDeps, uniqueEmail } from '../helpers/deps';
import { freePort } from '../../scripts/stack';

const meta = { ip: '203.0.113.9', userAgent: 'vitest/1.0' };
const PASSWORD = 'correct horse battery';

async function signUp(deps: ReturnType<typeof testDeps>['deps'], email = uniqueEmail('verify')) {
  return register(deps, { email, password: PASSWORD, name: 'Ada' }, meta);
}

async function deadSender() {
  return new SesEmailSender(createSesClient({ from: 'a@b.example', endpoint: `http://127.0.0.1:${await freePort()}` }), 'a@b.example');
}

describe('registration email', () => {
  it('sends one verification email whose text and HTML carry a link to APP_URL/verify-email', async () => {
    const { deps, doc, config } = testDeps({ env: { APP_URL: 'https://app.example.com/base/' } });
    const { user } = await signUp(deps);
    const [email, ...more] = await waitForEmails(user.email, 1);
    expect(more).toHaveLength(0);
    expect(email!.subject).toBe('Confirm your email address');
    expect(email!.from).toContain(config.emailFrom.replace(/.*</, '').replace('>', ''));
    const token = tokenIn(email!, 'verify-email');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(email!.body.text).toContain(`https://app.example.com/base/verify-email?token=${token}`);
    expect(email!.body.html).toContain(`href="https://app.example.com/base/verify-email?token=${token}"`);
    expect(email!.body.text).toContain('24 hours');
    // Only the hash is stored, on the user and as the token item's key.
    const stored = await doc.send(new GetCommand({ TableName: config.usersTable, Key: { pk: `USER#${user.id}` } }));
    expect(stored.Item?.verifyTokenHash).toBe(hashOneTimeToken('verify', token));
    expect(JSON.stringify(stored.Item)).not.toContain(token);
  });

  it('still registers (and logs) when SES fails; resend sends a working link afterwards', async () => {
    const { deps } = testDeps({ mailer: await deadSender() });
    const result = await signUp(deps);
    expect(result.user.emailVerified).toBe(false);
    expect(await emailsTo(result.user.email)).toHaveLength(0);
    const working = testDeps();
    await resendVerification(working.deps, result.user.id, meta);
    const token = await latestToken(result.user.email, 'verify-email');
    expect((await verifyEmail(working.deps, token, meta)).emailVerified).toBe(true);
  });
});

describe('POST /auth/email/verify', () => {
  it('marks the email verified once; the next refresh-issued claims see it', async () => {
    const { deps } = testDeps();
    const { user } = await signUp(deps);
    const token = await latestToken(user.email, 'verify-email');
    const verified = await verifyEmail(deps, token, meta);
    expect(verified).toMatchObject({ id: user.id, email: user.email, emailVerified: true });
    expect((await deps.users.findById(user.id))?.emailVerified).toBe(true);
    await expect(verifyEmail(deps, token, meta)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('refuses malformed and unknown tokens with invalid_token', async () => {
    const { deps } = testDeps();
    for (const bad of ['', 'short', 'x'.repeat(43), '!'.repeat(43), 'A'.repeat(44)]) {
      await expect(verifyEmail(deps, bad, meta)).rejects.toMatchObject({ code: 'invalid_token' });
    }
  });

  it('refuses an expired token and changes nothing', async () => {
    const clock = testClock();
    const { deps } = testDeps({ clock, env: { EMAIL_VERIFICATION_TTL_SECONDS: '3600' } });
    const { user } = await signUp(deps);
    const token = await latestToken(user.email, 'verify-email');
    clock.advance(3600 * 1000 + 1000);
    await expect(verifyEmail(deps, token, meta)).rejects.toMatchObject({ code: 'invalid_token' });
    expect((await deps.users.findById(user.id))?.emailVerified).toBe(false);
  });

  it('refuses a superseded token after a resend, and accepts the newest', async () => {
    const { deps } = testDeps();
    const { user } = await signUp(deps);
    const first = await latestToken(user.email, 'verify-email');
    await resendVerification(deps, user.id, meta);
    const emails = await waitForEmails(user.email, 2);
    const second = tokenIn(emails[1]!, 'verify-email');
    expect(second).not.toBe(first);
    await expect(verifyEmail(deps, first, meta)).rejects.toMatchObject({ code: 'invalid_token' });
    expect((await deps.users.findById(user.id))?.emailVerified).toBe(false);
    expect((await verifyEmail(deps, second, meta)).emailVerified).toBe(true);
  });

  it('a reset token is not a verification token', async () => {
    const { deps } = testDeps();
    const { user } = await signUp(deps);
    const token = await latestToken(user.email, 'verify-email');
    // Same value presented to the other kind hashes differently and is unknown there.
    expect(hashOneTimeToken('reset', token)).not.toBe(hashOneTimeToken('verify', token));
    expect((await deps.tokens.find('reset', hashOneTimeToken('reset', token)))).toBeUndefined();
  });

  it('answers 503 and changes nothing when DynamoDB fails on the write', async () => {
    const { deps, doc } = testDeps();
    const { user } = await signUp(deps);
    const token = await latestToken(user.email, 'verify-email');
    const fault = injectFault(doc, { command: 'TransactWriteItemsCommand', error: throttling });
    await expect(verifyEmail(deps, token, meta)).rejects.toMatchObject({ code: 'service_unavailable' });
    fault.remove();
    expect((await deps.users.findById(user.id))?.emailVerified).toBe(false);
    expect((await verifyEmail(deps, token, meta)).emailVerified).toBe(true);
  });

  it('verify racing resend: either the verify wins and nothing is sent, or the resend supersedes the token', async () => {
    const { deps } = testDeps();
    for (let round = 0; round < 4; round += 1) {
      const { user } = await signUp(deps);
      const token = await latestToken(user.email, 'verify-email');
      const [verified, resent] = await Promise.allSettled([verifyEmail(deps, token, meta), resendVerification(deps, user.id, meta)]);
      expect(resent.status).toBe('fulfilled');
      const stored = await deps.users.findById(user.id);
      const sent = (await emailsTo(user.email)).length;
      if (verified.status === 'fulfilled') {
        expect(stored?.emailVerified).toBe(true);
        expect(stored?.verifyTokenHash).toBeUndefined();
        // The resend either saw the verified user or lost its write: no second email.
        expect(sent).toBe(1);
      } else {
        expect(verified.reason).toMatchObject({ code: 'invalid_token' });
        expect(stored?.emailVerified).toBe(false);
        expect(sent).toBe(2);
        expect((await verifyEmail(deps, await latestToken(user.email, 'verify-email'), meta)).emailVerified).toBe(true);
      }
    }
  });
});

describe('POST /auth/email/resend', () => {
  it('sends at most 3 verification emails per address in 15 minutes (registration included), then quietly none', async () => {
    const clock = testClock();
    const { deps } = testDeps({ clock });
    const { user } = await signUp(deps);
    await resendVerification(deps, user.id, meta);
    await resendVerification(deps, user.id, meta);
    await resendVerification(deps, user.id, meta);
    await resendVerification(deps, user.id, meta);
    expect(await waitForEmails(user.email, 3)).toHaveLength(3);
    clock.advance(15 * 60 * 1000 + 1000);
    await resendVerification(deps, user.id, meta);
    expect(await waitForEmails(user.email, 4)).toHaveLength(4);
  });

  it('limits a source IP across accounts, still without an error', async () => {
    const { deps } = testDeps({ env: { EMAIL_IP_LIMIT_PER_WINDOW: '2' } });
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
    const users = await Promise.all([signUp(deps), signUp(deps), signUp(deps)]);
    for (const { user } of users) await resendVerification(deps, user.id, { ...meta, ip });
    const counts = await Promise.all(users.map(({ user }) => emailsTo(user.email).then((e) => e.length)));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3 + 2);
  });

  it('sends nothing for an already verified email', async () => {
    const { deps } = testDeps();
    const { user } = await signUp(deps);
    await verifyEmail(deps, await latestToken(user.email, 'verify-email'), meta);
    await resendVerification(deps, user.id, meta);
    expect(await emailsTo(user.email)).toHaveLength(1);
  });

  it('answers 503 when SES fails, so the client knows to retry', async () => {
    const { deps } = testDeps();
    const { user } = await signUp(deps);
    const failing = { ...deps, mailer: await deadSender() };
    await expect(resendVerification(failing, user.id, meta)).rejects.toMatchObject({ code: 'service_unavailable' });
  });
});
