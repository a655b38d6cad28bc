import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { SigningAlg } from '../config';
import type { KeySetDocument, StoredKey } from './key-set';

/** A fresh signing key, exportable, with a random kid. */
export async function generateSigningKey(alg: SigningAlg, status: StoredKey['status'] = 'current'): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const privateJwk = (await exportJWK(privateKey)) as Record<string, unknown>;
  return { kid: randomBytes(12).toString('base64url'), alg, status, privateJwk };
}

/** A complete key set: one current key for `alg` and a fresh refresh-token HMAC key. */
export async function generateKeySet(alg: SigningAlg): Promise<KeySetDocument> {
  return {
    refreshTokenKey: randomBytes(32).toString('base64url'),
    keys: [await generateSigningKey(alg)],
  };
}
