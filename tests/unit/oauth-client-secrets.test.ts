/**
 * The providers' client secrets read from Secrets Manager (lib/federation/client-secrets.ts over
 * lib/keys/secrets-manager-source.ts), the path a deployed stage takes. Secrets Manager has no
 * local form, so its SDK client is mocked; the reader, its cache and the provider code that uses
 * it are the real ones.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../lib/errors';
import { CachedClientSecrets, CLIENT_SECRETS_MAX_AGE_MS } from '../../lib/federation/client-secrets';
import { FederationProvider, ProviderError } from '../../lib/federation/providers';
import { statusOf } from '../../lib/http/middleware';
import { SecretsManagerKeySource } from '../../lib/keys/secrets-manager-source';

const SECRET_ID = 'auth/prod/oauth-client-secrets';
const secretsManager = mockClient(SecretsManagerClient);
let now: number;

function reader() {
  const source = new SecretsManagerKeySource(new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), SECRET_ID);
  return new CachedClientSecrets(source, () => now);
}

const outage = () => Object.assign(new Error('Service Unavailable'), { name: 'InternalServiceError', $fault: 'server', $metadata: {} });

/** The AppError `promise` rejects with, and the HTTP status the middleware answers it with. */
async function failureOf(promise: Promise<unknown>): Promise<{ code: string; status: number | undefined }> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return { code: (err as AppError).code, status: statusOf((err as AppError).code) };
}

beforeEach(() => {
  secretsManager.reset();
  now = Date.UTC(2026, 0, 1);
});

afterEach(() => vi.restoreAllMocks());

describe('OAuth client secrets from Secrets Manager', () => {
  it('reads the JSON document of the configured secret and answers each provider its own secret', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: JSON.stringify({ google: 'g-secret', github: 'gh-secret' }) });
    const secrets = reader();
    expect(await secrets.get('google')).toBe('g-secret');
    expect(await secrets.get('github')).toBe('gh-secret');
  });

  it('reads the secret once per container while it is fresh, concurrent first requests included', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ google: 'g-secret' }) });
    const secrets = reader();
    await Promise.all([secrets.get('google'), secrets.get('google'), secrets.get('google')]);
    now += CLIENT_SECRETS_MAX_AGE_MS;
    await secrets.get('google');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('picks up a rotated secret once the cached one is older than the maximum age, without a deploy', async () => {
    secretsManager.on(GetSecretValueCommand).resolvesOnce({ SecretString: JSON.stringify({ google: 'old' }) }).resolves({ SecretString: JSON.stringify({ google: 'new' }) });
    const secrets = reader();
    expect(await secrets.get('google')).toBe('old');
    now += CLIENT_SECRETS_MAX_AGE_MS + 1;
    expect(await secrets.get('google')).toBe('new');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('answers 503 service_unavailable while Secrets Manager fails, keeps no failure cached, and reads again on the next request', async () => {
    secretsManager.on(GetSecretValueCommand).rejectsOnce(outage()).resolves({ SecretString: JSON.stringify({ google: 'g-secret' }) });
    const secrets = reader();
    expect(await failureOf(secrets.get('google'))).toEqual({ code: 'service_unavailable', status: 503 });
    // No clock movement: a remembered failure would answer 503 for the next five minutes.
    expect(await secrets.get('google')).toBe('g-secret');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('answers 503 for a secret that is not a JSON object, and reads again once it is fixed', async () => {
    for (const broken of ['not json', '["g-secret"]', 'null']) {
      secretsManager.reset();
      secretsManager.on(GetSecretValueCommand).resolvesOnce({ SecretString: broken }).resolves({ SecretString: JSON.stringify({ google: 'g-secret' }) });
      const secrets = reader();
      expect(await failureOf(secrets.get('google'))).toEqual({ code: 'service_unavailable', status: 503 });
      expect(await secrets.get('google')).toBe('g-secret');
    }
  });

  it('answers 503 for a secret without a SecretString (a binary secret)', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    expect(await failureOf(reader().get('google'))).toEqual({ code: 'service_unavailable', status: 503 });
  });

  it('answers 503 for a provider the document does not name (or names with an empty secret)', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ google: 'g-secret', okta: '' }) });
    const secrets = reader();
    expect(await failureOf(secrets.get('github'))).toEqual({ code: 'service_unavailable', status: 503 });
    expect(await failureOf(secrets.get('okta'))).toEqual({ code: 'service_unavailable', status: 503 });
  });

  it('turns a secret outage in a callback into service_unavailable before anything reaches the provider (its code stays unused)', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(outage());
    // GitHub's endpoints are fixed (no discovery), so nothing but the secret read stands before the code exchange.
    const provider = new FederationProvider({ name: 'github', type: 'github', issuer: undefined, clientId: 'client', scopes: 'read:user user:email' }, reader(), 'production');
    const sent = vi.spyOn(globalThis, 'fetch');
    const err = await provider.complete(new URLSearchParams({ code: 'provider-code', state: 'the-state' }), { state: 'the-state', nonce: 'n', codeVerifier: 'v'.repeat(43), redirectUri: 'https://auth.example.com/auth/oauth/github/callback' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).redirectCode).toBe('service_unavailable');
    expect(sent).not.toHaveBeenCalled();
  });
});
