import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deriveSuccessor,
  hashSecret,
  newRefreshToken,
  parseRefreshToken,
  secretMatches,
  type RefreshToken,
} from '../../lib/tokens/refresh-token';

const SHAPE = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;
const bytesOf = (base64url: string) => Buffer.from(base64url, 'base64url');

function parsed(value: string): RefreshToken {
  const token = parseRefreshToken(value);
  if (!token) throw new Error(`expected ${value} to parse`);
  return token;
}

describe('newRefreshToken', () => {
  it('is shaped <22 base64url chars>.<43 base64url chars>', () => {
    const token = newRefreshToken();
    expect(token.value).toMatch(SHAPE);
    expect(token.value).toBe(`${token.id}.${token.secret}`);
  });

  it('carries a 128-bit id and a secret of at least 256 bits', () => {
    const token = newRefreshToken();
    expect(bytesOf(token.id)).toHaveLength(16);
    expect(bytesOf(token.secret).length).toBeGreaterThanOrEqual(32);
    // Round trip: the base64url text is the canonical encoding of those bytes.
    expect(bytesOf(token.id).toString('base64url')).toBe(token.id);
    expect(bytesOf(token.secret).toString('base64url')).toBe(token.secret);
  });

  it('draws fresh ids and secrets every time', () => {
    const tokens = Array.from({ length: 200 }, () => newRefreshToken());
    expect(new Set(tokens.map((t) => t.id)).size).toBe(200);
    expect(new Set(tokens.map((t) => t.secret)).size).toBe(200);
  });
});

describe('parseRefreshToken', () => {
  it('gives back the id and secret of a token it issued', () => {
    const token = newRefreshToken();
    expect(parseRefreshToken(token.value)).toEqual(token);
  });

  const good = newRefreshToken().value;
  const [id, secret] = good.split('.') as [string, string];
  it.each([
    ['a JWT', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl'],
    ['an empty string', ''],
    ['a bare id', id],
    ['an extra dot and part', `${good}.${secret}`],
    ['a trailing dot', `${good}.`],
    ['a leading dot', `.${good}`],
    ['two dots between the parts', `${id}..${secret}`],
    ['a short id', `${id.slice(1)}.${secret}`],
    ['a long secret', `${id}.${secret}A`],
    ['a short secret', `${id}.${secret.slice(1)}`],
    ['base64 padding', `${id}.${secret}=`],
    ['standard base64 characters', `${id.slice(0, 21)}+.${secret.slice(0, 42)}/`],
    ['surrounding whitespace', ` ${good} `],
    ['a trailing newline', `${good}\n`],
    ['the parts swapped', `${secret}.${id}`],
  ])('rejects %s', (_label, value) => {
    expect(parseRefreshToken(value)).toBeUndefined();
  });

  it.each([[undefined], [null], [42], [{ value: good }], [[good]]])('rejects the non-string %j', (value) => {
    expect(parseRefreshToken(value)).toBeUndefined();
  });

  it('rejects a Buffer holding a valid token', () => {
    expect(parseRefreshToken(Buffer.from(good))).toBeUndefined();
  });
});

describe('deriveSuccessor', () => {
  const key = randomBytes(32);

  it('is deterministic for the same key and token', () => {
    const presented = newRefreshToken();
    expect(deriveSuccessor(key, presented)).toEqual(deriveSuccessor(Buffer.from(key), parsed(presented.value)));
  });

  it('gives a well-formed token that differs from the one presented', () => {
    const presented = newRefreshToken();
    const next = deriveSuccessor(key, presented);
    expect(next.value).toMatch(SHAPE);
    expect(parseRefreshToken(next.value)).toEqual(next);
    expect(next.id).not.toBe(presented.id);
    expect(next.secret).not.toBe(presented.secret);
    expect(bytesOf(next.id)).toHaveLength(16);
    expect(bytesOf(next.secret)).toHaveLength(32);
  });

  it('differs under another server key', () => {
    const presented = newRefreshToken();
    const a = deriveSuccessor(key, presented);
    const b = deriveSuccessor(randomBytes(32), presented);
    expect(b.id).not.toBe(a.id);
    expect(b.secret).not.toBe(a.secret);
  });

  it('differs for another presented token', () => {
    const a = deriveSuccessor(key, newRefreshToken());
    const b = deriveSuccessor(key, newRefreshToken());
    expect(b.id).not.toBe(a.id);
    expect(b.secret).not.toBe(a.secret);
  });

  it('does not derive the secret from the id alone', () => {
    const next = deriveSuccessor(key, newRefreshToken());
    expect(bytesOf(next.secret).subarray(0, 16).equals(bytesOf(next.id))).toBe(false);
  });
});

describe('hashSecret and secretMatches', () => {
  it('hash deterministically without revealing the secret', () => {
    const { secret } = newRefreshToken();
    const hash = hashSecret(secret);
    expect(hashSecret(secret)).toBe(hash);
    expect(hash).not.toBe(secret);
    expect(hash).not.toContain(secret);
    expect(bytesOf(hash)).toHaveLength(32); // SHA-256
  });

  it('match the secret a hash was made from', () => {
    const { secret } = newRefreshToken();
    expect(secretMatches(secret, hashSecret(secret))).toBe(true);
  });

  it('do not match a wrong secret', () => {
    const { secret } = newRefreshToken();
    const other = newRefreshToken().secret;
    expect(secretMatches(other, hashSecret(secret))).toBe(false);
    expect(secretMatches(`${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`, hashSecret(secret))).toBe(false);
    expect(secretMatches('', hashSecret(secret))).toBe(false);
  });

  it('answer false, not throw, for a stored hash of the wrong length or an empty one', () => {
    const { secret } = newRefreshToken();
    expect(secretMatches(secret, hashSecret(secret).slice(0, 20))).toBe(false);
    expect(secretMatches(secret, '')).toBe(false);
  });

  it('do not accept the stored hash itself as the secret', () => {
    const { secret } = newRefreshToken();
    const hash = hashSecret(secret);
    expect(secretMatches(hash, hash)).toBe(false);
  });
});
