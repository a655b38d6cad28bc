/**
 * The authorizer on each event shape API Gateway sends, with real keys: HTTP API simple
 * responses, REST TOKEN and REQUEST policies, and failing closed.
 */
import { systemClock } from '../../lib/clock';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { authorize, stageWildcard, type AuthorizerDeps } from '../../lib/authorizer';
import { generateKeySet } from '../../lib/keys/generate';
import { KeyStore } from '../../lib/keys/key-store';
import { signAccessToken } from '../../lib/tokens/access-token';

const settings = { issuer: 'https://auth.example.com', audience: 'https://api.example.com', alg: 'RS256' as const, ttlSeconds: 900 };
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/items';
let deps: AuthorizerDeps;
let token: string;

beforeAll(async () => {
  const doc = await generateKeySet('RS256');
  deps = { keys: new KeyStore({ description: 'memory', load: async () => JSON.stringify(doc) }, { alg: 'RS256', publicOnly: true }), settings, clock: systemClock };
  const signer = new KeyStore({ description: 'memory', load: async () => JSON.stringify(doc) }, { alg: 'RS256' });
  token = await signAccessToken(signer, settings, { userId: 'user-1', sessionId: 'session-1', email: 'a@example.com', roles: ['user', 'admin'] }, new Date(Date.now()));
});

const httpApi = (authorization?: string) => ({ version: '2.0', type: 'REQUEST', routeArn: METHOD_ARN, headers: authorization === undefined ? {} : { authorization } });
const restToken = (authorizationToken: string) => ({ type: 'TOKEN', authorizationToken, methodArn: METHOD_ARN });
const restRequest = (headers: Record<string, string>) => ({ type: 'REQUEST', methodArn: METHOD_ARN, headers });
const context = { userId: 'user-1', sessionId: 'session-1', email: 'a@example.com', emailVerified: 'false', roles: 'user,admin', acr: 'aal1', amr: '', authTime: '0' };

interface LogLine {
  level: string;
  message: string;
  event?: string;
  [field: string]: unknown;
}

/** Runs `fn` with every log level on and returns the structured lines it wrote. */
async function logsOf(fn: () => Promise<unknown>): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  vi.stubEnv('LOG_LEVEL', 'debug');
  const capture = (line: string) => void lines.push(JSON.parse(line) as LogLine);
  vi.spyOn(console, 'log').mockImplementation(capture);
  vi.spyOn(console, 'error').mockImplementation(capture);
  try {
    await fn();
  } finally {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  }
  return lines;
}

const eventsOf = (lines: LogLine[]) => lines.filter((l) => l.event !== undefined).map((l) => `${l.level} ${l.event}`);

describe('HTTP API (payload 2.0, simple responses)', () => {
  it('allows a valid token with a flat string context', async () => {
    const result = await authorize(deps, httpApi(`Bearer ${token}`) as never);
    expect(result).toEqual({ isAuthorized: true, context });
    for (const value of Object.values((result as { context: Record<string, unknown> }).context)) expect(typeof value).toBe('string');
  });

  it('accepts the bearer scheme in any case', async () => {
    await expect(authorize(deps, httpApi(`BEARER ${token}`) as never)).resolves.toMatchObject({ isAuthorized: true });
  });

  it('denies a missing header, another scheme, a double space, two tokens, and a token with a character or padding a compact JWS does not take', async () => {
    for (const header of [undefined, `Basic ${token}`, `Bearer  ${token}`, `Bearer ${token} ${token}`, 'Bearer ', `Bearer ${token}\t`, `Bearer ${token}=`, `Bearer ${token}~`, `Bearer${token}`]) {
      await expect(authorize(deps, httpApi(header) as never)).resolves.toEqual({ isAuthorized: false });
    }
  });
});

describe('REST API', () => {
  it('TOKEN: answers an IAM policy for sub on the whole stage, with the same context', async () => {
    const result = await authorize(deps, restToken(`Bearer ${token}`) as never);
    expect(result).toEqual({
      principalId: 'user-1',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*' }],
      },
      context,
    });
  });

  it('REQUEST: reads the Authorization header whatever its casing', async () => {
    await expect(authorize(deps, restRequest({ AUTHORIZATION: `Bearer ${token}` }) as never)).resolves.toMatchObject({ principalId: 'user-1' });
  });

  it('denies by throwing exactly Unauthorized', async () => {
    await expect(authorize(deps, restToken('Bearer nope') as never)).rejects.toThrow(/^Unauthorized$/);
    await expect(authorize(deps, restRequest({}) as never)).rejects.toThrow(/^Unauthorized$/);
  });
});

describe('what the authorizer logs', () => {
  it('logs no refusal for a valid token', async () => {
    const lines = await logsOf(() => authorize(deps, httpApi(`Bearer ${token}`) as never));
    expect(eventsOf(lines)).toEqual([]);
  });

  it('logs a bad token as an info-level authorizer_deny with its reason', async () => {
    const lines = await logsOf(async () => {
      await expect(authorize(deps, httpApi(`Bearer ${token.slice(0, -3)}abc`) as never)).resolves.toEqual({ isAuthorized: false });
    });
    expect(eventsOf(lines)).toEqual(['info authorizer_deny']);
    expect(lines.find((l) => l.event === 'authorizer_deny')?.reason).toEqual(expect.any(String));
  });
});

describe('failing closed', () => {
  it('denies when the key set cannot be loaded, logging an error-level authorizer_unavailable, and throws nothing but Unauthorized', async () => {
    const broken: AuthorizerDeps = { ...deps, keys: new KeyStore({ description: 'down', load: async () => { throw new Error('down'); } }, { alg: 'RS256', publicOnly: true }) };
    const lines = await logsOf(async () => {
      await expect(authorize(broken, httpApi(`Bearer ${token}`) as never)).resolves.toEqual({ isAuthorized: false });
      await expect(authorize(broken, restToken(`Bearer ${token}`) as never)).rejects.toThrow(/^Unauthorized$/);
    });
    // An outage denies every caller: it must page someone, not pass as one more bad token.
    expect(eventsOf(lines).filter((e) => e.includes('authorizer_'))).toEqual(['error authorizer_unavailable', 'error authorizer_unavailable']);
  });

  it('denies an event of an unknown shape', async () => {
    await expect(authorize(deps, { type: 'SOMETHING' } as never)).rejects.toThrow(/^Unauthorized$/);
  });

  it('never writes the token to the logs, allowed or denied', async () => {
    const lines: string[] = [];
    vi.stubEnv('LOG_LEVEL', 'debug');
    vi.spyOn(console, 'log').mockImplementation((...a) => void lines.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a) => void lines.push(a.join(' ')));
    await authorize(deps, httpApi(`Bearer ${token}`) as never);
    await authorize(deps, httpApi(`Bearer ${token.slice(0, -3)}abc`) as never);
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(token.split('.')[2]!.slice(0, 20));
    expect(lines.join('\n')).not.toContain(token.split('.')[1]!.slice(0, 20));
  });
});

describe('stageWildcard', () => {
  it('widens a method ARN to every route of its stage', () => {
    expect(stageWildcard(METHOD_ARN)).toBe('arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*');
  });
});

describe('email verification in the authorizer', () => {
  it('hands emailVerified to the integration as "true" or "false"', async () => {
    const doc = await generateKeySet('RS256');
    const keys = new KeyStore({ description: 'memory', load: async () => JSON.stringify(doc) }, { alg: 'RS256' });
    const verified = await signAccessToken(keys, settings, { userId: 'u', sessionId: 's', email: 'v@example.com', roles: [], emailVerified: true }, new Date());
    const unverified = await signAccessToken(keys, settings, { userId: 'u', sessionId: 's', email: 'v@example.com', roles: [], emailVerified: false }, new Date());
    const base = { keys, settings, clock: () => new Date() };
    expect(await authorize(base, httpApi(`Bearer ${verified}`) as never)).toMatchObject({ isAuthorized: true, context: { emailVerified: 'true' } });
    expect(await authorize(base, httpApi(`Bearer ${unverified}`) as never)).toMatchObject({ isAuthorized: true, context: { emailVerified: 'false' } });
  });

  it('with REQUIRE_VERIFIED_EMAIL denies unverified users and lets verified ones through', async () => {
    const doc = await generateKeySet('RS256');
    const keys = new KeyStore({ description: 'memory', load: async () => JSON.stringify(doc) }, { alg: 'RS256' });
    const strict = { keys, settings, clock: () => new Date(), requireVerifiedEmail: true };
    const verified = await signAccessToken(keys, settings, { userId: 'u', sessionId: 's', email: 'v@example.com', roles: [], emailVerified: true }, new Date());
    const unverified = await signAccessToken(keys, settings, { userId: 'u', sessionId: 's', email: 'v@example.com', roles: [] }, new Date());
    expect(await authorize(strict, httpApi(`Bearer ${verified}`) as never)).toMatchObject({ isAuthorized: true });
    expect(await authorize(strict, httpApi(`Bearer ${unverified}`) as never)).toEqual({ isAuthorized: false });
    await expect(authorize(strict, restToken(`Bearer ${unverified}`) as never)).rejects.toThrow('Unauthorized');
  });

  it('with REQUIRE_VERIFIED_EMAIL still lets an unverified user resend the link, see or delete the account and manage sessions', async () => {
    const doc = await generateKeySet('RS256');
    const keys = new KeyStore({ description: 'memory', load: async () => JSON.stringify(doc) }, { alg: 'RS256' });
    const strict = { keys, settings, clock: () => new Date(), requireVerifiedEmail: true };
    const unverified = await signAccessToken(keys, settings, { userId: 'u', sessionId: 's', email: 'v@example.com', roles: [] }, new Date());
    const route = (routeKey: string) => ({ ...httpApi(`Bearer ${unverified}`), routeKey });
    for (const key of ['POST /auth/email/resend', 'GET /auth/me', 'DELETE /auth/me', 'DELETE /auth/sessions/{id}']) {
      expect(await authorize(strict, route(key) as never), key).toMatchObject({ isAuthorized: true });
    }
    expect(await authorize(strict, route('GET /example/hello') as never)).toEqual({ isAuthorized: false });
    const rest = { type: 'TOKEN', authorizationToken: `Bearer ${unverified}`, methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/auth/me' };
    expect(await authorize(strict, rest as never)).toMatchObject({ principalId: 'u' });
  });
});

describe('authentication strength in the authorizer', () => {
  async function tokens() {
    const doc = await generateKeySet('RS256');
    const keys = new KeyStore({ description: 'memory', load: async () => JSON.stringify(doc) }, { alg: 'RS256' });
    const now = new Date();
    const sign = (acr: 'aal1' | 'aal2', amr: string[]) =>
      signAccessToken(keys, settings, { userId: 'u', sessionId: 's', email: 'v@example.com', roles: [], authentication: { authTime: Math.floor(now.getTime() / 1000) - 60, acr, amr } }, now);
    return { keys, aal1: await sign('aal1', ['pwd']), aal2: await sign('aal2', ['pwd', 'otp', 'mfa']), authTime: String(Math.floor(now.getTime() / 1000) - 60) };
  }

  it('hands acr, amr (comma-separated) and authTime to the integration', async () => {
    const { keys, aal2, authTime } = await tokens();
    expect(await authorize({ keys, settings, clock: () => new Date() }, httpApi(`Bearer ${aal2}`) as never)).toMatchObject({
      isAuthorized: true,
      context: { acr: 'aal2', amr: 'pwd,otp,mfa', authTime },
    });
  });

  it('with REQUIRE_MFA lets an aal1 session reach only the routes that enrol a factor; aal2 goes everywhere', async () => {
    const { keys, aal1, aal2 } = await tokens();
    const strict = { keys, settings, clock: () => new Date(), requireMfa: true };
    const route = (token: string, routeKey: string) => ({ ...httpApi(`Bearer ${token}`), routeKey });
    for (const key of ['POST /auth/mfa/totp', 'POST /auth/mfa/totp/confirm', 'GET /auth/mfa/factors', 'POST /auth/reauthenticate', 'GET /auth/me']) {
      expect(await authorize(strict, route(aal1, key) as never), key).toMatchObject({ isAuthorized: true });
    }
    for (const key of ['GET /example/hello', 'POST /auth/password/change', 'DELETE /auth/mfa/factors/{id}', 'POST /auth/mfa/recovery-codes']) {
      expect(await authorize(strict, route(aal1, key) as never), key).toEqual({ isAuthorized: false });
      expect(await authorize(strict, route(aal2, key) as never), key).toMatchObject({ isAuthorized: true });
    }
    const rest = { type: 'TOKEN', authorizationToken: `Bearer ${aal1}`, methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/example/hello' };
    await expect(authorize(strict, rest as never)).rejects.toThrow('Unauthorized');
  });

  it('with AUTHORIZER_AAL2_ROUTES refuses aal1 tokens on the listed routes only (attack: a password-only session on a route that asks for a second factor)', async () => {
    const { keys, aal1, aal2 } = await tokens();
    const deps = { keys, settings, clock: () => new Date(), aal2Routes: ['POST /payments', 'DELETE /payments/{id}'] };
    const route = (token: string, routeKey: string) => ({ ...httpApi(`Bearer ${token}`), routeKey });
    expect(await authorize(deps, route(aal1, 'POST /payments') as never)).toEqual({ isAuthorized: false });
    expect(await authorize(deps, route(aal1, 'DELETE /payments/{id}') as never)).toEqual({ isAuthorized: false });
    expect(await authorize(deps, route(aal2, 'POST /payments') as never)).toMatchObject({ isAuthorized: true });
    expect(await authorize(deps, route(aal1, 'GET /example/hello') as never)).toMatchObject({ isAuthorized: true });
    const rest = { type: 'TOKEN', authorizationToken: `Bearer ${aal1}`, methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/DELETE/payments/42' };
    await expect(authorize(deps, rest as never)).rejects.toThrow('Unauthorized');
  });
});
