/**
 * The settings list (infra/settings.js) is the whole of what lib/config.ts reads: a setting read
 * but not listed would be missing from the deployed environment (infra/environment.js), so no
 * stage parameter could set it. The packaging test checks the other half: every listed setting
 * reaches every function of a packaged stack from its parameter.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from '../../lib/config';
import { defaultOf, localDefaultOf, paramName, STACK_SET } from '../../infra/settings.js';
import { tableNames, TTL_ATTRIBUTE, SESSIONS_BY_OWNER_INDEX, EVENTS_BY_USER_INDEX, SERVICE } from '../../infra/tables.js';
import { infraValuesModule } from '../../esbuild.config.mjs';

/** Variables loadConfig reads that describe where it runs, not how it is configured. */
const RUNTIME = ['AWS_LAMBDA_FUNCTION_NAME', 'IS_OFFLINE'];

/** Runs loadConfig on `env` and returns every variable name it looked at. */
function namesRead(env: Record<string, string>): Set<string> {
  const read = new Set<string>();
  const recording = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  try {
    loadConfig(recording);
  } catch {
    // A refusal still shows what was read up to it; the cases below are valid ones.
  }
  return read;
}

const PRODUCTION = {
  AUTH_MODE: 'production',
  ISSUER: 'https://auth.example.com',
  AUDIENCE: 'https://api.example.com',
  SIGNING_KEYS_SECRET_ID: 'keys',
  USERS_TABLE: 'users',
  SESSIONS_TABLE: 'sessions',
  APP_URL: 'https://app.example.com',
  EMAIL_FROM: 'no-reply@example.com',
};

describe('the settings list', () => {
  it('holds every variable loadConfig reads, locally and in production', () => {
    const read = new Set([...namesRead({ SIGNING_KEYS_FILE: 'keys.json' }), ...namesRead(PRODUCTION), ...namesRead({ AWS_LAMBDA_FUNCTION_NAME: 'fn', ...PRODUCTION })]);
    const listed = new Set(SETTINGS.map((s) => s.name));
    expect([...read].filter((name) => !listed.has(name) && !RUNTIME.includes(name)).sort()).toEqual([]);
    // And lists nothing loadConfig ignores.
    expect([...listed].filter((name) => !read.has(name)).sort()).toEqual([]);
    expect(read.size).toBeGreaterThanOrEqual(45);
  });

  it('gives each setting the stage parameter named after it, except the tables the stack creates', () => {
    for (const setting of SETTINGS) {
      if (['USERS_TABLE', 'SESSIONS_TABLE'].includes(setting.name)) expect(setting.param, setting.name).toBeNull();
      else expect(setting.param, setting.name).toBe(paramName(setting.name));
    }
    expect(paramName('MAX_SESSIONS_PER_USER')).toBe('maxSessionsPerUser');
    expect(paramName('AUTHORIZER_SESSION_READ_TIMEOUT_MS')).toBe('authorizerSessionReadTimeoutMs');
  });

  it('is where loadConfig takes its defaults from: blank settings come out as the listed defaults', () => {
    const blank = Object.fromEntries(SETTINGS.map((s) => [s.name, '']));
    const config = loadConfig({ ...blank, SIGNING_KEYS_FILE: 'keys.json' }) as unknown as Record<string, unknown>;
    const field: Record<string, string> = {
      ACCESS_TOKEN_TTL_SECONDS: 'accessTokenTtlSeconds',
      MAX_SESSIONS_PER_USER: 'maxSessionsPerUser',
      LOGIN_BACKOFF_MAX_SECONDS: 'loginBackoffMaxSeconds',
      EMAIL_MAX_PER_ADDRESS: 'emailMaxPerAddress',
      MAX_BODY_BYTES: 'maxBodyBytes',
      CLIENT_ID: 'clientId',
      SIGNING_ALG: 'signingAlg',
      REFRESH_COOKIE_SAME_SITE: 'refreshCookieSameSite',
      AUTHORIZER_SESSION_CHECK: 'authorizerSessionCheck',
      REQUIRE_VERIFIED_EMAIL: 'requireVerifiedEmail',
    };
    for (const [name, key] of Object.entries(field)) {
      expect(config[key], name).toBe(SETTINGS.find((s) => s.name === name)!.default);
    }
  });
});

/** The module a function bundle gets in place of an infra/ CommonJS file, loaded as it would run. */
async function valuesModule(which: 'settings' | 'tables'): Promise<Record<string, unknown>> {
  const source = infraValuesModule(which);
  return (await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)) as Record<string, unknown>;
}

describe('the values the function bundles carry in place of infra/settings.js and infra/tables.js', () => {
  it('give every setting the default, local default and parameter of the list, and refuse a name the list lacks', async () => {
    const values = await valuesModule('settings');
    const bundled = values as { SETTINGS: unknown[]; STACK_SET: unknown; defaultOf: (n: string) => unknown; localDefaultOf: (n: string) => unknown };
    expect(bundled.SETTINGS).toEqual(SETTINGS.map((s) => ({ ...s })));
    expect(bundled.STACK_SET).toEqual(STACK_SET);
    for (const setting of SETTINGS) {
      if (setting.default !== undefined) expect(bundled.defaultOf(setting.name), setting.name).toBe(defaultOf(setting.name));
      else expect(() => bundled.defaultOf(setting.name), setting.name).toThrow(/no default/);
      if (setting.local !== undefined) expect(bundled.localDefaultOf(setting.name), setting.name).toBe(localDefaultOf(setting.name));
      else expect(() => bundled.localDefaultOf(setting.name), setting.name).toThrow(/no local default/);
    }
    expect(() => bundled.defaultOf('NOT_A_SETTING')).toThrow(/not in infra\/settings.js/);
  });

  it('name the tables and indexes as infra/tables.js does, for any stage', async () => {
    const values = await valuesModule('tables');
    expect(values).toMatchObject({ SERVICE, TTL_ATTRIBUTE, SESSIONS_BY_OWNER_INDEX, EVENTS_BY_USER_INDEX });
    const names = values.tableNames as (stage: string) => unknown;
    for (const stage of ['local', 'prod', 'a-b_c']) expect(names(stage)).toEqual(tableNames(stage));
  });
});

