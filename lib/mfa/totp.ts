/**
 * Time-based one-time passwords (RFC 6238) as every authenticator app knows them: HMAC-SHA-1,
 * 6 digits, 30-second steps, and codes of the step before and after the current one accepted
 * (clocks drift; a code typed at the end of its step arrives in the next one).
 *
 * - A secret is 160 random bits, the HMAC-SHA-1 block size RFC 4226 recommends.
 * - {@link checkTotp} returns the matched time step, not a boolean: the caller stores it with the
 *   factor and refuses any step at or below it (conditionally, in DynamoDB), which makes each
 *   code usable once even though three codes are valid at any moment.
 * - Every candidate code in the window is computed and compared in constant time, with no early
 *   exit, so the response time tells nothing about how close a guess came.
 * - The HOTP arithmetic and the `otpauth://` URI come from `otpauth` (its Node build computes the
 *   HMAC with node:crypto); the window, the step bookkeeping and the comparison are ours.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';

export const TOTP_ALGORITHM = 'SHA1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps accepted on either side of the current one. */
export const TOTP_WINDOW = 1;
/** 160 bits. */
export const TOTP_SECRET_BYTES = 20;

const CODE_SHAPE = /^\d{6}$/;

/** A fresh secret: raw bytes, to be sealed before storage and shown once (base32, in the URI). */
export function newTotpSecret(): Buffer {
  return randomBytes(TOTP_SECRET_BYTES);
}

/** The secret as authenticator apps take it when typed in by hand (RFC 4648 base32, no padding). */
export function totpSecretBase32(secret: Buffer): string {
  return new Secret({ buffer: Uint8Array.from(secret).buffer }).base32;
}

/**
 * What an authenticator app shows as the account's issuer: the host name of the service's
 * `ISSUER` URL (`https://auth.example.com/` -> `auth.example.com`). The port is left out: the
 * key URI format separates issuer and account with a colon in the label.
 */
export function totpIssuerName(issuerUrl: string): string {
  return new URL(issuerUrl).hostname;
}

/**
 * The `otpauth://totp/<issuer>:<email>?secret=...&issuer=...` URI an authenticator app scans
 * from a QR code. It carries the secret: show it once, at enrolment, and never log it.
 */
export function totpUri(input: { secret: Buffer; email: string; issuer: string }): string {
  return new TOTP({
    issuer: input.issuer,
    label: input.email,
    secret: new Secret({ buffer: Uint8Array.from(input.secret).buffer }),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  }).toString();
}

/** The RFC 6238 time step (counter) an instant falls in. */
export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code of one time step (tests, and the demo's browser tests, compute codes with it). */
export function totpCode(secret: Buffer, step: number): string {
  return HOTP.generate({
    secret: new Secret({ buffer: Uint8Array.from(secret).buffer }),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    counter: step,
  });
}

/**
 * A code as typed, in the form it is checked in: spaces (apps show `123 456`) removed, exactly
 * six digits, else undefined (answer `invalid_code` without reading anything).
 */
export function normaliseTotpCode(input: string): string | undefined {
  const code = input.replace(/\s+/g, '');
  return CODE_SHAPE.test(code) ? code : undefined;
}

/**
 * Checks a code against the steps around `now` and returns the step it matched, or undefined.
 * Only steps above `afterStep` (the factor's last used step) are candidates, so a code already
 * accepted, or one older than it, never matches again; the caller still records the returned
 * step with a condition that it is greater than the stored one, which is what holds under
 * parallel requests.
 */
export function checkTotp(secret: Buffer, input: string, now: Date, options: { afterStep?: number | undefined } = {}): number | undefined {
  const code = normaliseTotpCode(input);
  // Compare something of the right length even for a malformed code: the same work either way.
  const presented = Buffer.from(code ?? '000000');
  const current = totpStep(now);
  let matched: number | undefined;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step += 1) {
    const equal = timingSafeEqual(presented, Buffer.from(totpCode(secret, step)));
    const fresh = options.afterStep === undefined || step > options.afterStep;
    // No early exit: every candidate is computed and compared. The lowest fresh match wins.
    if (equal && fresh && matched === undefined) matched = step;
  }
  return code === undefined ? undefined : matched;
}
