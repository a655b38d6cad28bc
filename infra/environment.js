'use strict';
/**
 * The functions' environment (`provider.environment: ${file(infra/environment.js):environment}`),
 * generated from the settings list (infra/settings.js), so every setting lib/config.ts reads can
 * be given at deploy as a stage parameter of the same name in camelCase:
 *
 *   --param=maxSessionsPerUser=20   →   MAX_SESSIONS_PER_USER=20
 *
 * A parameter left unset reaches the function blank, and lib/config.ts applies its default.
 * On the `local` stage (`npm start`, the tests) a setting without a parameter takes the variable of
 * the same name from the environment serverless-offline was started with, since offline hands
 * the functions only what is declared here. No other stage reads the caller's environment: a
 * package built on a laptop must not carry that laptop's shell variables.
 *
 * Besides the settings: the tables and key secrets the stack creates, the derived deploy defaults
 * (infra/deploy-defaults.js), the metrics dimensions (lib/metrics.ts), LOG_LEVEL, KEYS_EPOCH (docs/guides/keys.md
 * "Emergency rotation (a key leaked)") and source maps. A production issuer must be https: refused here, at
 * package time, rather than by every function at its first cold start.
 */
const { SETTINGS } = require('./settings');
const deployDefaults = require('./deploy-defaults');
const signingKeys = require('./signing-keys');

async function param(resolveVariable, name) {
  const value = await resolveVariable(`param:${name}, ''`);
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value.trim() : value;
}

/**
 * The issuer of a production stage: an https URL, or the package fails with this message. The
 * functions check the same (lib/config.ts) but only once deployed, when every request fails.
 */
function checkIssuer(issuer) {
  let url;
  try {
    url = new URL(String(issuer));
  } catch {
    throw new Error(`issuer must be the https URL the API is served at (--param=issuer=https://...), got "${issuer}"`);
  }
  if (url.protocol !== 'https:') {
    throw new Error(
      `issuer must use https on a deployed stage (API Gateway's JWT authorizer and OAuth clients fetch <issuer>/.well-known/... over https), got "${issuer}"`,
    );
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new Error(`issuer must not carry a query, fragment or credentials, got "${issuer}"`);
  }
  return String(issuer);
}

async function environment({ resolveVariable }) {
  const stage = await resolveVariable('sls:stage');
  const local = stage === 'local';
  const env = {};
  for (const setting of SETTINGS) {
    if (setting.param === null) continue;
    let value = await param(resolveVariable, setting.param);
    if (value === '' && local) value = (process.env[setting.name] ?? '').trim();
    env[setting.name] = typeof value === 'object' ? value : String(value);
  }

  const authMode = env.AUTH_MODE || 'production';
  if (authMode === 'production') {
    if (!env.ISSUER) throw new Error('issuer is required: --param=issuer=https://auth.example.com');
    checkIssuer(env.ISSUER);
  }

  // What the stack creates: its tables and (unless given) its key secrets.
  const tables = await resolveVariable('self:custom.tables');
  env.USERS_TABLE = tables.users;
  env.SESSIONS_TABLE = tables.sessions;
  const keys = await signingKeys.settings({ resolveVariable });
  env.SIGNING_KEYS_SECRET_ID = keys.signingKeysSecretId;
  // Read by the authorizer and JWKS functions (the public half; see infra/signing-keys.js).
  env.SIGNING_PUBLIC_KEYS_SECRET_ID = keys.signingPublicKeysSecretId;

  // Derived from corsAllowedOrigins and issuer unless given; locally lib/config.ts has its own.
  if (!local) {
    if (!env.APP_URL) env.APP_URL = await deployDefaults.appUrl({ resolveVariable });
    if (!env.EMAIL_FROM) env.EMAIL_FROM = await deployDefaults.emailFrom({ resolveVariable });
  }

  // Dimensions of the metrics the functions write (lib/metrics.ts), matched by the alarms.
  env.METRICS_SERVICE = await resolveVariable('self:service');
  env.METRICS_STAGE = stage;
  // Read by lib/log.ts, not lib/config.ts; blank logs at info. Never taken from the environment
  // on the local stage: the tests keep the functions' info lines they read.
  env.LOG_LEVEL = String(await param(resolveVariable, 'logLevel'));
  // NODE_OPTIONS (source maps) is per function: infra/functions.js `sourceMaps`.
  // Read by no code: a new value (--param=keysEpoch=...) changes every function's configuration,
  // so Lambda replaces all warm containers and they load the key set afresh (emergency rotation).
  env.KEYS_EPOCH = String((await param(resolveVariable, 'keysEpoch')) || '0');
  return env;
}

module.exports = { environment, checkIssuer };
