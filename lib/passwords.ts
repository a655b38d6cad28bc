/**
 * Password hashing with bcryptjs.
 *
 * - Passwords are NFC-normalised first, so the same characters typed on different keyboards (é as
 *   one code point or as e + accent) hash the same.
 * - Length is counted in UTF-8 bytes after normalisation: bcrypt silently ignores bytes past 72,
 *   so longer passwords are rejected by validation instead of being truncated here.
 * - No control characters, NUL above all: bcrypt's key is the password's bytes and a NUL, repeated
 *   until 72 bytes, so `abcdefgh` and `abcdefgh\0abcdefgh` (or `abcdefgh\0` x 8) give the same key.
 *   Validation refuses them (400); here, as a second line, a hash is never made of one and a
 *   password holding one never verifies.
 * - Unknown-email logins compare against a dummy hash of the configured cost, so they spend the
 *   same time as a wrong password and do not reveal which emails exist.
 */
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';

export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 72;

export function normalizePassword(password: string): string {
  return password.normalize('NFC');
}

export function passwordByteLength(password: string): number {
  return Buffer.byteLength(normalizePassword(password), 'utf8');
}

/** C0 controls (NUL, tab, newline ...), DEL and the C1 controls. */
const CONTROL = /\p{Cc}/u;

export function hasControlCharacter(password: string): boolean {
  return CONTROL.test(password);
}

export function hashPassword(password: string, cost: number): Promise<string> {
  if (hasControlCharacter(password)) return Promise.reject(new Error('refusing to hash a password with a control character'));
  return bcrypt.hash(normalizePassword(password), cost);
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  // Not a bcrypt hash (an account without a password): nothing verifies against it.
  if (costOf(hash) === undefined) return false;
  // The compare still runs, so the time taken does not depend on the characters either.
  const matches = await bcrypt.compare(normalizePassword(password), hash);
  return matches && !hasControlCharacter(password);
}

/** The cost factor a stored hash was made with, or undefined if it is not a bcrypt hash. */
export function costOf(hash: string): number | undefined {
  const match = /^\$2[abxy]\$(\d{2})\$/.exec(hash);
  return match ? Number(match[1]) : undefined;
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const dummyHashes = new Map<number, string>();

/**
 * A well-formed bcrypt hash of the given cost that matches no password anyone knows. Built from
 * random characters rather than by hashing, so creating it costs nothing at cold start, while
 * comparing against it costs exactly one full bcrypt run at that cost.
 */
export function dummyHash(cost: number): string {
  let hash = dummyHashes.get(cost);
  if (!hash) {
    const chars = [...randomBytes(53)].map((b) => BCRYPT_ALPHABET[b % 64]).join('');
    hash = `$2b$${String(cost).padStart(2, '0')}$${chars}`;
    dummyHashes.set(cost, hash);
  }
  return hash;
}
