import { describe, expect, it } from 'vitest';
import {
  checkTotp,
  newTotpSecret,
  normaliseTotpCode,
  totpCode,
  totpIssuerName,
  totpSecretBase32,
  totpStep,
  totpUri,
} from '../../lib/mfa/totp';

// RFC 6238 appendix B, SHA-1 rows. The RFC prints 8-digit codes; a 6-digit code is the same
// truncated value modulo 10^6, i.e. its last six digits.
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');
const RFC_VECTORS: [seconds: number, eightDigits: string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];
const at = (seconds: number) => new Date(seconds * 1000);

describe('TOTP codes', () => {
  it.each(RFC_VECTORS)('matches RFC 6238 (SHA-1) at T=%i, truncated to 6 digits', (seconds, eight) => {
    const step = totpStep(at(seconds));
    expect(totpCode(RFC_SECRET, step)).toBe(eight.slice(2));
    expect(checkTotp(RFC_SECRET, eight.slice(2), at(seconds))).toBe(step);
  });

  it('returns the matched step for the codes of the previous, current and next step', () => {
    const now = at(1111111111);
    const step = totpStep(now);
    for (const s of [step - 1, step, step + 1]) expect(checkTotp(RFC_SECRET, totpCode(RFC_SECRET, s), now)).toBe(s);
  });

  it('refuses codes two steps away (outside the ±1 window)', () => {
    const now = at(1111111111);
    const step = totpStep(now);
    expect(checkTotp(RFC_SECRET, totpCode(RFC_SECRET, step - 2), now)).toBeUndefined();
    expect(checkTotp(RFC_SECRET, totpCode(RFC_SECRET, step + 2), now)).toBeUndefined();
  });

  it('refuses a replayed code: a step at or below the last used one never matches', () => {
    const now = at(1234567890);
    const step = totpStep(now);
    const code = totpCode(RFC_SECRET, step);
    expect(checkTotp(RFC_SECRET, code, now, { afterStep: step - 1 })).toBe(step);
    expect(checkTotp(RFC_SECRET, code, now, { afterStep: step })).toBeUndefined();
    expect(checkTotp(RFC_SECRET, totpCode(RFC_SECRET, step - 1), now, { afterStep: step })).toBeUndefined();
    expect(checkTotp(RFC_SECRET, totpCode(RFC_SECRET, step + 1), now, { afterStep: step })).toBe(step + 1);
  });

  it('refuses a wrong code, a code of another secret and malformed input', () => {
    const now = at(2000000000);
    const code = totpCode(RFC_SECRET, totpStep(now));
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(checkTotp(RFC_SECRET, wrong, now)).toBeUndefined();
    expect(checkTotp(newTotpSecret(), code, now)).toBeUndefined();
    for (const bad of ['', '12345', '1234567', 'abcdef', `${code}0`, '000000\n1']) {
      expect(checkTotp(RFC_SECRET, bad, now)).toBeUndefined();
    }
  });

  it('accepts a code typed with spaces, as apps display it', () => {
    const now = at(59);
    expect(normaliseTotpCode(' 287 082 ')).toBe('287082');
    expect(checkTotp(RFC_SECRET, '287 082', now)).toBe(totpStep(now));
  });
});

describe('TOTP secrets and enrolment URIs', () => {
  it('draws 160-bit secrets, fresh every time', () => {
    const secrets = Array.from({ length: 100 }, () => newTotpSecret());
    for (const s of secrets) expect(s).toHaveLength(20);
    expect(new Set(secrets.map((s) => s.toString('hex'))).size).toBe(100);
  });

  it('writes the key URI with issuer, email label, base32 secret, SHA1, 6 digits, 30 s', () => {
    const uri = new URL(totpUri({ secret: RFC_SECRET, email: 'ada+mfa@example.com', issuer: totpIssuerName('https://auth.example.com/') }));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/auth.example.com:ada+mfa@example.com');
    expect(uri.searchParams.get('issuer')).toBe('auth.example.com');
    expect(uri.searchParams.get('secret')).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(totpSecretBase32(RFC_SECRET)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(uri.searchParams.get('algorithm')).toBe('SHA1');
    expect(uri.searchParams.get('digits')).toBe('6');
    expect(uri.searchParams.get('period')).toBe('30');
  });

  it('names the issuer by host name, without the port', () => {
    expect(totpIssuerName('http://localhost:3000')).toBe('localhost');
  });

  it('uses exactly the bytes of a secret that is a slice of a larger buffer', () => {
    const pool = Buffer.concat([Buffer.alloc(7, 1), RFC_SECRET, Buffer.alloc(5, 2)]);
    const slice = pool.subarray(7, 27);
    expect(totpCode(slice, totpStep(at(59)))).toBe('287082');
  });
});
