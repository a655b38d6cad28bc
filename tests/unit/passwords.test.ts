import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import {
  costOf,
  dummyHash,
  hashPassword,
  normalizePassword,
  passwordByteLength,
  verifyPassword,
} from '../../lib/passwords';

const COST = 4; // the bcrypt minimum, for speed
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

describe('hashPassword and verifyPassword', () => {
  it('attack: bcrypt key cycling: abcdefgh\\0abcdefgh never verifies against the hash of abcdefgh', async () => {
    const hash = await hashPassword('abcdefgh', COST);
    // The control case: bcrypt itself takes them for one password (the key is the bytes and a NUL, repeated).
    expect(bcrypt.compareSync('abcdefgh\u0000abcdefgh', hash)).toBe(true);
    expect(bcrypt.compareSync('abcdefgh\u0000'.repeat(8), hash)).toBe(true);
    expect(await verifyPassword('abcdefgh\u0000abcdefgh', hash)).toBe(false);
    expect(await verifyPassword('abcdefgh\u0000'.repeat(8), hash)).toBe(false);
    expect(await verifyPassword('abcdefgh', hash)).toBe(true);
    await expect(hashPassword('abcdefgh\u0000abcdefgh', COST)).rejects.toThrow(/control character/);
  });

  it('verify the password a hash was made from', async () => {
    const hash = await hashPassword('correct horse battery', COST);
    expect(hash).toMatch(BCRYPT_HASH);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
  });

  it('reject a wrong password, including one that differs only in case or a trailing space', async () => {
    const hash = await hashPassword('correct horse battery', COST);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await verifyPassword('correct horse battery ', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('never store the password itself and salt every hash', async () => {
    const a = await hashPassword('correct horse battery', COST);
    const b = await hashPassword('correct horse battery', COST);
    expect(a).not.toContain('correct horse battery');
    expect(a).not.toBe(b);
  });

  it('hash with the requested cost', async () => {
    expect(costOf(await hashPassword('correct horse battery', COST))).toBe(COST);
    expect(costOf(await hashPassword('correct horse battery', 5))).toBe(5);
  });

  it('match "é" typed as one code point against "é" typed as e plus a combining accent', async () => {
    const composed = 'caf\u00e9-au-lait';
    const decomposed = 'cafe\u0301-au-lait';
    expect(composed).not.toBe(decomposed);
    expect(await verifyPassword(decomposed, await hashPassword(composed, COST))).toBe(true);
    expect(await verifyPassword(composed, await hashPassword(decomposed, COST))).toBe(true);
  });

  it('still tell apart "é" and a plain "e"', async () => {
    const hash = await hashPassword('caf\u00e9-au-lait', COST);
    expect(await verifyPassword('cafe-au-lait', hash)).toBe(false);
  });
});

describe('normalizePassword', () => {
  it('composes to NFC', () => {
    expect(normalizePassword('e\u0301')).toBe('\u00e9');
    expect(normalizePassword('\u00e9')).toBe('\u00e9');
  });
});

describe('passwordByteLength', () => {
  it.each([
    ['plain ASCII', 'password', 8],
    ['a two-byte character', '\u00e9', 2],
    ['a three-byte character', '\u20ac', 3],
    ['a four-byte emoji', '\u{1F600}', 4],
    ['a mix', 'a\u00e9\u20ac\u{1F600}', 10],
  ])('counts UTF-8 bytes, not characters, for %s', (_label, value, bytes) => {
    expect(passwordByteLength(value)).toBe(bytes);
  });

  it('counts after NFC normalisation, the form that is hashed', () => {
    // e + U+0301 is 3 bytes as typed but 2 once composed into U+00E9.
    expect(passwordByteLength('e\u0301')).toBe(2);
  });
});

describe('costOf', () => {
  it('reads the cost of a bcrypt hash and nothing else', () => {
    expect(costOf(`$2b$12$${'a'.repeat(53)}`)).toBe(12);
    expect(costOf(`$2a$04$${'a'.repeat(53)}`)).toBe(4);
    expect(costOf('not a hash')).toBeUndefined();
    expect(costOf('$argon2id$v=19$m=65536,t=3,p=4$abc')).toBeUndefined();
  });
});

describe('dummyHash', () => {
  it.each([4, 5, 10, 12])('is a well-formed bcrypt hash of cost %i', (cost) => {
    const hash = dummyHash(cost);
    expect(hash).toMatch(BCRYPT_HASH);
    expect(hash).toHaveLength(60);
    expect(costOf(hash)).toBe(cost);
    expect(bcrypt.getRounds(hash)).toBe(cost);
  });

  it('matches no password when compared with bcryptjs', async () => {
    const hash = dummyHash(COST);
    for (const candidate of ['', 'password', 'correct horse battery', hash]) {
      expect(await bcrypt.compare(candidate, hash)).toBe(false);
    }
    expect(await verifyPassword('correct horse battery', hash)).toBe(false);
  });

  it('is stable for a given cost and differs between costs', () => {
    expect(dummyHash(COST)).toBe(dummyHash(COST));
    expect(dummyHash(5)).toBe(dummyHash(5));
    expect(dummyHash(5)).not.toBe(dummyHash(COST));
  });
});
