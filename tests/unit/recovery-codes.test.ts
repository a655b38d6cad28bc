import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashRecoveryCode, newRecoveryCodes, normaliseRecoveryCode, recoveryCodeHash } from '../../lib/mfa/recovery-codes';

const SHAPE = /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/;

describe('recovery codes', () => {
  it('issues 10 distinct codes shaped xxxx-xxxx-xxxx without ambiguous characters', () => {
    const { codes } = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      expect(code).toMatch(SHAPE);
      expect(code).not.toMatch(/[ilou]/);
    }
  });

  it('carries 60 random bits per code: every character of the 32 appears in every position over many codes', () => {
    const positions = Array.from({ length: 12 }, () => new Set<string>());
    for (let i = 0; i < 100; i += 1) {
      for (const code of newRecoveryCodes().codes) [...code.replaceAll('-', '')].forEach((c, p) => positions[p]!.add(c));
    }
    // 1000 codes: the chance that a fair character never shows in one position is 32 * (31/32)^1000 < 1e-12.
    for (const seen of positions) expect(seen.size).toBe(32);
  });

  it('stores only salted hashes, with a fresh salt per set', () => {
    const a = newRecoveryCodes();
    const b = newRecoveryCodes();
    expect(a.set.salt).not.toBe(b.set.salt);
    expect(Buffer.from(a.set.salt, 'base64url')).toHaveLength(16);
    const stored = JSON.stringify(a.set);
    for (const code of a.codes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replaceAll('-', ''));
      // An unsalted SHA-256 of the code is not what is stored: one table of guesses cannot serve every user.
      expect(a.set.hashes).not.toContain(createHash('sha256').update(code.replaceAll('-', '')).digest('base64url'));
    }
    expect(a.set.hashes).toEqual(a.codes.map((c) => recoveryCodeHash(a.set.salt, c)));
  });

  it('reads typed codes whatever their case, dashes, spaces and look-alike letters', () => {
    const { codes, set } = newRecoveryCodes();
    const code = codes[0]!;
    const plain = code.replaceAll('-', '');
    const variants = [
      code,
      code.toUpperCase(),
      plain,
      ` ${plain.slice(0, 6)} ${plain.slice(6)} `,
      code.replaceAll('-', ' - '),
      code.replaceAll('0', 'o').replaceAll('1', 'I'),
      code.replaceAll('0', 'O').replaceAll('1', 'l'),
    ];
    for (const typed of variants) expect(recoveryCodeHash(set.salt, typed)).toBe(set.hashes[0]);
  });

  it('refuses input that cannot be a code', () => {
    for (const bad of ['', 'abcd-efgh-jkm', 'abcd-efgh-jkmnp', 'abcd-efgh-jkmu', 'abcd_efgh_jkmn', 'ab!d-efgh-jkmn', `${'a'.repeat(12)}${' '.repeat(60)}`]) {
      expect(normaliseRecoveryCode(bad)).toBeUndefined();
    }
  });

  it('hashes a code differently under another set (regenerating changes every hash)', () => {
    const a = newRecoveryCodes();
    const b = newRecoveryCodes();
    const plain = normaliseRecoveryCode(a.codes[0]!)!;
    expect(hashRecoveryCode(b.set.salt, plain)).not.toBe(a.set.hashes[0]);
  });
});
