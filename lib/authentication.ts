/**
 * How a session was authenticated, as its access tokens state it (docs/guides/protecting-another-api.md "Access tokens"):
 *
 * - `authTime` (`auth_time`): epoch seconds of the session's latest sign-in or reauthentication.
 *   Rotation keeps it; only a sign-in or `POST /auth/reauthenticate` moves it.
 * - `acr`: `aal1` after a password alone, `aal2` once a second factor was proved in the same
 *   sign-in (NIST SP 800-63B authenticator assurance levels).
 * - `amr` (RFC 8176): the methods used, e.g. `["pwd"]`, `["pwd","otp","mfa"]`. A recovery code
 *   has no registered value: it is `["pwd","mfa"]` (two factors, neither an OTP device). A passkey
 *   is a key's proof of possession, `hwk` when bound to its device and `swk` when it may be synced
 *   (its key then lives in software, in the user's keychain), with `user` for the user verification
 *   the ceremony requires and `mfa` (possession plus the PIN or biometric that unlocked it):
 *   `["swk","user","mfa"]` alone, `["pwd","hwk","user","mfa"]` as a password's second step. A
 *   federated sign-in is `["fed"]` (the provider's own methods are not carried over).
 *
 * Stored on the SESSION item and on each refresh token record, so every access token of a session
 * carries the session's current authentication (lib/sessions.ts).
 */
export type Acr = 'aal1' | 'aal2';

export interface Authentication {
  authTime: number;
  acr: Acr;
  amr: string[];
}

/** What one step of a sign-in proved, as RFC 8176 values. */
export type Method = 'pwd' | 'fed' | 'otp' | 'recovery' | 'hwk' | 'swk';

/** Whether `methods` hold a passkey's proof (which is multi-factor on its own, user verification being required). */
export const provesPasskey = (methods: readonly Method[]) => methods.includes('hwk') || methods.includes('swk');

/** Whether `methods` hold a second factor (or a passkey, which counts as one). */
export const provesSecondFactor = (methods: readonly Method[]) => methods.includes('otp') || methods.includes('recovery') || provesPasskey(methods);

/** The authentication of a sign-in that proved `methods` at `now`. */
export function authenticationOf(methods: readonly Method[], now: Date): Authentication {
  const secondFactor = provesSecondFactor(methods);
  const amr: string[] = [...new Set(methods.filter((m) => m !== 'recovery'))];
  if (provesPasskey(methods)) amr.push('user');
  if (secondFactor) amr.push('mfa');
  return { authTime: Math.floor(now.getTime() / 1000), acr: secondFactor ? 'aal2' : 'aal1', amr };
}

/** Sessions opened before these claims existed: no `auth_time` (step-up asks them to reauthenticate), aal1. */
export const UNKNOWN_AUTHENTICATION: Authentication = { authTime: 0, acr: 'aal1', amr: [] };

/** The stored form, read back (missing or odd values read as {@link UNKNOWN_AUTHENTICATION}). */
export function storedAuthentication(item: { authTime?: unknown; acr?: unknown; amr?: unknown } | undefined): Authentication {
  if (!item || typeof item.authTime !== 'number') return UNKNOWN_AUTHENTICATION;
  return {
    authTime: item.authTime,
    acr: item.acr === 'aal2' ? 'aal2' : 'aal1',
    amr: Array.isArray(item.amr) ? item.amr.map(String) : [],
  };
}

export function sameAuthentication(a: Authentication, b: Authentication): boolean {
  return a.authTime === b.authTime && a.acr === b.acr && a.amr.join(',') === b.amr.join(',');
}
