import { describe, expect, it } from 'vitest';
import { actionLink, duration, escapeHtml, passwordResetEmail, verificationEmail } from '../../lib/email/templates';
import { hashOneTimeToken, isOneTimeTokenShape, newOneTimeToken } from '../../lib/tokens/one-time-token';

const token = 'A'.repeat(20) + '_-' + 'b'.repeat(21);

describe('email templates', () => {
  it('put the same APP_URL link in the text and the HTML body of each kind', () => {
    for (const [make, page] of [[verificationEmail, 'verify-email'], [passwordResetEmail, 'reset-password']] as const) {
      const email = make({ appUrl: 'https://app.example.com', token, ttlSeconds: 1800 });
      const link = `https://app.example.com/${page}?token=${token}`;
      expect(email.text).toContain(link);
      expect(email.html).toContain(`href="${link}"`);
      expect(email.text).toContain('30 minutes');
      expect(email.subject.length).toBeGreaterThan(5);
    }
  });

  it('keep a path prefix of APP_URL and drop its trailing slashes', () => {
    expect(actionLink('https://example.com/app//', 'verify-email', token)).toBe(`https://example.com/app/verify-email?token=${token}`);
  });

  it('escape HTML in every value they insert', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const email = verificationEmail({ appUrl: 'https://e.example/"><script>', token, ttlSeconds: 60 });
    expect(email.html).not.toContain('<script>');
  });

  it('tell lifetimes in words', () => {
    expect(duration(86_400)).toBe('24 hours');
    expect(duration(1800)).toBe('30 minutes');
    expect(duration(3600)).toBe('1 hour');
    expect(duration(172_800)).toBe('2 days');
  });
});

describe('one-time tokens', () => {
  it('carry 256 random bits and store only a hash that depends on the kind', () => {
    const a = newOneTimeToken('verify');
    const b = newOneTimeToken('verify');
    expect(Buffer.from(a.value, 'base64url')).toHaveLength(32);
    expect(a.value).not.toBe(b.value);
    expect(isOneTimeTokenShape(a.value)).toBe(true);
    expect(a.hash).toBe(hashOneTimeToken('verify', a.value));
    expect(a.hash).not.toContain(a.value);
    expect(hashOneTimeToken('reset', a.value)).not.toBe(a.hash);
  });
});
