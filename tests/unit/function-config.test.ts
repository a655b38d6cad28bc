/**
 * Each function loads only the configuration it needs: the built bundles, loaded cold in a fresh
 * Node process with a production environment, start or refuse according to what they use.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

const PRODUCTION = {
  AUTH_MODE: 'production',
  ISSUER: 'https://auth.example.com',
  AUDIENCE: 'https://api.example.com',
  SIGNING_KEYS_SECRET_ID: 'auth/prod/keys',
  SIGNING_PUBLIC_KEYS_SECRET_ID: 'auth/prod/public-keys',
  SESSIONS_TABLE: 'lambda-jwt-auth-prod-sessions',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  LOG_LEVEL: 'error',
};

/** Loads dist/<fn>/index.js as a cold start would; resolves with its exit code and stderr. */
async function coldStart(fn: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const bundle = path.join(ROOT, 'dist', fn, 'index.js');
  return run(process.execPath, ['-e', `require(${JSON.stringify(bundle)})`], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (err: { code?: number; stderr?: string }) => ({ code: err.code ?? 1, stderr: err.stderr ?? '' }),
  );
}

describe('per-function configuration at cold start', () => {
  it('starts the authorizer without USERS_TABLE', async () => {
    expect(await coldStart('authorizer', PRODUCTION)).toEqual({ code: 0, stderr: '' });
  }, 90_000);

  it('refuses to start a checking authorizer without SESSIONS_TABLE, and starts a stateless one', async () => {
    const { SESSIONS_TABLE: _sessions, ...env } = PRODUCTION;
    const outcome = await coldStart('authorizer', env);
    expect(outcome.code).not.toBe(0);
    expect(outcome.stderr).toContain('SESSIONS_TABLE');
    expect(await coldStart('authorizer', { ...env, AUTHORIZER_SESSION_CHECK: 'off' })).toEqual({ code: 0, stderr: '' });
  }, 90_000);

  it('starts the JWKS function without any table', async () => {
    const { SESSIONS_TABLE: _sessions, ...env } = PRODUCTION;
    expect(await coldStart('jwks', env)).toEqual({ code: 0, stderr: '' });
  }, 90_000);

  it('refuses to start login without USERS_TABLE, with one log line naming it', async () => {
    const outcome = await coldStart('login', PRODUCTION);
    expect(outcome.code).not.toBe(0);
    const line = outcome.stderr.split('\n').find((l) => l.startsWith('{'));
    expect(JSON.parse(line!)).toMatchObject({ level: 'error', message: 'refusing to start: invalid configuration', reason: expect.stringContaining('USERS_TABLE') });
  }, 90_000);
});
