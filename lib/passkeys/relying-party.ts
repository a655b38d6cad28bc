/**
 * The relying party and the options that start a WebAuthn ceremony, written here rather than with
 * `@simplewebauthn/server`: options are a challenge and a few fixed fields, and the library (with
 * the ASN.1 and X.509 parsers it loads at import) would more than double the functions that only
 * hand options out. Their shape is the library's JSON form, which `@simplewebauthn/browser` takes;
 * the checks of what comes back are the library's (lib/passkeys/webauthn.ts).
 *
 * The relying party, from configuration and never from a request:
 * - RP id: the host of APP_URL (the web app's site; a passkey made for it is offered on its pages);
 * - expected origins: the allowed CORS origins (locally the demo's `http://localhost:5173`).
 */
import { randomBytes } from 'node:crypto';
import type { PasskeyFactor } from '../repositories/factors';
import { WEBAUTHN_CHALLENGE_TTL_SECONDS } from '../repositories/webauthn-challenges';

export interface RelyingParty {
  id: string;
  name: string;
  origins: string[];
}

/** The relying party of this deployment (see the module comment). */
export function relyingPartyOf(config: { appUrl: string; allowedOrigins: string[]; issuer: string }): RelyingParty {
  return { id: new URL(config.appUrl).hostname, name: new URL(config.issuer).hostname, origins: config.allowedOrigins };
}

const TIMEOUT_MS = WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000;

/**
 * COSE algorithms offered for new passkeys, most preferred first: ES256 (what nearly every
 * authenticator makes), EdDSA, RS256 (Windows Hello). The checks accept the same ones.
 */
export const PASSKEY_ALGORITHMS = [-7, -8, -257] as const;

/** 32 random bytes, base64url: what the authenticator signs over, stored single use. */
const newChallenge = () => randomBytes(32).toString('base64url');

/** The WebAuthn user handle of a user: its id's bytes, base64url (a random UUID, nothing personal). */
export const userHandleOf = (userId: string) => Buffer.from(userId, 'utf8').toString('base64url');

/** The user id a response's `userHandle` (base64url) names, if any. */
export function userIdOfHandle(userHandle: string | undefined): string | undefined {
  if (!userHandle) return undefined;
  return Buffer.from(userHandle, 'base64url').toString('utf8');
}

/**
 * The challenge a response was made over, read from its clientDataJSON, so the stored challenge
 * can be consumed before the response is checked; undefined when it cannot be read. The check
 * compares the same field with the value consumed.
 */
export function challengeOf(response: { response: { clientDataJSON: string } }): string | undefined {
  try {
    const clientData = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    const challenge = clientData.challenge;
    return typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 128 ? challenge : undefined;
  } catch {
    return undefined;
  }
}

const descriptor = (p: PasskeyFactor) => ({ id: p.credentialId, type: 'public-key' as const, ...(p.transports.length > 0 ? { transports: p.transports } : {}) });

/** Creation options for a new passkey of `user`: discoverable, user verification required, attestation `none`. */
export function registrationOptions(rp: RelyingParty, user: { id: string; email: string; name: string | undefined }, existing: PasskeyFactor[]) {
  return {
    challenge: newChallenge(),
    rp: { name: rp.name, id: rp.id },
    user: { id: userHandleOf(user.id), name: user.email, displayName: user.name ?? user.email },
    pubKeyCredParams: PASSKEY_ALGORITHMS.map((alg) => ({ alg, type: 'public-key' as const })),
    timeout: TIMEOUT_MS,
    attestation: 'none' as const,
    // The same authenticator twice would be one factor counted as two.
    excludeCredentials: existing.map(descriptor),
    authenticatorSelection: { residentKey: 'required' as const, requireResidentKey: true, userVerification: 'required' as const },
    // Asks the browser to say whether the credential is discoverable (informational).
    extensions: { credProps: true },
  };
}

/** Request options: for discoverable credentials (no list: the browser offers what it has for the RP id), or for the given passkeys of one user. */
export function authenticationOptions(rp: RelyingParty, allow: PasskeyFactor[] = []) {
  return {
    challenge: newChallenge(),
    rpId: rp.id,
    timeout: TIMEOUT_MS,
    userVerification: 'required' as const,
    ...(allow.length > 0 ? { allowCredentials: allow.map(descriptor) } : {}),
  };
}
