/**
 * `npm run keys:generate [-- --alg ES256]`: prints a fresh signing key set (JSON) to store as the
 * Secrets Manager secret named by SIGNING_KEYS_SECRET_ID, e.g.
 *
 *   npm run -s keys:generate > keys.json
 *   aws secretsmanager create-secret --name lambda-jwt-auth/prod/signing-keys --secret-string file://keys.json
 *   rm keys.json
 *
 * With `--rotate FILE` it reads the current set from FILE, demotes its current key to `previous`,
 * adds a new current key and prints the result (previous keys keep verifying live tokens).
 *
 * With `--public FILE` it prints the public key set of the full set in FILE, to store as the
 * secret named by SIGNING_PUBLIC_KEYS_SECRET_ID (read by the authorizer and JWKS functions).
 */
import { readFileSync } from 'node:fs';
import { SIGNING_ALGS, type SigningAlg } from '../lib/config';
import { generateKeySet, generateSigningKey } from '../lib/keys/generate';
import { parseKeySet, toPublicKeySet } from '../lib/keys/key-set';

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
  const rotateFrom = flag('--rotate');
  if (!rotateFrom) {
    process.stdout.write(`${JSON.stringify(await generateKeySet(alg), null, 2)}\n`);
    return;
  }
  const current = parseKeySet(readFileSync(rotateFrom, 'utf8'), alg);
  const keys = current.keys.map((k) => ({ ...k, status: 'previous' as const }));
  const rotated = { ...current, keys: [await generateSigningKey(alg), ...keys] };
  parseKeySet(JSON.stringify(rotated), alg);
  process.stdout.write(`${JSON.stringify(rotated, null, 2)}\n`);
}

main().catch((err) => {
  console.error(`keys:generate: ${(err as Error).message}`);
  process.exit(1);
});
