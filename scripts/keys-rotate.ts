/**
 * `npm run keys:rotate -- --secret-id ID [--public-secret-id ID] [--emergency]`: runs the four
 * rotation steps of the signing key set secret now, with the operator's AWS credentials, the same
 * code the rotation function runs.
 *
 *   --emergency   a key leaked: replace every signing and refresh-token key at once (tokens signed
 *                 with the old keys stop verifying; users refresh or sign in again).
 *
 * Without --emergency it is one scheduled rotation (refused while the next key is too new).
 * SIGNING_ALG, ACCESS_TOKEN_TTL_SECONDS and REFRESH_REUSE_GRACE_SECONDS are read from the
 * environment like the functions do (defaults RS256, 900, 10).
 */
import { randomUUID } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SIGNING_ALGS, type SigningAlg } from '../lib/config';
import { rotateNow } from '../lib/keys/rotation-steps';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write('usage: npm run keys:rotate -- --secret-id ID [--public-secret-id ID] [--emergency]\n');
    return;
  }
  const secretId = flag('--secret-id');
  if (!secretId) throw new Error('--secret-id is required');
  const alg = (process.env.SIGNING_ALG ?? 'RS256') as SigningAlg;
  if (!SIGNING_ALGS.includes(alg)) throw new Error(`SIGNING_ALG must be one of ${SIGNING_ALGS.join(', ')}`);
  const token = randomUUID();
  await rotateNow(
    {
      client: new SecretsManagerClient({}),
      policy: {
        alg,
        accessTokenTtlSeconds: Number(process.env.ACCESS_TOKEN_TTL_SECONDS ?? 900),
        refreshReuseGraceSeconds: Number(process.env.REFRESH_REUSE_GRACE_SECONDS ?? 10),
      },
      publicSecretId: flag('--public-secret-id'),
      mode: args.includes('--emergency') ? 'emergency' : 'scheduled',
      outsideRotation: true,
    },
    secretId,
    token,
  );
  process.stdout.write(`rotated ${secretId} (version ${token})\n`);
}

main().catch((err) => {
  console.error(`keys:rotate: ${(err as Error).message}`);
  process.exit(1);
});
