/**
 * A key store outage is not a bad token. With Secrets Manager down, token verification must let
 * the store's `service_unavailable` through: logout with a Bearer answers it (503), and the
 * authorizer denies with an error-level `authorizer_unavailable`, not an info-level
 * `authorizer_deny`. Secrets Manager has no local form, so its client is mocked; the key store,
 * the token module, the logout use case and the authorizer are the real ones.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { authorize } from '../../lib/authorizer';
import { loadConfig } from '../../lib/config';
import { AppError } from '../../lib/errors';
import { generateKeySet } from '../../lib/keys/generate';
import { KeyStore } from '../../lib/keys/key-store';
import { SecretsManagerKeySource } from '../../lib/keys/secrets-manager-source';
import { InvalidAccessToken, signAccessToken, verifyAccessToken } from '../../lib/tokens/access-token';
import type { Deps } from '../../lib/usecases/deps';
import { logout } from '../../lib/usecases/logout';

const settings = { issuer: 'https://auth.example.com', audience: 'https://api.example.com', alg: 'RS256' as const, ttlSeconds: 900 };
const NOW = Date.UTC(2026, 0, 1);
let token: string;
let keySet: string;

beforeAll(async () => {
  keySet = JSON.stringify(await generateKeySet('RS256'));
  const signer = new KeyStore({ description: 'memory', load: async () => keySet }, { alg: 'RS256' });
  token = await signAccessToken(signer, settings, { userId: 'user-1', sessionId: 'session-1', email: 'a@example.com', roles: ['user'] }, new Date(NOW));
});

const secretsManager = mockClient(SecretsManagerClient);
let lines: { stream: 'out' | 'err'; entry: Record<string, unknown> }[];

beforeEach(() => {
  secretsManager.reset();
  secretsManager.on(GetSecretValueCommand).rejects(Object.assign(new Error('Service Unavailable'), { name: 'InternalServiceError', $metadata: {} }));
  lines = [];
  vi.stubEnv('LOG_LEVEL', 'debug');
  vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push({ stream: 'out', entry: JSON.parse(line) }));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void lines.push({ stream: 'err', entry: JSON.parse(line) }));
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** A key store reading Secrets Manager, which is down. */
const downStore = (publicOnly: boolean) =>
  new KeyStore(new SecretsManagerKeySource(new SecretsManagerClient({ region: 'us-east-1' }), 'auth/keys'), { alg: 'RS256', publicOnly });

const events = () => lines.map((l) => l.entry.event).filter((e) => e !== undefined);

describe('verifyAccessToken during a key store outage', () => {
  it('lets the key store failure through as service_unavailable instead of calling the token invalid', async () => {
    const err = await verifyAccessToken(downStore(true), settings, token, new Date(NOW)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).not.toBeInstanceOf(InvalidAccessToken);
    expect(err).toMatchObject({ code: 'service_unavailable' });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('still calls a malformed token invalid without asking the key store', async () => {
    await expect(verifyAccessToken(downStore(true), settings, 'not.a-token', new Date(NOW))).rejects.toBeInstanceOf(InvalidAccessToken);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('verifies again once the key store is back', async () => {
    const store = downStore(true);
    await expect(verifyAccessToken(store, settings, token, new Date(NOW))).rejects.toMatchObject({ code: 'service_unavailable' });
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: keySet });
    await expect(verifyAccessToken(store, settings, token, new Date(NOW))).resolves.toMatchObject({ sub: 'user-1', sid: 'session-1' });
  });
});

describe('logout with a Bearer during a key store outage', () => {
  it.each(['global', 'others'] as const)('answers service_unavailable, not unauthorized, for scope %s and touches no table', async (scope) => {
    const config = loadConfig({ AUTH_MODE: 'local', SIGNING_KEYS_SECRET_ID: 'auth/keys', ISSUER: settings.issuer, AUDIENCE: settings.audience });
    // The Bearer is checked before any table is read: reaching a repository fails the test.
    const unreachable = new Proxy({}, { get: () => { throw new Error('repository reached'); } });
    const deps = {
      config,
      users: unreachable,
      sessions: unreachable,
      loginAttempts: unreachable,
      rateLimits: unreachable,
      keys: downStore(false),
      clock: () => new Date(NOW),
    } as unknown as Deps;
    await expect(logout(deps, { refreshToken: undefined, scope }, token)).rejects.toSatisfy(
      (e) => e instanceof AppError && e.code === 'service_unavailable',
    );
  });
});

describe('the authorizer during a key store outage', () => {
  const deps = () => ({ keys: downStore(true), settings, clock: () => new Date(NOW) });
  const httpApi = (authorization: string) => ({ version: '2.0', type: 'REQUEST', routeArn: 'arn:aws:execute-api:us-east-1:1:api/$default/GET/x', headers: { authorization } });

  it('denies a valid token and logs an error-level authorizer_unavailable, not an authorizer_deny', async () => {
    await expect(authorize(deps(), httpApi(`Bearer ${token}`) as never)).resolves.toEqual({ isAuthorized: false });
    expect(events()).toEqual(['authorizer_unavailable']);
    const logged = lines.find((l) => l.entry.event === 'authorizer_unavailable')!;
    expect(logged.entry.level).toBe('error');
    expect(logged.stream).toBe('err');
    expect(logged.entry.error).toMatchObject({ code: 'service_unavailable' });
  });

  it('denies a REST call by throwing exactly Unauthorized, with the same error-level event', async () => {
    const event = { type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: 'arn:aws:execute-api:us-east-1:1:api/prod/GET/x' };
    await expect(authorize(deps(), event as never)).rejects.toThrow(/^Unauthorized$/);
    expect(events()).toEqual(['authorizer_unavailable']);
  });

  it('keeps calling a tampered token an info-level authorizer_deny, even with the store down', async () => {
    await expect(authorize(deps(), httpApi('Bearer not.a-token') as never)).resolves.toEqual({ isAuthorized: false });
    expect(events()).toEqual(['authorizer_deny']);
    expect(lines.find((l) => l.entry.event === 'authorizer_deny')!.entry.level).toBe('info');
  });
});
