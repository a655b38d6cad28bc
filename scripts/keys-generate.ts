/**
 * `npm run keys:generate [-- --alg ES256]`: prints a fresh signing key set (JSON) to store as the
 * Secrets Manager secret named by SIGNING_KEYS_SECRET_ID, e.g.
 *
 *   npm run -s keys:generate > keys.json
 *   aws secretsmanager create-secret --name lambda-jwt-auth/prod/signing-keys --secret-string file://keys.json
 *   rm keys.json
 *
 * A fresh set has a current key and a published next key. With `--rotate FILE` it prints the
 * next stage of the set in FILE (lib/keys/rotation.ts): the next key signs once it has been
 * published for NEXT_KEY_LEAD_SECONDS, the current key becomes `previous`, a new next key is
 * added, and previous keys whose tokens have all expired are dropped. `--emergency FILE` replaces
 * every key at once (a leaked key). Deployed stacks rotate their secret themselves (see README).
 *
 * With `--public FILE` it prints the public key set of the full set in FILE, to store as the
 * secret named by SIGNING_PUBLIC_KEYS_SECRET_ID (read by the authorizer and JWKS functions).
 */
import { readFileSync } from 'node:fs';
import { SIGNING_ALGS, type SigningAlg } from '../lib/config';
import { parseKeySet, toPublicKeySet } from '../lib/keys/key-set';
import { bootstrapKeySet, emergencyRotation, scheduledRotation } from '../lib/keys/rotation';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const alg = (flag('--alg') ?? process.env.SIGNING_ALG ?? 'RS256') as SigningAlg;
  if (!SIGNING_ALGS.includes(alg)) throw new Error(`--alg must be one of ${SIGNING_ALGS.join(', ')}`);
  const publicFrom = flag('--public');
  if (publicFrom) {
    process.stdout.write(`${JSON.stringify(toPublicKeySet(parseKeySet(readFileSync(publicFrom, 'utf8'), alg)), null, 2)}\n`);
    return;
  }
  const print = (doc: unknown) => process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  const rotateFrom = flag('--rotate');
  const emergencyFrom = flag('--emergency');
  if (emergencyFrom) {
    parseKeySet(readFileSync(emergencyFrom, 'utf8'), alg);
    print(await emergencyRotation(alg, new Date()));
    return;
  }
  if (!rotateFrom) {
    print(await bootstrapKeySet(alg, new Date()));
    return;
  }
  const policy = {
    alg,
    accessTokenTtlSeconds: Number(process.env.ACCESS_TOKEN_TTL_SECONDS ?? 900),
    refreshReuseGraceSeconds: Number(process.env.REFRESH_REUSE_GRACE_SECONDS ?? 10),
  };
  const { doc } = await scheduledRotation(parseKeySet(readFileSync(rotateFrom, 'utf8'), alg), new Date(), policy);
  parseKeySet(JSON.stringify(doc), alg);
  print(doc);
}

main().catch((err) => {
  console.error(`keys:generate: ${(err as Error).message}`);
  process.exit(1);
});
