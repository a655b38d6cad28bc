/**
 * The client package as it ships (client/): its generated types match docs/openapi.yaml, `npm
 * pack` produces a built package with types, a small TypeScript consumer compiles against the
 * packed package and imports it at run time, and its bundle stays within the size budget.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleBrowserClient } from '../../client/scripts/bundle.mjs';
import { BUDGET_GZIP_BYTES, sizes } from '../../client/scripts/size.mjs';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const CLIENT = path.join(ROOT, 'client');
const BIN = path.join(ROOT, 'node_modules', '.bin');
let work: string;

/**
 * A small app written against the packed package: password sign-in with its mfaRequired branch,
 * a passkey as the second step and in autofill (the /passkeys entry), the federated landing, and
 * the typed error codes. The `@ts-expect-error` lines are mistakes the types must refuse.
 */
const CONSUMER = `import { createAuthClient, isAuthError, type AuthErrorCode, type LandingResult, type LoginResult, type User, type paths } from '@lambda-jwt-auth/client';
import { createPasskeys, type WebAuthnCeremonies } from '@lambda-jwt-auth/client/passkeys';

const auth = createAuthClient({ baseUrl: 'https://auth.example.com' });
const passkeys = createPasskeys(auth);
auth.on('sessionend', ({ reason }) => console.log('signed out:', reason));

export async function signIn(email: string, password: string, askCode: () => Promise<string>): Promise<User> {
  const result: LoginResult = await auth.login({ email, password });
  if (result.status === 'signedIn') return result.user;
  if (result.factors.some((factor) => factor.type === 'passkey')) return passkeys.verifySecondFactor({ mfaToken: result.mfaToken });
  return auth.verifySecondFactor({ mfaToken: result.mfaToken, code: await askCode() });
}

export function offerAutofill(form: AbortSignal): Promise<User | null> {
  return passkeys.signInWithAutofill({ signal: form }).then(
    ({ user }) => user,
    (err: unknown) => {
      if (isAuthError(err) && (err.code === 'passkey_cancelled' || err.code === 'passkey_unsupported')) return null;
      throw err;
    },
  );
}

export async function addPasskey(askPassword: () => Promise<string>): Promise<string> {
  try {
    return (await passkeys.register({ name: 'Laptop' })).id;
  } catch (err) {
    if (!isAuthError(err) || !err.needsReauthentication) throw err;
    await auth.mfa.reauthenticate({ password: await askPassword() });
    return (await passkeys.register({ name: 'Laptop' })).id;
  }
}

export async function land(href: string): Promise<string> {
  const landing: LandingResult = await auth.federation.completeLanding(href);
  switch (landing.status) {
    case 'signedIn': return landing.user.email;
    case 'mfaRequired': return landing.mfaToken;
    case 'linked': return landing.provider;
    case 'error': return landing.error;
    case 'none': return '';
  }
}

export const providerUrl = auth.federation.authorizeUrl('local', { redirectUri: 'https://app.example.com/' });
export const tooSlow: AuthErrorCode = 'too_many_attempts';
export const ceremonies: Partial<WebAuthnCeremonies> = { supported: () => false };

// The logout body with its defaulted scope left out, as the README's call sends it.
export const logoutBody: NonNullable<paths['/auth/logout']['post']['requestBody']>['content']['application/json'] = { refreshToken: 'id.secret' };

export function wrong(result: LoginResult, err: unknown) {
  // @ts-expect-error: mfaToken exists only once the result is narrowed to mfaRequired
  const token: string = result.mfaToken;
  // @ts-expect-error: no such error code
  const unknownCode = isAuthError(err) && err.code === 'passkey_canceled';
  // @ts-expect-error: exactly one proof of the second step
  void auth.verifySecondFactor({ mfaToken: token, code: '123456', recoveryCode: 'abcd-efgh' });
  return unknownCode;
}
`;

/**
 * The README's TypeScript examples, each compiled as a module of the consumer. What an example
 * leaves to the app (the form's values, its UI functions, the `auth` of the first example) is
 * declared here, with the types an app would have.
 */
const README_GLOBALS = `import type { createAuthClient } from '@lambda-jwt-auth/client';
declare global {
  const auth: ReturnType<typeof createAuthClient>;
  const email: string, password: string, code: string, currentPassword: string, newPassword: string, loginHint: string, id: string;
  function showSignIn(reason: string): void;
  function showAccount(signedIn: unknown): void;
  function ignoreCancelled(err: unknown): void;
  function askSecondFactor(landing: unknown): void;
  function notice(text: string): void;
  function showError(error: string): void;
}
export {};
`;

async function readmeExamples(): Promise<string[]> {
  const readme = await readFile(path.join(CLIENT, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => `${m[1]}\nexport {};\n`);
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'client-package-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('client package', () => {
  it('has request and response types generated from docs/openapi.yaml (regenerate: cd client && npm run generate)', async () => {
    const fresh = path.join(work, 'openapi.ts');
    await run(path.join(BIN, 'openapi-typescript'), ['../docs/openapi.yaml', '-o', fresh], { cwd: CLIENT });
    expect(await readFile(path.join(CLIENT, 'src', 'openapi.ts'), 'utf8')).toBe(await readFile(fresh, 'utf8'));
  });

  // npm pack runs tsc (prepack), and tsc runs twice on the consumer: slow on a loaded machine.
  it('packs a built ESM package with types, which a TypeScript consumer and the README\'s examples compile against (bundler and node16 resolution) and imports', { timeout: 300_000 }, async () => {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: CLIENT, maxBuffer: 16 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path).sort();
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/openapi.d.ts', 'dist/passkeys.js', 'dist/passkeys.d.ts']),
    );
    expect(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md'].includes(f))).toEqual([]);
    const manifest = JSON.parse(await readFile(path.join(CLIENT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const root = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    // The only runtime dependency, at the exact version the repository (and its demo) uses.
    expect(manifest.dependencies).toEqual({ '@simplewebauthn/browser': root.dependencies['@simplewebauthn/browser'] });

    // A consumer project with the tarball installed as npm would (node_modules/<name>), and the
    // package's dependency linked from this repository's node_modules (no registry needed).
    const consumer = path.join(work, 'consumer');
    const installed = path.join(consumer, 'node_modules', '@lambda-jwt-auth');
    await mkdir(installed, { recursive: true });
    await run('tar', ['-xzf', path.join(work, packed!.filename), '-C', installed]);
    await rename(path.join(installed, 'package'), path.join(installed, 'client'));
    await mkdir(path.join(consumer, 'node_modules', '@simplewebauthn'), { recursive: true });
    await symlink(path.join(ROOT, 'node_modules', '@simplewebauthn', 'browser'), path.join(consumer, 'node_modules', '@simplewebauthn', 'browser'), 'dir');
    await writeFile(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await writeFile(path.join(consumer, 'app.ts'), CONSUMER);
    const examples = await readmeExamples();
    expect(examples.length, 'TypeScript examples in client/README.md').toBeGreaterThanOrEqual(3);
    await writeFile(path.join(consumer, 'readme-globals.d.ts'), README_GLOBALS);
    const exampleFiles = await Promise.all(
      examples.map(async (example, i) => {
        await writeFile(path.join(consumer, `readme-${i + 1}.ts`), example);
        return `readme-${i + 1}.ts`;
      }),
    );

    // `bundler` (Vite, esbuild, webpack apps) and `node16` (the strict resolver of `exports` and of ESM type declarations).
    const common = { noEmit: true, strict: true, target: 'ES2022', lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false };
    for (const [name, resolution] of [
      ['bundler', { module: 'ESNext', moduleResolution: 'bundler' }],
      ['node16', { module: 'node16', moduleResolution: 'node16' }],
    ] as const) {
      await writeFile(path.join(consumer, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...common, ...resolution }, files: ['app.ts', 'readme-globals.d.ts', ...exampleFiles] }));
      const tsc = await run(path.join(BIN, 'tsc'), ['-p', `tsconfig.${name}.json`], { cwd: consumer }).catch((err: { stdout: string }) => ({ stdout: err.stdout }));
      expect(tsc.stdout, `tsc with moduleResolution ${name}`).toBe('');
    }
    const load = async (specifier: string) =>
      (await run(process.execPath, ['--input-type=module', '-e', `const m = await import('${specifier}'); console.log(Object.keys(m).sort().join(','))`], { cwd: consumer })).stdout.trim();
    expect(await load('@lambda-jwt-auth/client')).toBe('AuthError,createAuthClient,isAuthError,readLanding');
    expect(await load('@lambda-jwt-auth/client/passkeys')).toBe('createPasskeys');
  });

  it('bundles the core and the passkeys entry into one browser module (bundleBrowserClient, served by the demo)', { timeout: 120_000 }, async () => {
    const file = path.join(work, 'browser-client.mjs');
    await writeFile(file, await bundleBrowserClient());
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    expect(Object.keys(module).sort()).toEqual(['AuthError', 'createAuthClient', 'createPasskeys', 'isAuthError', 'readLanding']);
  });

  it(`bundles (esbuild --bundle --minify) the core to under ${BUDGET_GZIP_BYTES / 1024} KB gzipped, without the WebAuthn helper`, { timeout: 180_000 }, async () => {
    await run('npm', ['run', 'build'], { cwd: CLIENT });
    const measured = await sizes();
    console.log(`client bundles (bytes): ${JSON.stringify(measured)}`);
    expect(measured.core.gzip).toBeLessThan(BUDGET_GZIP_BYTES);
    // The core carries no WebAuthn code: the helper weighs in only with the passkeys entry.
    expect(measured.passkeysWithHelper.gzip - measured.passkeysAlone.gzip).toBeGreaterThan(1024);
    expect(measured.all.gzip).toBeGreaterThan(measured.core.gzip + 1024);
  });
});
