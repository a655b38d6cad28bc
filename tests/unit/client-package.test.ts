/**
 * The client package as it ships (client/): its generated types match docs/openapi.yaml, `npm
 * pack` produces a built package with types, a small TypeScript consumer compiles against the
 * packed package and imports it at run time, and its bundle stays within the size budget.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_GZIP_BYTES, bundleSize } from '../../client/scripts/size.mjs';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const CLIENT = path.join(ROOT, 'client');
const BIN = path.join(ROOT, 'node_modules', '.bin');
let work: string;

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

  // npm pack runs tsc (prepack), and tsc runs again on the consumer: slow on a loaded machine.
  it('packs a built ESM package with types, which a TypeScript consumer compiles against and imports', { timeout: 300_000 }, async () => {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: CLIENT, maxBuffer: 16 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/openapi.d.ts']));
    expect(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md'].includes(f))).toEqual([]);

    // A consumer project with the tarball installed as npm would (node_modules/<name>).
    const consumer = path.join(work, 'consumer');
    const installed = path.join(consumer, 'node_modules', '@lambda-jwt-auth');
    await mkdir(installed, { recursive: true });
    await run('tar', ['-xzf', path.join(work, packed!.filename), '-C', installed]);
    await rename(path.join(installed, 'package'), path.join(installed, 'client'));
    await writeFile(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await writeFile(
      path.join(consumer, 'app.ts'),
      `import { createAuthClient, isAuthError, type LoginResult, type User, type paths } from '@lambda-jwt-auth/client';

const auth = createAuthClient({ baseUrl: 'https://auth.example.com' });
auth.on('sessionend', ({ reason }) => console.log('signed out:', reason));

export async function signIn(email: string, password: string, askCode: () => Promise<string>): Promise<User> {
  const result: LoginResult = await auth.login({ email, password });
  if (result.status === 'signedIn') return result.user;
  return auth.verifySecondFactor({ mfaToken: result.mfaToken, code: await askCode() });
}

export async function changePassword(currentPassword: string, newPassword: string, askPassword: () => Promise<string>): Promise<void> {
  try {
    await auth.account.changePassword({ currentPassword, newPassword });
  } catch (err) {
    if (!isAuthError(err) || !err.needsReauthentication) throw err;
    await auth.mfa.reauthenticate({ password: await askPassword() });
    await auth.account.changePassword({ currentPassword, newPassword });
  }
}

// The logout body with its defaulted scope left out, as the README's call sends it.
export const logoutBody: NonNullable<paths['/auth/logout']['post']['requestBody']>['content']['application/json'] = { refreshToken: 'id.secret' };

export function wrong(result: LoginResult) {
  // @ts-expect-error: mfaToken exists only once the result is narrowed to mfaRequired
  return result.mfaToken;
}
`,
    );
    // NodeNext: the strictest resolver of `exports` and of ESM type declarations.
    const compilerOptions = { noEmit: true, strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], types: [] };
    await writeFile(path.join(consumer, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['app.ts'] }));
    const tsc = await run(path.join(BIN, 'tsc'), ['-p', '.'], { cwd: consumer }).catch((err: { stdout: string }) => ({ stdout: err.stdout, failed: true }));
    expect(tsc.stdout).toBe('');
    const { stdout: exported } = await run(process.execPath, ['--input-type=module', '-e', "const m = await import('@lambda-jwt-auth/client'); console.log(Object.keys(m).sort().join(','))"], { cwd: consumer });
    expect(exported.trim()).toBe('AuthError,createAuthClient,isAuthError');
  });

  it(`bundles (esbuild --bundle --minify) to under ${BUDGET_GZIP_BYTES / 1024} KB gzipped`, { timeout: 180_000 }, async () => {
    await run('npm', ['run', 'build'], { cwd: CLIENT });
    const { minified, gzip } = await bundleSize();
    console.log(`client bundle: ${minified} B minified, ${gzip} B gzipped`);
    expect(gzip).toBeLessThan(BUDGET_GZIP_BYTES);
  });
});
