/**
 * `npm run keys:generate [-- --alg ES256]` (`-- --help` for the options): prints a fresh signing key set (JSON) to store as the
 * Secrets Manager secret named by SIGNING_KEYS_SECRET_ID, e.g.
 *
 *   npm run -s keys:generate > keys.json
 *   aws secretsmanager create-secret --name lambda-jwt-auth/prod/signing-keys --secret-string file://keys.json
 *   rm keys.json
 *
 * A fresh set has a current key and a published next key. With `--rotate FILE` it prints the
 * next stage of the set in FILE (lib/keys/rotation.ts): the next key signs once it has been
 * published for NEXT_KEY_LEAD_SECONDS, the current key becomes `previous`, a new next key is
 * added, and previous keys whose tokens have all expired are dropped (previous data-encryption
 * keys are kept: secrets sealed under them stay readable). `--emergency FILE` replaces every
 * signing and HMAC key at once (a leaked key) and adds a new current data key, keeping the old
 * ones as previous. Deployed stacks rotate their secret themselves (see docs/guides/keys.md).
 *
 * With `--public FILE` it prints the public key set of the full set in FILE, to store as the
 * secret named by SIGNING_PUBLIC_KEYS_SECRET_ID (read by the authorizer and JWKS functions).
 */
import { readFileSync } from 'node:fs';
import { SIGNING_ALGS, type SigningAlg } from '../lib/config';
import { parseKeySet, toPublicKeySet } from '../lib/keys/key-set';
import { bootstrapKeySet, emergencyRotation, scheduledRotation } from '../lib/keys/rotation';

const USAGE = `Usage: npm run -s keys:generate [-- OPTIONS]

Prints a signing key set (JSON, private keys included) on stdout, to store as the Secrets Manager
secret named by SIGNING_KEYS_SECRET_ID. Pipe it; do not leave it on disk.

Options:
  --alg RS256|ES256|EdDSA  algorithm of the keys (default: SIGNING_ALG, else RS256)
  --rotate FILE            print the next scheduled stage of the key set in FILE
  --emergency FILE         replace every signing and HMAC key of the set in FILE at once (a
                           leaked key); its data keys stay, as previous, beside a new one
  --public FILE            print only the public keys of the set in FILE
                           (the secret named by SIGNING_PUBLIC_KEYS_SECRET_ID)
  -h, --help               print this help and nothing else
`;

const VALUED = new Set(['--alg', '--rotate', '--emergency', '--public']);

/**
 * Strict parsing: an unknown option or one without its value is an error, and nothing is printed
 * on stdout. A mistyped flag (`--hlep`) must never fall through to printing a fresh private key.
 */
function parseArgs(args: string[]): Map<string, string> | 'help' {
  if (args.includes('--help') || args.includes('-h')) return 'help';
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i += 1) {
    const name = args[i]!;
    const value = args[i + 1];
    if (!VALUED.has(name)) throw new UsageError(`unknown option ${JSON.stringify(name)}`);
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
    flags.set(name, value);
    i += 1;
  }
  return flags;
}

class UsageError extends Error {}

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const flag = (name: string) => parsed.get(name);
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
    print(await emergencyRotation(alg, new Date(), parseKeySet(readFileSync(emergencyFrom, 'utf8'), alg)));
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
  if (err instanceof UsageError) console.error(`\n${USAGE}`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
