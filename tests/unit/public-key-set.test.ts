/**
 * The optional public key set: the authorizer and JWKS functions can read a secret that holds no
 * private material, and the deployment then grants them nothing else.
 */
import { systemClock } from '../../lib/clock';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { authorize } from '../../lib/authorizer';
import { generateKeySet } from '../../lib/keys/generate';
import { parseVerificationKeys, toPublicKeySet } from '../../lib/keys/key-set';
import { KeyStore } from '../../lib/keys/key-store';
import { signAccessToken } from '../../lib/tokens/access-token';
import { serverless, SERVERLESS_TEST_TIMEOUT } from '../helpers/serverless';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const settings = { issuer: 'https://auth.example.com', audience: 'https://api.example.com', alg: 'RS256' as const, ttlSeconds: 900 };
const memory = (doc: unknown) => ({ description: 'memory', load: async () => JSON.stringify(doc) });

describe('public key set', () => {
  it('holds no private member and lets the authorizer verify tokens signed with the full set', async () => {
    const full = await generateKeySet('RS256');
    const pub = toPublicKeySet(full);
    expect(JSON.stringify(pub)).not.toMatch(/"(d|p|q|dp|dq|qi)":/);
    expect(JSON.stringify(pub)).not.toContain(full.refreshTokenKey);
    const token = await signAccessToken(new KeyStore(memory(full), { alg: 'RS256' }), settings, { userId: 'u1', sessionId: 's1', email: 'a@example.com', roles: ['user'] }, new Date(Date.now()));
    const verifier = new KeyStore(memory(pub), { alg: 'RS256', publicOnly: true });
    await expect(authorize({ keys: verifier, settings, clock: systemClock }, { version: '2.0', type: 'REQUEST', headers: { authorization: `Bearer ${token}` } } as never)).resolves.toMatchObject({ isAuthorized: true });
    expect(await verifier.publicJwks()).toEqual(pub.keys.map((k) => k.publicJwk));
  });

  it('refuses a public key set that carries private key material', async () => {
    const full = await generateKeySet('ES256');
    const leaky = { keys: [{ kid: full.keys[0]!.kid, alg: 'ES256', status: 'current', publicJwk: full.keys[0]!.privateJwk }] };
    expect(() => parseVerificationKeys(JSON.stringify(leaky), 'ES256')).toThrow(/private key material/);
  });

  it('still accepts the full key set, keeping only the public halves', async () => {
    const full = await generateKeySet('EdDSA');
    const entries = parseVerificationKeys(JSON.stringify(full), 'EdDSA');
    expect(entries).toHaveLength(1);
    expect(entries[0]!.jwk).not.toHaveProperty('d');
  });

  it('npm run keys:generate -- --public FILE prints the public set of FILE', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pubkeys-'));
    try {
      const file = path.join(dir, 'set.json');
      await writeFile(file, JSON.stringify(await generateKeySet('RS256')));
      const { stdout } = await run(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/keys-generate.ts', '--public', file], { cwd: ROOT });
      const printed = JSON.parse(stdout);
      expect(printed).toEqual(toPublicKeySet(JSON.parse(await readFile(file, 'utf8'))));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('with signingPublicKeysSecretId, the verifier role can read only the public secret', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pkg-'));
    try {
      await serverless([
        'package', '--stage', 'prod',
        '--param=issuer=https://auth.example.com', '--param=audience=https://api.example.com',
        '--param=signingKeysSecretId=auth/prod/keys', '--param=signingPublicKeysSecretId=auth/prod/public-keys',
        '--param=corsAllowedOrigins=https://app.example.com', '--param=appUrl=https://app.example.com',
        '--param=emailFrom=no-reply@example.com', '--package', dir,
      ]);
      const template = JSON.parse(await readFile(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
      const verifier = JSON.stringify(template.Resources.VerifierRole.Properties.Policies);
      expect(verifier).toContain('secret:auth/prod/public-keys-??????');
      expect(verifier).not.toContain('secret:auth/prod/keys-??????');
      const signer = JSON.stringify(template.Resources.IamRoleLambdaExecution.Properties.Policies);
      expect(signer).toContain('secret:auth/prod/keys-??????');
      expect(template.Resources.AuthorizerLambdaFunction.Properties.Environment.Variables.SIGNING_PUBLIC_KEYS_SECRET_ID).toBe('auth/prod/public-keys');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, SERVERLESS_TEST_TIMEOUT);
});
