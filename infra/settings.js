'use strict';
/**
 * Every setting of the functions, declared once: lib/config.ts reads them (and takes their
 * defaults from here), and infra/environment.js turns the list into the functions' environment in
 * serverless.yml, so a setting added here can be set at deploy with no other edit.
 *
 * An entry:
 *   name     the environment variable lib/config.ts reads
 *   param    the stage parameter that sets it (`--param=<param>=...`): the variable's name in
 *            camelCase (ACCESS_TOKEN_TTL_SECONDS → accessTokenTtlSeconds), so it need not be
 *            written down; null for the two the stack itself sets (the tables it creates)
 *   default  what lib/config.ts uses when the variable is unset or blank; absent when the setting
 *            is required in production, derived, or only meaningful locally
 *   local    the default in local mode only (`npm start`, the tests); production requires a value
 *
 * A stage parameter left unset reaches the function blank, and the function takes the default:
 * defaults live here and nowhere else (not in serverless.yml).
 */

/** Variables the stack sets from what it creates; no parameter can point them elsewhere. */
const STACK_SET = ['USERS_TABLE', 'SESSIONS_TABLE'];

const ENTRIES = [
  { name: 'AUTH_MODE' },
  // The stack's own URL on `npm start`; serverless.yml's local stage follows PORT instead.
  { name: 'ISSUER', local: 'http://localhost:3000' },
  { name: 'AUDIENCE', local: 'lambda-jwt-auth-local' },
  { name: 'CLIENT_ID', default: 'lambda-jwt-auth' },
  { name: 'ACCESS_TOKEN_TTL_SECONDS', default: 900 },
  { name: 'REFRESH_TOKEN_TTL_SECONDS', default: 604_800 },
  { name: 'SESSION_MAX_AGE_SECONDS', default: 2_592_000 },
  { name: 'REFRESH_REUSE_GRACE_SECONDS', default: 10 },
  { name: 'BCRYPT_COST', default: 10 },
  { name: 'SIGNING_ALG', default: 'RS256' },
  { name: 'SIGNING_KEYS_SECRET_ID' },
  { name: 'SIGNING_PUBLIC_KEYS_SECRET_ID' },
  { name: 'SIGNING_KEYS_FILE' },
  { name: 'USERS_TABLE' },
  { name: 'SESSIONS_TABLE' },
  { name: 'DYNAMODB_ENDPOINT' },
  { name: 'LOGIN_MAX_FAILURES', default: 5 },
  { name: 'LOGIN_BACKOFF_BASE_SECONDS', default: 1 },
  { name: 'LOGIN_BACKOFF_MAX_SECONDS', default: 900 },
  { name: 'LOGIN_ACCOUNT_MAX_FAILURES', default: 100 },
  { name: 'LOGIN_ACCOUNT_WINDOW_SECONDS', default: 3600 },
  { name: 'LOGIN_DEVICE_TTL_DAYS', default: 90 },
  { name: 'SECURITY_EVENTS_TTL_DAYS', default: 90 },
  { name: 'CLIENT_IP_HEADER' },
  { name: 'CLOCK_SKEW_SECONDS', default: 5 },
  { name: 'MAX_BODY_BYTES', default: 16_384 },
  { name: 'MAX_SESSIONS_PER_USER', default: 50 },
  { name: 'LOGIN_IP_LIMIT_PER_MINUTE', default: 60 },
  { name: 'REGISTER_IP_LIMIT_PER_MINUTE', default: 20 },
  { name: 'AUTHORIZER_SESSION_CHECK', default: 'dynamodb' },
  { name: 'AUTHORIZER_LIVE_CACHE_SECONDS', default: 3 },
  { name: 'AUTHORIZER_STALE_SECONDS', default: 5 },
  { name: 'AUTHORIZER_SESSION_READ_TIMEOUT_MS', default: 1000 },
  // The API itself and the demo app served by `npm start`.
  { name: 'CORS_ALLOWED_ORIGINS', local: 'http://localhost:3000,http://localhost:5173' },
  { name: 'REFRESH_COOKIE_SAME_SITE', default: 'Strict' },
  // The demo web app served by `npm start` (DEMO_PORT moves it).
  { name: 'APP_URL', local: 'http://localhost:5173' },
  { name: 'EMAIL_FROM', local: 'Lambda JWT Auth <no-reply@auth.localhost>' },
  { name: 'SES_ENDPOINT' },
  { name: 'SES_PORT', default: 8005 },
  { name: 'EMAIL_VERIFICATION_TTL_SECONDS', default: 86_400 },
  { name: 'PASSWORD_RESET_TTL_SECONDS', default: 1_800 },
  { name: 'EMAIL_CHANGE_TTL_SECONDS', default: 3_600 },
  { name: 'EMAIL_MAX_PER_ADDRESS', default: 3 },
  { name: 'EMAIL_LIMIT_WINDOW_SECONDS', default: 900 },
  { name: 'EMAIL_IP_LIMIT_PER_WINDOW', default: 20 },
  { name: 'FORGOT_MIN_RESPONSE_MS', default: 400 },
  { name: 'REQUIRE_VERIFIED_EMAIL', default: false },
  { name: 'STEP_UP_MAX_AGE_SECONDS', default: 300 },
  { name: 'REQUIRE_MFA', default: false },
  // "METHOD /path" routes (comma-separated) whose access tokens the authorizer requires at aal2.
  { name: 'AUTHORIZER_AAL2_ROUTES' },
  // Federated sign-in: a JSON list of providers ({name, issuer, clientId, scopes?} for OpenID
  // Connect, {name: "github", type: "github", clientId} for GitHub); none when blank.
  { name: 'OAUTH_PROVIDERS' },
  // Secrets Manager secret holding {"<provider>": "<client secret>"}; locally the file below.
  { name: 'OAUTH_CLIENT_SECRETS_SECRET_ID' },
  { name: 'OAUTH_CLIENT_SECRETS_FILE' },
];

/** ACCESS_TOKEN_TTL_SECONDS → accessTokenTtlSeconds */
const paramName = (name) => name.toLowerCase().replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

// `param` is worked out when read (packaging reads it). The functions never load this file: their
// bundles get its values as constants instead (infraValuesModule in esbuild.config.mjs).
const SETTINGS = Object.freeze(
  ENTRIES.map((entry) =>
    Object.freeze(
      Object.defineProperty({ ...entry }, 'param', {
        enumerable: true,
        get: () => (STACK_SET.includes(entry.name) ? null : paramName(entry.name)),
      }),
    ),
  ),
);

const BY_NAME = new Map(SETTINGS.map((s) => [s.name, s]));

/** The entry of a setting; a name missing from the list is a bug, said at once. */
function settingOf(name) {
  const setting = BY_NAME.get(name);
  if (!setting) throw new Error(`${name} is not in the settings list (infra/settings.js)`);
  return setting;
}

/** The local-mode default of a setting required in production. */
function localDefaultOf(name) {
  const setting = settingOf(name);
  if (setting.local === undefined) throw new Error(`${name} has no local default in infra/settings.js`);
  return setting.local;
}

/** The default lib/config.ts applies to a blank setting. */
function defaultOf(name) {
  const setting = settingOf(name);
  if (setting.default === undefined) throw new Error(`${name} has no default in infra/settings.js`);
  return setting.default;
}

module.exports = { SETTINGS, STACK_SET, paramName, settingOf, defaultOf, localDefaultOf };
