import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { containerConfig } from '../lib/container/config';
import { runRotationStep, type RotationEvent } from '../lib/keys/rotation-steps';

const config = containerConfig();
const ctx = {
  client: new SecretsManagerClient({ maxAttempts: 4 }),
  policy: { alg: config.signingAlg, accessTokenTtlSeconds: config.accessTokenTtlSeconds, refreshReuseGraceSeconds: config.refreshReuseGraceSeconds },
  publicSecretId: config.signingPublicKeysSecretId,
};

/** Secrets Manager's rotation function for the signing key set (one step per invocation). */
export const handler = (event: RotationEvent) => runRotationStep(ctx, event);
