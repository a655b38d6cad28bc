/**
 * The limits on link emails (verification, reset) as an attacker meets them: per source (keyed
 * like the login throttle: IPv6 per /64, unknown sources in one bucket) and per mailbox.
 */
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { forgotPassword } from '../../lib/usecases/password';
import { register } from '../../lib/usecases/register';
import { emailsTo } from '../helpers/mail';
import { testClock, testDeps, uniqueEmail } from '../helpers/deps';

const PASSWORD = 'correct horse battery';
const RESET_SUBJECT = 'Reset your password';
type D = ReturnType<typeof testDeps>['deps'];

/** Registered accounts, each from an address of its own, so registration limits stay out of it. */
async function accounts(deps: D, count: number, tag: string): Promise<string[]> {
  const emails = Array.from({ length: count }, () => uniqueEmail(tag));
  for (const [i, email] of emails.entries()) await register(deps, { email, password: PASSWORD, name: undefined }, { ip: `192.0.2.${i + 1}`, userAgent: 'vitest' });
  return emails;
}

async function resetEmailsSent(emails: string[]): Promise<number> {
  const counts = await Promise.all(emails.map(async (email) => (await emailsTo(email)).filter((e) => e.subject === RESET_SUBJECT).length));
  return counts.reduce((a, b) => a + b, 0);
}

describe('per-source email limit', () => {
  it('attack: 25 sources inside one IPv6 /64 send no more reset emails than the per-source limit', async () => {
    const { deps } = testDeps({ env: { EMAIL_IP_LIMIT_PER_WINDOW: '3', FORGOT_MIN_RESPONSE_MS: '0' } });
    const emails = await accounts(deps, 25, 'v6-spray');
    // A /64 of its own for this run, so no other test shares the bucket.
    const prefix = `2001:db8:${randomInt(0x10000).toString(16)}:${randomInt(0x10000).toString(16)}`;
    await Promise.all(emails.map((email, i) => forgotPassword(deps, { email }, { ip: `${prefix}:${(i + 1).toString(16)}::1`, userAgent: 'v6' })));
    expect(await resetEmailsSent(emails)).toBe(3);
  });

  it('attack: requests without a source IP share one bucket instead of going unlimited', async () => {
    // A 15-minute window of its own, so other tests' requests without an address do not count here.
    const clock = testClock(Date.UTC(2032, 0, 1) + randomInt(100_000) * 900_000);
    const { deps } = testDeps({ clock, env: { EMAIL_IP_LIMIT_PER_WINDOW: '3', FORGOT_MIN_RESPONSE_MS: '0' } });
    const emails = await accounts(deps, 6, 'no-source');
    for (const email of emails) await forgotPassword(deps, { email }, { ip: undefined, userAgent: 'nowhere' });
    expect(await resetEmailsSent(emails)).toBe(3);
  });
});

describe('per-mailbox email limit', () => {
  it('attack: ten registrations of victim+N@ put no more than 3 verification emails in the victim\'s mailbox', async () => {
    const { deps } = testDeps();
    const [base, domain] = uniqueEmail('victim').split('@') as [string, string];
    const variants = Array.from({ length: 10 }, (_, i) => `${base}+${i + 1}@${domain}`);
    for (const email of variants) {
      const { user } = await register(deps, { email, password: PASSWORD, name: undefined }, { ip: '192.0.2.50', userAgent: 'bomber' });
      // Only the limit folds: each account keeps the address it was registered with.
      expect(user.email).toBe(email);
    }
    const received = (await Promise.all(variants.map((email) => emailsTo(email)))).flat();
    expect(received.filter((e) => e.subject === 'Confirm your email address')).toHaveLength(3);
  });

  it('attack: accounts under +tag, dotted and googlemail.com spellings of one Gmail mailbox get it no more than 3 emails of each kind', async () => {
    const { deps } = testDeps({ env: { FORGOT_MIN_RESPONSE_MS: '0' } });
    const name = `victim${randomInt(1_000_000_000)}`;
    const dotted = `${name.slice(0, 3)}.${name.slice(3)}`;
    const spellings = [`${name}@gmail.com`, `${name}+1@gmail.com`, `${dotted}@gmail.com`, `${name}@googlemail.com`, `${dotted}+2@googlemail.com`, `${name}+3@gmail.com`];
    for (const email of spellings) await register(deps, { email, password: PASSWORD, name: undefined }, { ip: '192.0.2.51', userAgent: 'bomber' });
    // A limited forgot-password answers exactly like any other.
    for (const email of spellings) await expect(forgotPassword(deps, { email }, { ip: '192.0.2.52', userAgent: 'bomber' })).resolves.toBeUndefined();
    const received = (await Promise.all(spellings.map((email) => emailsTo(email)))).flat();
    expect(received.filter((e) => e.subject === 'Confirm your email address')).toHaveLength(3);
    expect(received.filter((e) => e.subject === RESET_SUBJECT)).toHaveLength(3);
  });
});
