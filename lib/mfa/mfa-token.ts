/**
 * The `mfaToken` a sign-in answers with when a second factor is required: 256 random bits,
 * base64url. Only a hash of it is stored (and is the item's key), so a copy of the table opens no
 * pending sign-in; the hash is domain-separated from the other tokens' hashes.
 */
import { createHash, randomBytes } from 'node:crypto';

const TOKEN_BYTES = 32;
const SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function hashMfaToken(value: string): string {
  return createHash('sha256').update(`mfa\0${value}`).digest('base64url');
}

export function newMfaToken(): { value: string; hash: string } {
  const value = randomBytes(TOKEN_BYTES).toString('base64url');
  return { value, hash: hashMfaToken(value) };
}

/** True when the value is shaped like an mfaToken (checked before any lookup). */
export function isMfaTokenShape(value: string): boolean {
  return SHAPE.test(value);
}
