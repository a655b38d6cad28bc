import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, loadConfigOrDie, loadVerifierConfig, requireEmailSettings } from '../../lib/config';
import { ConfigurationError } from '../../lib/errors';

/** The least a local run needs: a key source (the dev key file). */
const LOCAL = { SIGNING_KEYS_FILE: '.local/signing-keys.json' };

/** A complete production environment, as serverless.yml sets it on a deployed stage. */
const PRODUCTION = {
  AUTH_MODE: 'production',
  ISSUER: 'https://auth.example.com',
  AUDIENCE: 'https://api.example.com',
  SIGNING_KEYS_SECRET_ID: 'auth/prod/keys',
  USERS_TABLE: 'lambda-jwt-auth-prod-users',
  SESSIONS_TABLE: 'lambda-jwt-auth-prod-sessions',
  APP_URL: 'https://app.example.com',
  EMAIL_FROM: 'Example <no-reply@example.com>',
};

const REQUIRED_IN_PRODUCTION = ['ISSUER', 'AUDIENCE', 'SIGNING_KEYS_SECRET_ID', 'USERS_TABLE', 'SESSIONS_TABLE'] as const;

function configError(env: Record<string, string | undefined>): ConfigurationError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as ConfigurationError;
  }
  throw new Error('expected loadConfig to throw a ConfigurationError');
}

describe('loadConfig in local mode', () => {
  it('uses the documented defaults when only a key file is given', () => {
    const config = loadConfig(LOCAL);
    expect(config).toMatchObject({
      mode: 'local',
      issuer: 'http://localhost:3000',
      audience: 'lambda-jwt-auth-local',
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 604_800,
      sessionMaxAgeSeconds: 2_592_000,
      refreshReuseGraceSeconds: 10,
      bcryptCost: 10,
      signingAlg: 'RS256',
      signingKeysFile: '.local/signing-keys.json',
      usersTable: 'lambda-jwt-auth-local-users',
      sessionsTable: 'lambda-jwt-auth-local-sessions',
    });
  });

  it('takes explicit values over the defaults', () => {
    const config = loadConfig({
      ...LOCAL,
      ISSUER: 'http://127.0.0.1:4000',
      AUDIENCE: 'my-api',
      ACCESS_TOKEN_TTL_SECONDS: '300',
      REFRESH_TOKEN_TTL_SECONDS: '3600',
      SESSION_MAX_AGE_SECONDS: '86400',
      REFRESH_REUSE_GRACE_SECONDS: '0',
      BCRYPT_COST: '12',
      SIGNING_ALG: 'ES256',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
    });
    expect(config).toMatchObject({
      issuer: 'http://127.0.0.1:4000',
      audience: 'my-api',
      accessTokenTtlSeconds: 300,
      refreshTokenTtlSeconds: 3600,
      sessionMaxAgeSeconds: 86_400,
      refreshReuseGraceSeconds: 0,
      bcryptCost: 12,
      signingAlg: 'ES256',
      dynamodbEndpoint: 'http://127.0.0.1:8000',
    });
  });

  it("bounds the authorizer's session read: 1 s by default, settable, never past 30 s", () => {
    expect(loadConfig(LOCAL).authorizerSessionReadTimeoutMs).toBe(1000);
    expect(loadConfig({ ...LOCAL, AUTHORIZER_SESSION_READ_TIMEOUT_MS: '15000' }).authorizerSessionReadTimeoutMs).toBe(15_000);
    expect(configError({ ...LOCAL, AUTHORIZER_SESSION_READ_TIMEOUT_MS: '60000' }).message).toMatch(/AUTHORIZER_SESSION_READ_TIMEOUT_MS/);
  });

  it('accepts EdDSA as the signing algorithm', () => {
    expect(loadConfig({ ...LOCAL, SIGNING_ALG: 'EdDSA' }).signingAlg).toBe('EdDSA');
  });

  it('stays local under serverless-offline even though AWS_LAMBDA_FUNCTION_NAME is set', () => {
    const config = loadConfig({ ...LOCAL, AWS_LAMBDA_FUNCTION_NAME: 'lambda-jwt-auth-local-login', IS_OFFLINE: 'true' });
    expect(config.mode).toBe('local');
    expect(config.issuer).toBe('http://localhost:3000');
  });

  it('refuses to start without any key source rather than signing with a made-up key', () => {
    expect(configError({}).message).toMatch(/SIGNING_KEYS_FILE|SIGNING_KEYS_SECRET_ID/);
  });

  it('refuses an AUTH_MODE other than local or production', () => {
    expect(configError({ ...LOCAL, AUTH_MODE: 'prod' }).message).toContain('AUTH_MODE');
  });
});

describe('loadConfig in production mode', () => {
  it('loads a complete production environment', () => {
    const config = loadConfig(PRODUCTION);
    expect(config).toMatchObject({
      mode: 'production',
      issuer: 'https://auth.example.com',
      audience: 'https://api.example.com',
      signingKeysSecretId: 'auth/prod/keys',
      usersTable: 'lambda-jwt-auth-prod-users',
      sessionsTable: 'lambda-jwt-auth-prod-sessions',
    });
  });

  it('names every missing required setting when AUTH_MODE is production', () => {
    const message = configError({ AUTH_MODE: 'production', SIGNING_KEYS_FILE: 'keys.json' }).message;
    for (const name of REQUIRED_IN_PRODUCTION) expect(message).toContain(name);
  });

  it('is production on Lambda (AWS_LAMBDA_FUNCTION_NAME set, IS_OFFLINE not) and then demands every setting', () => {
    const message = configError({ AWS_LAMBDA_FUNCTION_NAME: 'lambda-jwt-auth-prod-login' }).message;
    for (const name of REQUIRED_IN_PRODUCTION) expect(message).toContain(name);
  });

  it('treats a Lambda environment with all settings as production', () => {
    const { AUTH_MODE: _omit, ...rest } = PRODUCTION;
    expect(loadConfig({ ...rest, AWS_LAMBDA_FUNCTION_NAME: 'lambda-jwt-auth-prod-login' }).mode).toBe('production');
  });

  it.each(REQUIRED_IN_PRODUCTION)('refuses to start when only %s is missing, and names it', (name) => {
    const env: Record<string, string | undefined> = { ...PRODUCTION, [name]: undefined };
    const message = configError(env).message;
    expect(message).toContain(name);
    for (const other of REQUIRED_IN_PRODUCTION.filter((n) => n !== name)) expect(message).not.toContain(other);
  });

  it.each(REQUIRED_IN_PRODUCTION)('counts a blank %s as missing', (name) => {
    expect(configError({ ...PRODUCTION, [name]: '   ' }).message).toContain(name);
  });

  it('never falls back to the local issuer, audience or tables', () => {
    const message = configError({ AWS_LAMBDA_FUNCTION_NAME: 'fn', SIGNING_KEYS_SECRET_ID: 'auth/prod/keys' }).message;
    expect(message).toContain('ISSUER');
    expect(message).toContain('AUDIENCE');
    expect(message).toContain('USERS_TABLE');
    expect(message).toContain('SESSIONS_TABLE');
  });

  it('ignores SIGNING_KEYS_FILE and DYNAMODB_ENDPOINT', () => {
    const config = loadConfig({ ...PRODUCTION, SIGNING_KEYS_FILE: '/tmp/dev-keys.json', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' });
    expect(config.signingKeysFile).toBeUndefined();
    expect(config.dynamodbEndpoint).toBeUndefined();
    expect(config.signingKeysSecretId).toBe('auth/prod/keys');
  });

  it('does not accept a key file in place of the secret', () => {
    const env: Record<string, string | undefined> = { ...PRODUCTION, SIGNING_KEYS_SECRET_ID: undefined, SIGNING_KEYS_FILE: 'keys.json' };
    expect(configError(env).message).toContain('SIGNING_KEYS_SECRET_ID');
  });
});

describe('loadConfig number and algorithm checks', () => {
  it.each([
    ['ACCESS_TOKEN_TTL_SECONDS', 'fifteen'],
    ['ACCESS_TOKEN_TTL_SECONDS', '900s'],
    ['REFRESH_TOKEN_TTL_SECONDS', '1e6'],
    ['SESSION_MAX_AGE_SECONDS', '2592000.5'],
    ['REFRESH_REUSE_GRACE_SECONDS', '-1'],
    ['BCRYPT_COST', '0x0a'],
    ['BCRYPT_COST', 'ten'],
  ])('rejects the non-numeric %s=%s', (name, value) => {
    expect(configError({ ...LOCAL, [name]: value }).message).toContain(name);
  });

  it.each([
    ['ACCESS_TOKEN_TTL_SECONDS', '59'],
    ['ACCESS_TOKEN_TTL_SECONDS', '86401'],
    ['REFRESH_TOKEN_TTL_SECONDS', '0'],
    ['SESSION_MAX_AGE_SECONDS', '31536001'],
    ['REFRESH_REUSE_GRACE_SECONDS', '301'],
    ['BCRYPT_COST', '3'],
    ['BCRYPT_COST', '16'],
    ['MAX_BODY_BYTES', '100'],
  ])('rejects the out-of-range %s=%s', (name, value) => {
    expect(configError({ ...LOCAL, [name]: value }).message).toContain(name);
  });

  it.each([
    ['BCRYPT_COST', '4', 'bcryptCost', 4],
    ['BCRYPT_COST', '15', 'bcryptCost', 15],
    ['ACCESS_TOKEN_TTL_SECONDS', '60', 'accessTokenTtlSeconds', 60],
    ['REFRESH_REUSE_GRACE_SECONDS', '300', 'refreshReuseGraceSeconds', 300],
  ] as const)('accepts the boundary value %s=%s', (name, value, key, expected) => {
    expect(loadConfig({ ...LOCAL, [name]: value })[key]).toBe(expected);
  });

  it.each(['HS256', 'none', 'RS512', 'rs256'])('rejects the signing algorithm %s', (alg) => {
    expect(configError({ ...LOCAL, SIGNING_ALG: alg }).message).toContain('SIGNING_ALG');
  });
});

describe('ISSUER', () => {
  it('accepts an https URL with or without a path in production, and http locally', () => {
    for (const issuer of ['https://auth.example.com', 'https://auth.example.com:8443/tenant-a', 'https://[2001:db8::1]/auth']) {
      expect(loadConfig({ ...PRODUCTION, ISSUER: issuer }).issuer).toBe(issuer);
    }
    for (const issuer of ['http://localhost:3000', 'http://127.0.0.1:4000/dev', 'https://auth.localhost']) {
      expect(loadConfig({ ...LOCAL, ISSUER: issuer }).issuer).toBe(issuer);
    }
  });

  it.each([
    ['plain http in production', 'http://auth.example.com'],
    ['no scheme', 'auth.example.com'],
    ['a scheme other than https', 'ftp://auth.example.com'],
    ['a scheme a parser would rewrite (upper case)', 'HTTPS://auth.example.com'],
    ['a scheme without slashes', 'https:auth.example.com'],
    ['no host', 'https:///path'],
    ['a query', 'https://auth.example.com/?tenant=a'],
    ['an empty query', 'https://auth.example.com?'],
    ['a fragment', 'https://auth.example.com/#top'],
    ['credentials', 'https://user:secret@auth.example.com'],
    ['a space in the host', 'https://auth example.com'],
    ['a bad port', 'https://auth.example.com:99999'],
  ])('refuses an issuer with %s, naming the setting', (_, issuer) => {
    expect(configError({ ...PRODUCTION, ISSUER: issuer }).message).toMatch(/^ISSUER must be an https URL without query, fragment or credentials, got "/);
    expect(() => loadVerifierConfig({ ...PRODUCTION, ISSUER: issuer })).toThrow(/^ISSUER must be an https URL/);
  });

  it('refuses locally what is not an http(s) URL without query, fragment or credentials', () => {
    for (const issuer of ['localhost:3000', 'http://localhost:3000/?a=1', 'http://me@localhost:3000', 'ws://localhost:3000']) {
      expect(configError({ ...LOCAL, ISSUER: issuer }).message).toMatch(/^ISSUER must be an http\(s\) URL without query, fragment or credentials/);
    }
  });
});

describe('loadConfigOrDie', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('returns the configuration when it is valid, without logging', () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(loadConfigOrDie(LOCAL).issuer).toBe('http://localhost:3000');
    expect(errors).not.toHaveBeenCalled();
  });

  it('logs exactly one JSON error line naming the problem and rethrows the ConfigurationError', () => {
    vi.stubEnv('LOG_LEVEL', 'info');
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const info = vi.spyOn(console, 'log').mockImplementation(() => {});
    let thrown: unknown;
    try {
      loadConfigOrDie({ AUTH_MODE: 'production' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(info).not.toHaveBeenCalled();
    const args = errors.mock.calls[0]!;
    expect(args).toHaveLength(1);
    const line = String(args[0]);
    expect(line).not.toContain('\n');
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry.level).toBe('error');
    expect(typeof entry.message).toBe('string');
    expect(String(entry.reason)).toContain('ISSUER');
    expect(String(entry.reason)).toBe((thrown as Error).message);
  });
});

describe('email settings', () => {
  it('default locally to the demo app, the emulator on 8005, 24 h / 30 min tokens and 3 emails per 15 minutes', () => {
    expect(loadConfig(LOCAL)).toMatchObject({
      appUrl: 'http://localhost:5173',
      sesEndpoint: 'http://127.0.0.1:8005',
      emailVerificationTtlSeconds: 86_400,
      passwordResetTtlSeconds: 1800,
      emailMaxPerAddress: 3,
      emailLimitWindowSeconds: 900,
      requireVerifiedEmail: false,
    });
    expect(loadConfig({ ...LOCAL, SES_PORT: '9123' }).sesEndpoint).toBe('http://127.0.0.1:9123');
  });

  it('never point production at an emulator, and demand an https APP_URL without query', () => {
    expect(loadConfig({ ...PRODUCTION, SES_ENDPOINT: 'http://127.0.0.1:8005' }).sesEndpoint).toBeUndefined();
    expect(configError({ ...PRODUCTION, APP_URL: 'http://app.example.com' }).message).toMatch(/APP_URL must use https/);
    expect(configError({ ...LOCAL, APP_URL: 'https://app.example.com/?next=evil' }).message).toMatch(/APP_URL must not carry/);
    expect(configError({ ...LOCAL, APP_URL: 'not a url' }).message).toMatch(/APP_URL must be an absolute URL/);
    expect(loadConfig({ ...PRODUCTION, APP_URL: 'https://app.example.com/auth/' }).appUrl).toBe('https://app.example.com/auth');
  });

  it('are required in production by the functions that send or consume links', () => {
    const { APP_URL: _a, EMAIL_FROM: _e, ...bare } = PRODUCTION;
    const config = loadConfig(bare);
    expect(() => requireEmailSettings(config)).toThrow(/missing required settings in production: APP_URL, EMAIL_FROM/);
    expect(requireEmailSettings(loadConfig(PRODUCTION)).appUrl).toBe('https://app.example.com');
  });

  it('refuse a malformed EMAIL_FROM and a REQUIRE_VERIFIED_EMAIL that is not a boolean', () => {
    expect(configError({ ...LOCAL, EMAIL_FROM: 'nobody' }).message).toMatch(/EMAIL_FROM/);
    expect(configError({ ...LOCAL, REQUIRE_VERIFIED_EMAIL: 'yes please' }).message).toMatch(/REQUIRE_VERIFIED_EMAIL/);
    expect(loadConfig({ ...LOCAL, REQUIRE_VERIFIED_EMAIL: 'true' }).requireVerifiedEmail).toBe(true);
  });
});

describe('per-function configuration', () => {
  const { USERS_TABLE: _users, SESSIONS_TABLE: _sessions, SIGNING_KEYS_SECRET_ID: _keys, ...verifierEnv } = PRODUCTION;

  it("starts the authorizer's parts in production without USERS_TABLE or the private key secret", () => {
    const config = loadConfig({ ...verifierEnv, SIGNING_PUBLIC_KEYS_SECRET_ID: 'auth/prod/public', SESSIONS_TABLE: 'sessions' }, ['verificationKeys', 'sessionsTable']);
    expect(config).toMatchObject({ mode: 'production', sessionsTable: 'sessions', signingPublicKeysSecretId: 'auth/prod/public' });
    // A table the function did not ask for is not silently empty: reading it is refused.
    expect(() => config.usersTable).toThrow(/USERS_TABLE is not configured for this function/);
  });

  it("refuses login's parts without USERS_TABLE, naming it", () => {
    const error = (() => {
      try {
        loadConfig({ ...PRODUCTION, USERS_TABLE: '' }, ['signingKeys', 'usersTable', 'sessionsTable']);
      } catch (err) {
        return err as Error;
      }
      throw new Error('expected a ConfigurationError');
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('USERS_TABLE');
    expect(error.message).not.toContain('SESSIONS_TABLE');
  });

  it('lets a verifier use the full key set secret when there is no public one', () => {
    expect(loadConfig({ ...verifierEnv, SIGNING_KEYS_SECRET_ID: 'auth/prod/keys' }, ['verificationKeys']).signingKeysSecretId).toBe('auth/prod/keys');
    expect(() => loadConfig(verifierEnv, ['verificationKeys'])).toThrow(/SIGNING_PUBLIC_KEYS_SECRET_ID or SIGNING_KEYS_SECRET_ID/);
  });

  it('keeps every table readable where a function asked for none but the setting is there', () => {
    expect(loadConfig(PRODUCTION, []).usersTable).toBe(PRODUCTION.USERS_TABLE);
  });
});

describe("the authorizer's configuration (loadVerifierConfig)", () => {
  const { USERS_TABLE: _users, SESSIONS_TABLE: _sessions, SIGNING_KEYS_SECRET_ID: _keys, ...verifierEnv } = PRODUCTION;

  it('reads the verifier settings exactly as loadConfig does', () => {
    const env = { ...LOCAL, ACCESS_TOKEN_TTL_SECONDS: '600', CLOCK_SKEW_SECONDS: '3', REQUIRE_MFA: 'true', AUTHORIZER_AAL2_ROUTES: 'POST /payments' };
    const full = loadConfig(env);
    const verifier = loadVerifierConfig(env);
    for (const [key, value] of Object.entries(verifier)) expect([key, value]).toEqual([key, full[key as keyof typeof full]]);
  });

  it('needs SESSIONS_TABLE in production only while it checks sessions', () => {
    const env = { ...verifierEnv, SIGNING_PUBLIC_KEYS_SECRET_ID: 'auth/prod/public' };
    expect(() => loadVerifierConfig(env)).toThrow(/missing required settings in production: SESSIONS_TABLE/);
    const stateless = loadVerifierConfig({ ...env, AUTHORIZER_SESSION_CHECK: 'off' });
    expect(stateless.authorizerSessionCheck).toBe('off');
    expect(() => stateless.sessionsTable).toThrow(/SESSIONS_TABLE is not configured for this function/);
    expect(loadVerifierConfig({ ...env, SESSIONS_TABLE: 'sessions' }).sessionsTable).toBe('sessions');
  });

  it('still refuses a bad verifier setting, and ignores settings a verifier never reads', () => {
    const env = { ...verifierEnv, SIGNING_PUBLIC_KEYS_SECRET_ID: 'auth/prod/public', SESSIONS_TABLE: 'sessions' };
    expect(() => loadVerifierConfig({ ...env, ISSUER: 'http://auth.example.com' })).toThrow(/ISSUER must be an https URL/);
    expect(() => loadVerifierConfig({ ...env, AUTHORIZER_AAL2_ROUTES: 'payments' })).toThrow(/AUTHORIZER_AAL2_ROUTES/);
    expect(() => loadVerifierConfig({ ...env, CLOCK_SKEW_SECONDS: '60' })).toThrow(/CLOCK_SKEW_SECONDS/);
    expect(() => loadVerifierConfig({ ...env, AUDIENCE: '' })).toThrow(/AUDIENCE/);
    // Sign-in's settings are the sign-in functions' to check: a typo there does not take down every protected API.
    expect(loadVerifierConfig({ ...env, BCRYPT_COST: '99', REFRESH_COOKIE_SAME_SITE: 'sometimes' }).issuer).toBe(env.ISSUER);
  });
});

