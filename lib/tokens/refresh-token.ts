/**
 * Refresh tokens are opaque strings `<id>.<secret>`:
 * - `id`: 128 random bits, the DynamoDB key of the token record (lets us find it without a scan);
 * - `secret`: 256 random bits; only its SHA-256 is stored, compared in constant time. A fast hash
 *   is enough here because the secret is random, not a password.
 *
 * Successors are derived, not drawn: HMAC(server key, presented token) gives the next id and
 * secret. A client that retries a refresh after losing the response gets the very same successor
 * back (no second branch of the session), and the database never holds a token in clear.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const ID_BYTES = 16;
const SECRET_BYTES = 32;
const FORMAT = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export interface RefreshToken {
  id: string;
  secret: string;
  /** The full string handed to the client. */
  value: string;
}

function make(idBytes: Buffer, secretBytes: Buffer): RefreshToken {
  const id = idBytes.toString('base64url');
  const secret = secretBytes.toString('base64url');
  return { id, secret, value: `${id}.${secret}` };
}

export function newRefreshToken(): RefreshToken {
  return make(randomBytes(ID_BYTES), randomBytes(SECRET_BYTES));
}

/** Parses a presented token; undefined when it is not even shaped like one of ours. */
export function parseRefreshToken(value: unknown): RefreshToken | undefined {
  if (typeof value !== 'string') return undefined;
  const match = FORMAT.exec(value);
  if (!match) return undefined;
  return { id: match[1]!, secret: match[2]!, value };
}

export function deriveSuccessor(serverKey: Buffer, presented: RefreshToken): RefreshToken {
  const mac = (label: string) => createHmac('sha256', serverKey).update(label).update('\0').update(presented.value).digest();
  return make(mac('refresh-successor-id').subarray(0, ID_BYTES), mac('refresh-successor-secret'));
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'base64url');
  const b = Buffer.from(storedHash, 'base64url');
  return a.length === b.length && timingSafeEqual(a, b);
}
