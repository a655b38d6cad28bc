/**
 * Device tokens: what a browser or app keeps after a successful sign-in, so that its owner keeps a
 * small allowance of password guesses of its own while the account's ceiling is held by other
 * sources (OWASP's "device cookies"; lib/throttle/password-attempts.ts).
 *
 * A token is 256 random bits; only its SHA-256 is stored (`DEVICE#<hash>` in the users table,
 * lib/repositories/devices.ts). Its throttle bucket is named by a prefix of that hash, so a login
 * can fetch the device record and the device's counter in the same BatchGetItem as the rest of
 * its state, before knowing whether the token is genuine.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface DeviceToken {
  value: string;
  /** SHA-256 of the value, base64url: the stored form. */
  hash: string;
  /** Public name of the device's throttle bucket (a prefix of the hash). */
  id: string;
}

const SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function newDeviceToken(): DeviceToken {
  return deviceTokenOf(randomBytes(32).toString('base64url'))!;
}

/** The token a client presented, or undefined when it cannot be one of ours. */
export function deviceTokenOf(value: unknown): DeviceToken | undefined {
  if (typeof value !== 'string' || !SHAPE.test(value)) return undefined;
  const hash = createHash('sha256').update(value).digest('base64url');
  return { value, hash, id: hash.slice(0, 22) };
}
