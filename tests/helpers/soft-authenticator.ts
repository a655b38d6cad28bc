/**
 * A software WebAuthn authenticator for tests, so the attack tests can make exactly the responses
 * an attacker would (another origin, another RP id, a counter going backwards, no user
 * verification, a swapped user handle) without a browser. Test code only: ES256 keys from
 * node:crypto, CBOR from `@levischuck/tiny-cbor` (the encoder @simplewebauthn/server decodes with); attestation `none`, as the service asks for.
 *
 * It makes what a browser plus an authenticator would hand to the page: the JSON form of
 * `PublicKeyCredential` that `@simplewebauthn/browser` sends (binary fields base64url).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { encodeCBOR, type CBORType } from '@levischuck/tiny-cbor';

/**
 * CTAP2's canonical CBOR, as authenticators write it and the service's parser insists on: maps
 * with the shortest length headers, byte strings untagged (what this encoder writes).
 */
const encode = (value: CBORType) => encodeCBOR(value);

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

/** Authenticator data flags (WebAuthn §6.1). */
const UP = 0x01;
const UV = 0x04;
const BE = 0x08;
const BS = 0x10;
const AT = 0x40;

export interface SoftCredential {
  id: string;
  privateKey: KeyObject;
  /** The user handle stored with the credential (base64url), as a discoverable credential keeps it. */
  userHandle: string;
  rpId: string;
  counter: number;
}

export interface CeremonyOptions {
  /** The page's origin (clientDataJSON `origin`). */
  origin?: string;
  /** The RP id the authenticator hashes into authenticator data (default: the options'). */
  rpId?: string;
  /** Whether the user was verified (the UV flag). */
  userVerified?: boolean;
}

/** Minimal creation options (what POST /auth/passkeys/register/options answers). */
interface CreationOptions {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string };
}

/** Minimal request options (what the login options and POST /auth/mfa/challenge answer). */
interface RequestOptions {
  challenge: string;
  rpId?: string;
}

function coseKeyOf(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  // COSE_Key, EC2 on P-256 for ES256: kty 2, alg -7, crv 1, x, y (RFC 9053).
  return Buffer.from(
    encode(
      new Map<number, CBORType>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
      ]),
    ),
  );
}

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): string {
  return JSON.stringify({ type, challenge, origin, crossOrigin: false });
}

export class SoftAuthenticator {
  readonly credentials = new Map<string, SoftCredential>();

  /**
   * @param origin the page's origin by default
   * @param synced whether credentials are backup eligible and backed up (a synced passkey): such
   *   authenticators keep no signature counter, so their counter stays 0
   */
  constructor(
    readonly origin: string,
    readonly options: { synced?: boolean } = {},
  ) {}

  private flags(userVerified: boolean, attested: boolean): number {
    let flags = UP;
    if (userVerified) flags |= UV;
    if (this.options.synced) flags |= BE | BS;
    if (attested) flags |= AT;
    return flags;
  }

  /** `navigator.credentials.create()`: a new discoverable credential and its registration response. */
  create(options: CreationOptions, ceremony: CeremonyOptions = {}) {
    const rpId = ceremony.rpId ?? options.rp.id!;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rawId = randomBytes(32);
    const credential: SoftCredential = { id: b64url(rawId), privateKey, userHandle: options.user.id, rpId, counter: 0 };
    this.credentials.set(credential.id, credential);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(rawId.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.flags(ceremony.userVerified ?? true, true)]),
      Buffer.alloc(4),
      Buffer.alloc(16), // AAGUID: all zero, as with attestation `none`
      idLength,
      rawId,
      coseKeyOf(publicKey),
    ]);
    const attestationObject = Buffer.from(encode(new Map<string, CBORType>([['fmt', 'none'], ['attStmt', new Map()], ['authData', new Uint8Array(authData)]])));
    return {
      credential,
      response: {
        id: credential.id,
        rawId: credential.id,
        type: 'public-key' as const,
        response: {
          clientDataJSON: b64url(clientData('webauthn.create', options.challenge, ceremony.origin ?? this.origin)),
          attestationObject: b64url(attestationObject),
          transports: ['internal'],
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform' as const,
      },
    };
  }

  /**
   * `navigator.credentials.get()` with credential `credentialId` (default: the only one). `counter`
   * sets the signature counter to sign (default: one more than the last; 0 for a synced one);
   * `userHandle` replaces the stored handle in the response (what an attacker could send).
   */
  get(options: RequestOptions, ceremony: CeremonyOptions & { credentialId?: string; counter?: number; userHandle?: string } = {}) {
    const credential = ceremony.credentialId ? this.credentials.get(ceremony.credentialId) : [...this.credentials.values()][0];
    if (!credential) throw new Error('no such credential on this authenticator');
    const counter = ceremony.counter ?? (this.options.synced ? 0 : credential.counter + 1);
    credential.counter = Math.max(credential.counter, counter);
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    const authData = Buffer.concat([sha256(ceremony.rpId ?? options.rpId ?? credential.rpId), Buffer.from([this.flags(ceremony.userVerified ?? true, false)]), counterBytes]);
    const clientDataJSON = clientData('webauthn.get', options.challenge, ceremony.origin ?? this.origin);
    // ES256: ECDSA P-256 over authData || SHA-256(clientDataJSON), DER-encoded as WebAuthn wants.
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: ceremony.userHandle ?? credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }
}

/** The same registration response with its clientDataJSON's challenge replaced (attestation `none` signs nothing over it). */
export function withChallenge<T extends { response: { clientDataJSON: string } }>(response: T, challenge: string): T {
  const data = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { ...response, response: { ...response.response, clientDataJSON: b64url(JSON.stringify({ ...data, challenge })) } };
}
