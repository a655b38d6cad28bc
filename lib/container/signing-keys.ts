import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KeyStore } from '../keys/key-store';
import { previousKeyRetentionSeconds } from '../keys/rotation-policy';
import { SecretsManagerKeySource } from '../keys/secrets-manager-source';
import { FileKeySource } from '../keys/sources';
import { containerConfig } from './config';

let store: KeyStore | undefined;

/**
 * The private key store of the token-issuing functions. Locally the dev key file; on AWS the
 * Secrets Manager secret, through the SDK these functions already carry for DynamoDB.
 */
export function signingKeyStore(): KeyStore {
  if (!store) {
    const config = containerConfig(['signingKeys']);
    const source = config.signingKeysFile
      ? new FileKeySource(config.signingKeysFile)
      : new SecretsManagerKeySource(new SecretsManagerClient({ maxAttempts: 4 }), config.signingKeysSecretId ?? '');
    store = new KeyStore(source, {
      alg: config.signingAlg,
      previousKeyRetentionMs: previousKeyRetentionSeconds(config.accessTokenTtlSeconds) * 1000,
    });
  }
  return store;
}
