import { defaultOf, localDefaultOf, SETTINGS } from '../infra/settings.js';
import { tableNames } from '../infra/tables.js';
import { ConfigurationError } from './errors';
import { log } from './log';

/**
 * Every setting loadConfig reads: its variable, the stage parameter that sets it on a deployed
 * stage, and its default. Declared in infra/settings.js (plain JavaScript, so serverless.yml can
 * read it at package time, infra/environment.js) and used here for every default.
 */
export { SETTINGS };

export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';
export const SIGNING_ALGS: readonly SigningAlg[] = ['RS256', 'ES256', 'EdDSA'];

export interface Config {
  /** `local` allows documented defaults; `production` demands every required setting. */
  mode: 'local' | 'production';
  issuer: string;
  audience: string;
  /** `client_id` claim of access tokens (RFC 9068), and the one client_id the OAuth endpoints accept. */
  clientId: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  sessionMaxAgeSeconds: number;
  refreshReuseGraceSeconds: number;
  bcryptCost: number;
  signingAlg: SigningAlg;
  signingKeysSecretId: string | undefined;
  /** Optional: a secret with only public keys, read by the authorizer and JWKS instead. */
  signingPublicKeysSecretId: string | undefined;
  /** Local only: path of the dev key set file written by `npm start`. */
  signingKeysFile: string | undefined;
  usersTable: string;
  sessionsTable: string;
  /** Local only: DynamoDB Local endpoint. */
  dynamodbEndpoint: string | undefined;
  loginMaxFailures: number;
  loginBackoffBaseSeconds: number;
  loginBackoffMaxSeconds: number;
  /** Failed password checks per account (all sources together) within the window below. */
  loginAccountMaxFailures: number;
  loginAccountWindowSeconds: number;
  /** Days a security event is kept (GET /auth/events), then expired by TTL. */
  securityEventsTtlDays: number;
  /** Days a device that signed in keeps its own allowance of password guesses (device tokens). */
  loginDeviceTtlDays: number;
  /** Lower-case name of a header set by a trusted proxy (e.g. CloudFront) carrying the client IP. */
  clientIpHeader: string | undefined;
  /** Seconds an access token is still accepted past `exp` (and `iat` in the future); at most 5. */
  clockSkewSeconds: number;
  maxBodyBytes: number;
  /** Active sessions one user may hold; opening one more revokes the oldest (see lib/sessions.ts). */
  maxSessionsPerUser: number;
  /** Per source IP and minute; 0 disables. */
  loginIpLimitPerMinute: number;
  registerIpLimitPerMinute: number;
  /** `dynamodb`: the authorizer refuses tokens of revoked sessions; `off`: stateless (bound = token lifetime). */
  authorizerSessionCheck: 'dynamodb' | 'off';
  /** How long the authorizer trusts a "live" session state it read, per container. */
  authorizerLiveCacheSeconds: number;
  /** While DynamoDB cannot be read, a "live" seen at most this long ago is still honoured. */
  authorizerStaleSeconds: number;
  /**
   * How long one session read may take before it counts as failed (then the stale window or a
   * deny applies). Production keeps it well inside API Gateway's 10 s authorizer limit; the tests
   * raise it so a loaded machine cannot turn a slow DynamoDB Local answer into a refusal.
   */
  authorizerSessionReadTimeoutMs: number;
  /** Browser origins allowed to use cookie mode; the same list as the HTTP API's CORS origins. */
  allowedOrigins: string[];
  /** SameSite attribute of the refresh cookie. */
  refreshCookieSameSite: RefreshCookieSameSite;
  /** Base URL of the web app whose pages open the links in emails (never taken from a request). */
  appUrl: string;
  /** Sender of verification and reset emails: an SES-verified identity in production. */
  emailFrom: string;
  /** Local only: the SES v2 emulator's endpoint; production talks to SES itself. */
  sesEndpoint: string | undefined;
  emailVerificationTtlSeconds: number;
  passwordResetTtlSeconds: number;
  /** Lifetime of an email-change confirmation link. */
  emailChangeTtlSeconds: number;
  /** Emails of one kind that may reach one mailbox (`+tag` variants count together) within `emailLimitWindowSeconds`. */
  emailMaxPerAddress: number;
  emailLimitWindowSeconds: number;
  /** Email-sending requests (forgot, resend) per source IP within the same window; 0 disables. */
  emailIpLimitPerWindow: number;
  /** The shortest time a forgot-password request takes, so answers do not reveal accounts. */
  forgotMinResponseMs: number;
  /** When true the authorizer denies access tokens whose email is not verified. */
  requireVerifiedEmail: boolean;
  /** Sensitive operations need an `auth_time` at most this old (RFC 9470 step-up). */
  stepUpMaxAgeSeconds: number;
  /** When true the authorizer lets sessions without a second factor (`acr` not `aal2`) reach only the routes that enrol one. */
  requireMfa: boolean;
  /** AUTHORIZER_AAL2_ROUTES: "METHOD /path" routes (`{name}` matches one segment) the authorizer opens only to `aal2` tokens. */
  authorizerAal2Routes: string[];
  /** OAUTH_PROVIDERS: the providers of federated sign-in (lib/federation/providers.ts), by name. */
  oauthProviders: OAuthProviderConfig[];
  /** Secrets Manager secret of the providers' client secrets ({"<name>": "<secret>"}). */
  oauthClientSecretsSecretId: string | undefined;
  /** Local only: the same as a JSON file (written by `npm start` for the local provider). */
  oauthClientSecretsFile: string | undefined;
}

/** One provider of federated sign-in: any OpenID Connect issuer, or GitHub (plain OAuth 2.0). */
export interface OAuthProviderConfig {
  /** The `{provider}` of the routes: lower-case letters, digits and dashes. */
  name: string;
  type: 'oidc' | 'github';
  /** OpenID Connect issuer (discovery at `<issuer>/.well-known/openid-configuration`). */
  issuer: string | undefined;
  clientId: string;
  /** Scopes asked for (`openid email profile` for OpenID Connect, `read:user user:email` for GitHub). */
  scopes: string;
}

export type RefreshCookieSameSite = 'Strict' | 'Lax' | 'None';
const SAME_SITE_VALUES: readonly RefreshCookieSameSite[] = ['Strict', 'Lax', 'None'];

type Env = Record<string, string | undefined>;

/**
 * Seconds an access token is still accepted past `exp` (and its `iat`/`nbf` may lie in the future)
 * when CLOCK_SKEW_SECONDS is not set: enough for clocks kept by NTP, short enough that an expired
 * token is dead.
 */
export const DEFAULT_CLOCK_SKEW_SECONDS = Number(defaultOf('CLOCK_SKEW_SECONDS'));
/** The contract's ceiling (docs/reference/configuration.md, CLOCK_SKEW_SECONDS): CLOCK_SKEW_SECONDS cannot be set above it, verifiers never allow more. */
export const MAX_CLOCK_SKEW_SECONDS = 5;

/** `client_id` of the tokens this service issues to its own clients, unless CLIENT_ID names another. */
export const DEFAULT_CLIENT_ID = String(defaultOf('CLIENT_ID'));

/** Defaults for local work. Production must set the ones listed in REQUIRED_IN_PRODUCTION. */
export const LOCAL_DEFAULTS = {
  ISSUER: localDefaultOf('ISSUER'),
  AUDIENCE: localDefaultOf('AUDIENCE'),
  // The names serverless.yml gives the tables on the `local` stage.
  USERS_TABLE: tableNames('local').users,
  SESSIONS_TABLE: tableNames('local').sessions,
  CORS_ALLOWED_ORIGINS: localDefaultOf('CORS_ALLOWED_ORIGINS'),
  APP_URL: localDefaultOf('APP_URL'),
  EMAIL_FROM: localDefaultOf('EMAIL_FROM'),
} as const;

/** Port of the local SES v2 emulator (`npm start` and the tests run one). */
export const DEFAULT_SES_PORT = Number(defaultOf('SES_PORT'));

/** Required in production by every function. */
const REQUIRED_IN_PRODUCTION = ['ISSUER', 'AUDIENCE'] as const;

/**
 * Parts of the configuration only some functions need. Each function asks for its parts (the
 * containers in lib/container/ do, as they build what needs them), and in production only the
 * settings of those parts are required: the authorizer starts without USERS_TABLE, the JWKS
 * function without any table. A table setting a function did not ask for is not readable in it.
 */
export type ConfigPart = 'usersTable' | 'sessionsTable' | 'signingKeys' | 'verificationKeys';
export const ALL_CONFIG_PARTS: readonly ConfigPart[] = ['usersTable', 'sessionsTable', 'signingKeys', 'verificationKeys'];

/** The settings a part needs in production (any one of a list). */
const PART_SETTINGS: Record<ConfigPart, readonly string[]> = {
  usersTable: ['USERS_TABLE'],
  sessionsTable: ['SESSIONS_TABLE'],
  signingKeys: ['SIGNING_KEYS_SECRET_ID'],
  // Verifiers read the public key set when there is one, else the full one.
  verificationKeys: ['SIGNING_PUBLIC_KEYS_SECRET_ID', 'SIGNING_KEYS_SECRET_ID'],
};

function detectMode(env: Env): 'local' | 'production' {
  const explicit = env.AUTH_MODE?.trim();
  if (explicit === 'local' || explicit === 'production') return explicit;
  if (explicit) throw new ConfigurationError(`AUTH_MODE must be "local" or "production", got "${explicit}"`);
  // On Lambda (and not under serverless-offline) we are in production unless told otherwise.
  const onLambda = Boolean(env.AWS_LAMBDA_FUNCTION_NAME) && env.IS_OFFLINE !== 'true';
  return onLambda ? 'production' : 'local';
}

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** A text setting, or the list's default when unset or blank. */
function textOrDefault(env: Env, name: string): string {
  return text(env, name) ?? String(defaultOf(name));
}

/** A comma-separated list of "METHOD /path" routes; anything else stops the cold start. */
function routeList(env: Env, name: string): string[] {
  const raw = text(env, name);
  // Unset, the usual case: no list to split, and no pattern for the authorizer's cold start to compile.
  if (raw === undefined) return [];
  const routes = raw.split(',').map((r) => r.trim().replace(/\s+/, ' ')).filter(Boolean);
  for (const route of routes) {
    if (!/^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) \/\S*$/.test(route)) {
      throw new ConfigurationError(`${name} takes "METHOD /path" routes separated by commas, got "${route}"`);
    }
  }
  return routes;
}

function flag(env: Env, name: string): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined) return defaultOf(name) === true;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigurationError(`${name} must be true or false, got "${raw}"`);
}

/** An absolute http(s) URL without query or fragment; a trailing slash is dropped. */
function baseUrl(name: string, raw: string, mode: 'local' | 'production'): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigurationError(`${name} must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && mode === 'local')) {
    throw new ConfigurationError(`${name} must use https${mode === 'local' ? ' or http' : ''}, got "${raw}"`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigurationError(`${name} must not carry a query, fragment or credentials, got "${raw}"`);
  }
  return url.href.replace(/\/+$/, '');
}

function sesEndpoint(env: Env): string {
  const explicit = text(env, 'SES_ENDPOINT');
  if (explicit) return explicit;
  return `http://127.0.0.1:${integer(env, 'SES_PORT', 1, 65_535)}`;
}

/** A whole number within [min, max]; blank or unset takes the list's default (infra/settings.js). */
function integer(env: Env, name: string, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return Number(defaultOf(name));
  if (!/^\d+$/.test(raw)) throw new ConfigurationError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigurationError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function sessionCheckMode(env: Env): 'dynamodb' | 'off' {
  const value = textOrDefault(env, 'AUTHORIZER_SESSION_CHECK');
  if (value !== 'dynamodb' && value !== 'off') {
    throw new ConfigurationError(`AUTHORIZER_SESSION_CHECK must be "dynamodb" or "off", got "${value}"`);
  }
  return value;
}

function headerName(env: Env, name: string): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(raw)) throw new ConfigurationError(`${name} must be an HTTP header name, got "${raw}"`);
  return raw.toLowerCase();
}

/**
 * OAUTH_PROVIDERS: a JSON list of providers. An OpenID Connect issuer must be https in production
 * (the provider's keys and tokens come from it); names are unique, since they are route segments.
 */
function oauthProviders(env: Env, mode: 'local' | 'production'): OAuthProviderConfig[] {
  const raw = text(env, 'OAUTH_PROVIDERS');
  if (raw === undefined) return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new ConfigurationError('OAUTH_PROVIDERS must be a JSON list of {name, issuer, clientId, scopes?} objects');
  }
  if (!Array.isArray(list)) throw new ConfigurationError('OAUTH_PROVIDERS must be a JSON list of {name, issuer, clientId, scopes?} objects');
  const seen = new Set<string>();
  return list.map((entry: Record<string, unknown>) => {
    const name = typeof entry?.name === 'string' ? entry.name : '';
    if (!/^[a-z0-9-]{1,32}$/.test(name)) throw new ConfigurationError(`OAUTH_PROVIDERS: a provider name is lower-case letters, digits and dashes, got "${name}"`);
    if (seen.has(name)) throw new ConfigurationError(`OAUTH_PROVIDERS names "${name}" twice`);
    seen.add(name);
    const type = entry.type === undefined ? 'oidc' : entry.type;
    if (type !== 'oidc' && type !== 'github') throw new ConfigurationError(`OAUTH_PROVIDERS: ${name}'s type must be "oidc" or "github"`);
    if (typeof entry.clientId !== 'string' || !entry.clientId) throw new ConfigurationError(`OAUTH_PROVIDERS: ${name} needs a clientId`);
    let issuer: string | undefined;
    if (type === 'oidc') {
      if (typeof entry.issuer !== 'string') throw new ConfigurationError(`OAUTH_PROVIDERS: ${name} needs an issuer`);
      let url: URL;
      try {
        url = new URL(entry.issuer);
      } catch {
        throw new ConfigurationError(`OAUTH_PROVIDERS: ${name}'s issuer must be an absolute URL, got "${entry.issuer}"`);
      }
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && mode === 'local')) {
        throw new ConfigurationError(`OAUTH_PROVIDERS: ${name}'s issuer must use https, got "${entry.issuer}"`);
      }
      issuer = entry.issuer;
    }
    const scopes = typeof entry.scopes === 'string' && entry.scopes.trim() ? entry.scopes.trim() : type === 'github' ? 'read:user user:email' : 'openid email profile';
    if (type === 'oidc' && !scopes.split(/\s+/).includes('openid')) throw new ConfigurationError(`OAUTH_PROVIDERS: ${name}'s scopes must include openid`);
    return { name, type, issuer, clientId: entry.clientId, scopes };
  });
}

/**
 * The issuer is also where verifiers fetch the metadata and keys (`<issuer>/.well-known/...`), so
 * it must be an absolute URL without query, fragment or credentials; https in production, as API
 * Gateway's JWT authorizer and OAuth clients require. Tokens carry it verbatim in `iss`, which is
 * compared as a string, so the scheme must be written as `https://` (`http://` locally), not in a
 * form a URL parser would rewrite. Checked with string tests plus `URL.canParse` rather than a
 * `URL` object: it runs in every cold start of the authorizer, and the `URL` object cost that
 * start about 0.1 ms (bench/README.md, sixth round).
 */
function checkIssuer(issuer: string, mode: 'local' | 'production'): void {
  const scheme = issuer.startsWith('https://') ? 'https://' : mode === 'local' && issuer.startsWith('http://') ? 'http://' : '';
  const pathAt = issuer.indexOf('/', scheme.length);
  const authority = issuer.slice(scheme.length, pathAt < 0 ? undefined : pathAt);
  if (!scheme || !authority || authority.includes('@') || issuer.includes('?') || issuer.includes('#') || !URL.canParse(issuer)) {
    throw new ConfigurationError(
      `ISSUER must be an ${mode === 'production' ? 'https' : 'http(s)'} URL without query, fragment or credentials, got "${issuer}"`,
    );
  }
}

/** What a token verifier (the authorizer) reads: the access-token rules, its keys, its session check and route rules. */
export type VerifierConfig = Pick<
  Config,
  | 'mode' | 'issuer' | 'audience' | 'clientId' | 'accessTokenTtlSeconds' | 'clockSkewSeconds' | 'signingAlg'
  | 'signingKeysSecretId' | 'signingPublicKeysSecretId' | 'signingKeysFile' | 'sessionsTable' | 'dynamodbEndpoint'
  | 'authorizerSessionCheck' | 'authorizerLiveCacheSeconds' | 'authorizerStaleSeconds' | 'authorizerSessionReadTimeoutMs'
  | 'requireVerifiedEmail' | 'requireMfa' | 'authorizerAal2Routes'
>;

/** In production, the settings every function and the asked-for parts need; throws naming all that are missing. */
function requireInProduction(env: Env, mode: 'local' | 'production', parts: readonly ConfigPart[]): void {
  if (mode !== 'production') return;
  const missing: string[] = REQUIRED_IN_PRODUCTION.filter((name) => text(env, name) === undefined);
  for (const part of parts) {
    const names = PART_SETTINGS[part];
    if (names.every((name) => text(env, name) === undefined) && !missing.includes(names.join(' or '))) missing.push(names.join(' or '));
  }
  if (missing.length > 0) {
    throw new ConfigurationError(`missing required settings in production: ${missing.join(', ')}`);
  }
}

/** The verifier's settings, read and range-checked (shared by {@link loadConfig} and {@link loadVerifierConfig}). */
function verifierSettings(env: Env, mode: 'local' | 'production'): VerifierConfig {
  const alg = textOrDefault(env, 'SIGNING_ALG');
  if (!SIGNING_ALGS.includes(alg as SigningAlg)) {
    throw new ConfigurationError(`SIGNING_ALG must be one of ${SIGNING_ALGS.join(', ')}, got "${alg}"`);
  }
  const pick = (name: 'ISSUER' | 'AUDIENCE' | 'SESSIONS_TABLE'): string => text(env, name) ?? LOCAL_DEFAULTS[name];
  const config: VerifierConfig = {
    mode,
    issuer: pick('ISSUER'),
    audience: pick('AUDIENCE'),
    clientId: textOrDefault(env, 'CLIENT_ID'),
    accessTokenTtlSeconds: integer(env, 'ACCESS_TOKEN_TTL_SECONDS', 60, 86_400),
    clockSkewSeconds: integer(env, 'CLOCK_SKEW_SECONDS', 0, MAX_CLOCK_SKEW_SECONDS),
    signingAlg: alg as SigningAlg,
    signingKeysSecretId: text(env, 'SIGNING_KEYS_SECRET_ID'),
    signingPublicKeysSecretId: text(env, 'SIGNING_PUBLIC_KEYS_SECRET_ID'),
    signingKeysFile: mode === 'local' ? text(env, 'SIGNING_KEYS_FILE') : undefined,
    sessionsTable: pick('SESSIONS_TABLE'),
    dynamodbEndpoint: mode === 'local' ? text(env, 'DYNAMODB_ENDPOINT') : undefined,
    authorizerSessionCheck: sessionCheckMode(env),
    authorizerLiveCacheSeconds: integer(env, 'AUTHORIZER_LIVE_CACHE_SECONDS', 0, 300),
    authorizerStaleSeconds: integer(env, 'AUTHORIZER_STALE_SECONDS', 0, 300),
    authorizerSessionReadTimeoutMs: integer(env, 'AUTHORIZER_SESSION_READ_TIMEOUT_MS', 50, 30_000),
    requireVerifiedEmail: flag(env, 'REQUIRE_VERIFIED_EMAIL'),
    requireMfa: flag(env, 'REQUIRE_MFA'),
    authorizerAal2Routes: routeList(env, 'AUTHORIZER_AAL2_ROUTES'),
  };
  checkIssuer(config.issuer, mode);
  if (mode === 'local' && !config.signingKeysFile && !config.signingKeysSecretId) {
    throw new ConfigurationError('set SIGNING_KEYS_FILE (local dev key set) or SIGNING_KEYS_SECRET_ID');
  }
  return config;
}

/**
 * The authorizer's configuration: only what a verifier reads, so its cold start neither parses
 * nor depends on the settings of sign-in, email or federation. In production it needs ISSUER,
 * AUDIENCE, the verification keys and, when it checks sessions, SESSIONS_TABLE.
 */
export function loadVerifierConfig(env: Env = process.env): VerifierConfig {
  const mode = detectMode(env);
  const checksSessions = sessionCheckMode(env) === 'dynamodb';
  requireInProduction(env, mode, checksSessions ? ['verificationKeys', 'sessionsTable'] : ['verificationKeys']);
  const config = verifierSettings(env, mode);
  if (mode === 'production' && !checksSessions && text(env, 'SESSIONS_TABLE') === undefined) unreadable(config, 'sessionsTable', 'SESSIONS_TABLE');
  return config;
}

/**
 * Reads and validates the configuration. Throws {@link ConfigurationError} naming every problem,
 * so a misconfigured function fails at cold start instead of serving with a fallback.
 */
export function loadConfig(env: Env = process.env, parts: readonly ConfigPart[] = ALL_CONFIG_PARTS): Config {
  const mode = detectMode(env);
  requireInProduction(env, mode, parts);
  const pick = (name: keyof typeof LOCAL_DEFAULTS): string => text(env, name) ?? LOCAL_DEFAULTS[name];
  const verifier = verifierSettings(env, mode);

  const sameSite = textOrDefault(env, 'REFRESH_COOKIE_SAME_SITE');
  if (!SAME_SITE_VALUES.includes(sameSite as RefreshCookieSameSite)) {
    throw new ConfigurationError(`REFRESH_COOKIE_SAME_SITE must be one of ${SAME_SITE_VALUES.join(', ')}, got "${sameSite}"`);
  }
  // In production no origin is allowed unless listed: cookie mode then refuses every request.
  const originsRaw = mode === 'local' ? pick('CORS_ALLOWED_ORIGINS') : (text(env, 'CORS_ALLOWED_ORIGINS') ?? '');
  const allowedOrigins = originsRaw.split(',').map((o) => o.trim()).filter(Boolean);
  if (allowedOrigins.includes('*')) throw new ConfigurationError('CORS_ALLOWED_ORIGINS must list origins; "*" is refused for an auth API');

  const config: Config = {
    ...verifier,
    refreshTokenTtlSeconds: integer(env, 'REFRESH_TOKEN_TTL_SECONDS', 60, 31_536_000),
    sessionMaxAgeSeconds: integer(env, 'SESSION_MAX_AGE_SECONDS', 60, 31_536_000),
    refreshReuseGraceSeconds: integer(env, 'REFRESH_REUSE_GRACE_SECONDS', 0, 300),
    bcryptCost: integer(env, 'BCRYPT_COST', 4, 15),
    usersTable: pick('USERS_TABLE'),
    loginMaxFailures: integer(env, 'LOGIN_MAX_FAILURES', 1, 1000),
    loginBackoffBaseSeconds: integer(env, 'LOGIN_BACKOFF_BASE_SECONDS', 1, 3600),
    loginBackoffMaxSeconds: integer(env, 'LOGIN_BACKOFF_MAX_SECONDS', 1, 86_400),
    loginAccountMaxFailures: integer(env, 'LOGIN_ACCOUNT_MAX_FAILURES', 1, 1_000_000),
    loginAccountWindowSeconds: integer(env, 'LOGIN_ACCOUNT_WINDOW_SECONDS', 60, 86_400),
    loginDeviceTtlDays: integer(env, 'LOGIN_DEVICE_TTL_DAYS', 1, 400),
    securityEventsTtlDays: integer(env, 'SECURITY_EVENTS_TTL_DAYS', 1, 3650),
    clientIpHeader: headerName(env, 'CLIENT_IP_HEADER'),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 1024, 1_048_576),
    // At most 50, so revoking every session of a user fits one transaction with room to spare.
    maxSessionsPerUser: integer(env, 'MAX_SESSIONS_PER_USER', 1, 50),
    loginIpLimitPerMinute: integer(env, 'LOGIN_IP_LIMIT_PER_MINUTE', 0, 1_000_000),
    registerIpLimitPerMinute: integer(env, 'REGISTER_IP_LIMIT_PER_MINUTE', 0, 1_000_000),
    allowedOrigins,
    refreshCookieSameSite: sameSite as RefreshCookieSameSite,
    // Only the account functions need these; they check with requireEmailSettings() at cold start.
    appUrl: mode === 'local' || text(env, 'APP_URL') ? baseUrl('APP_URL', pick('APP_URL'), mode) : '',
    emailFrom: mode === 'local' ? pick('EMAIL_FROM') : (text(env, 'EMAIL_FROM') ?? ''),
    sesEndpoint: mode === 'local' ? sesEndpoint(env) : undefined,
    emailVerificationTtlSeconds: integer(env, 'EMAIL_VERIFICATION_TTL_SECONDS', 60, 2_592_000),
    passwordResetTtlSeconds: integer(env, 'PASSWORD_RESET_TTL_SECONDS', 60, 86_400),
    emailChangeTtlSeconds: integer(env, 'EMAIL_CHANGE_TTL_SECONDS', 60, 86_400),
    emailMaxPerAddress: integer(env, 'EMAIL_MAX_PER_ADDRESS', 1, 1000),
    emailLimitWindowSeconds: integer(env, 'EMAIL_LIMIT_WINDOW_SECONDS', 60, 86_400),
    emailIpLimitPerWindow: integer(env, 'EMAIL_IP_LIMIT_PER_WINDOW', 0, 1_000_000),
    forgotMinResponseMs: integer(env, 'FORGOT_MIN_RESPONSE_MS', 0, 5_000),
    stepUpMaxAgeSeconds: integer(env, 'STEP_UP_MAX_AGE_SECONDS', 30, 86_400),
    oauthProviders: oauthProviders(env, mode),
    oauthClientSecretsSecretId: text(env, 'OAUTH_CLIENT_SECRETS_SECRET_ID'),
    oauthClientSecretsFile: mode === 'local' ? text(env, 'OAUTH_CLIENT_SECRETS_FILE') : undefined,
  };
  if (config.emailFrom && !/^[^\s@<>]+@[^\s@<>]+$|<[^\s@<>]+@[^\s@<>]+>$/.test(config.emailFrom)) {
    throw new ConfigurationError(`EMAIL_FROM must be an address or "Name <address>", got "${config.emailFrom}"`);
  }
  if (mode === 'production') {
    for (const [part, field] of [['usersTable', 'usersTable'], ['sessionsTable', 'sessionsTable']] as const) {
      if (!parts.includes(part) && text(env, PART_SETTINGS[part][0]!) === undefined) unreadable(config, field, PART_SETTINGS[part][0]!);
    }
  }
  return config;
}

/** A setting this function did not ask for and was not given: reading it is a bug, said loudly. */
function unreadable(config: Partial<Config>, field: 'usersTable' | 'sessionsTable', name: string): void {
  Object.defineProperty(config, field, {
    enumerable: false,
    get: () => {
      throw new ConfigurationError(`${name} is not configured for this function (its container did not ask for it)`);
    },
  });
}

/**
 * The account functions (registration, verification, password reset...) build links and send
 * email: in production they refuse to start without APP_URL and EMAIL_FROM, rather than sending
 * links to nowhere or building them from a request's Host header.
 */
export function requireEmailSettings(config: Config): Config {
  const missing = [config.appUrl ? undefined : 'APP_URL', config.emailFrom ? undefined : 'EMAIL_FROM'].filter(Boolean);
  if (missing.length > 0) {
    const error = new ConfigurationError(`missing required settings in production: ${missing.join(', ')}`);
    log.error('refusing to start: invalid configuration', { reason: error.message });
    throw error;
  }
  return config;
}

/**
 * Loads the configuration once per container. On failure it logs one clear line and rethrows,
 * which makes the Lambda init fail: the function never serves with a fallback key or issuer.
 */
export function loadConfigOrDie(env: Env = process.env, parts: readonly ConfigPart[] = ALL_CONFIG_PARTS): Config {
  return orDie(() => loadConfig(env, parts));
}

/** {@link loadVerifierConfig}, failing the cold start with one clear line as {@link loadConfigOrDie} does. */
export function loadVerifierConfigOrDie(env: Env = process.env): VerifierConfig {
  return orDie(() => loadVerifierConfig(env));
}

function orDie<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    log.error('refusing to start: invalid configuration', {
      reason: err instanceof Error ? err.message : String(err),
    });
    throw err;
  }
}
