/**
 * The checks of what a WebAuthn ceremony returns, by `@simplewebauthn/server`: the only module
 * that imports it, so the library (its ASN.1 and X.509 parsers with it) is bundled only into the
 * functions that check a ceremony (the verify routes, the second step, reauthentication; the
 * packaging test holds the others to that). Options are made without it (lib/passkeys/relying-party.ts).
 *
 * An assertion made on an origin outside the allowed ones (a phishing page relaying the ceremony)
 * or for another RP id fails here; user verification is required in both ceremonies; attestation
 * is not asked for (`none`), so nothing here trusts an authenticator's make. Every failure is one
 * error (`invalid_code`, lib/errors.ts `invalidPasskey`), the library's reason kept as the cause
 * for the log.
 */
import {
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Method } from '../authentication';
import { invalidPasskey } from '../errors';
import type { PasskeyFactor } from '../repositories/factors';
import { PASSKEY_ALGORITHMS, type RelyingParty } from './relying-party';

export type { AuthenticationResponseJSON, RegistrationResponseJSON };

/** What a verified registration yields for storage. */
export interface RegisteredPasskey {
  credentialId: string;
  publicKey: string;
  counter: number;
  transports: string[];
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  /** The RFC 8176 method the registration ceremony proved (see {@link CheckedAssertion}). */
  method: Extract<Method, 'hwk' | 'swk'>;
}

/** Checks a registration response made over `challenge` (already consumed for this user). */
export async function checkRegistration(rp: RelyingParty, response: RegistrationResponseJSON, challenge: string): Promise<RegisteredPasskey> {
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: [...PASSKEY_ALGORITHMS],
    });
  } catch (err) {
    throw invalidPasskey(err);
  }
  if (!verified.verified) throw invalidPasskey(new Error('registration not verified'));
  const info = verified.registrationInfo;
  return {
    credentialId: info.credential.id,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: (response.response.transports ?? []).map(String),
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    method: info.credentialDeviceType === 'multiDevice' ? 'swk' : 'hwk',
  };
}

/** A verified assertion: the counter to record and the RFC 8176 method it proves. */
export interface CheckedAssertion {
  counter: number;
  /** `swk` for a passkey that may be synced (backup eligible), `hwk` for one bound to its device. */
  method: Extract<Method, 'hwk' | 'swk'>;
}

/**
 * Checks an assertion made over `challenge` (already consumed) with `passkey`, the stored
 * credential the caller matched to the response's id and owner. Refuses a counter that did not go
 * forward (0 staying 0 is a synced passkey's normal).
 */
export async function checkAssertion(rp: RelyingParty, response: AuthenticationResponseJSON, challenge: string, passkey: PasskeyFactor): Promise<CheckedAssertion> {
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      credential: {
        id: passkey.credentialId,
        publicKey: Buffer.from(passkey.publicKey, 'base64url'),
        counter: passkey.counter,
        transports: passkey.transports as AuthenticatorTransport[],
      },
      requireUserVerification: true,
    });
  } catch (err) {
    throw invalidPasskey(err);
  }
  if (!verified.verified) throw invalidPasskey(new Error('assertion not verified'));
  const info = verified.authenticationInfo;
  return { counter: info.newCounter, method: info.credentialDeviceType === 'multiDevice' ? 'swk' : 'hwk' };
}
