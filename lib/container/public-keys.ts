import { KeyStore } from '../keys/key-store';
import { previousKeyRetentionSeconds } from '../keys/rotation-policy';
import { SignedFetchKeySource } from '../keys/signed-fetch-source';
import { FileKeySource } from '../keys/sources';
import type { VerifierConfig } from '../config';
import { verifierConfig } from './verifier-config';

let store: KeyStore | undefined;

/**
 * The verification-only key store of the authorizer and the JWKS function: no AWS SDK (a signed
 * fetch instead), and private keys are never imported. With SIGNING_PUBLIC_KEYS_SECRET_ID set it
 * reads the public key set, so these functions need no access to private key material at all.
 * The JWKS function passes its own configuration; the authorizer's is the verifier's.
 */
export function publicKeyStore(
  config: Pick<VerifierConfig, 'signingKeysFile' | 'signingPublicKeysSecretId' | 'signingKeysSecretId' | 'signingAlg' | 'accessTokenTtlSeconds'> = verifierConfig(),
): KeyStore {
  if (!store) {
    const source = config.signingKeysFile
      ? new FileKeySource(config.signingKeysFile)
      : new SignedFetchKeySource(config.signingPublicKeysSecretId ?? config.signingKeysSecretId ?? '');
    store = new KeyStore(source, {
      alg: config.signingAlg,
      publicOnly: true,
      previousKeyRetentionMs: previousKeyRetentionSeconds(config.accessTokenTtlSeconds) * 1000,
    });
  }
  return store;
}
