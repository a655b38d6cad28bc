/**
 * Single-use tokens for email verification, password reset and email change.
 *
 * - 256 random bits, base64url (43 characters): unguessable, so a fast hash is enough to store.
 * - Only SHA-256(token) is stored, and it is the lookup key: someone who reads the table cannot
 *   rebuild a working link, and lookups by hash give no timing hint about the token's characters.
 * - The kind is part of what is hashed, so a verification token can never act as a reset token.
 */
import { createHash, randomBytes } from 'node:crypto';

export type OneTimeTokenKind = 'verify' | 'reset' | 'email_change';
const TOKEN_BYTES = 32;
const FORMAT = /^[A-Za-z0-9_-]{43}$/;

export interface OneTimeToken {
  /** What goes in the emailed link; never stored. */
  value: string;
  /** What is stored. */
  hash: string;
}

export function hashOneTimeToken(kind: OneTimeTokenKind, value: string): string {
  return createHash('sha256').update(`${kind}\0${value}`).digest('base64url');
}

export function newOneTimeToken(kind: OneTimeTokenKind): OneTimeToken {
  const value = randomBytes(TOKEN_BYTES).toString('base64url');
  return { value, hash: hashOneTimeToken(kind, value) };
}

/** True when the value is shaped like one of our tokens (checked before any lookup). */
export function isOneTimeTokenShape(value: string): boolean {
  return FORMAT.test(value);
}
