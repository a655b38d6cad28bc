'use strict';
/**
 * Every Lambda function of the service, declared once. The build (esbuild.config.mjs), the
 * deployment (serverless.yml reads `serverlessFunctions` and `verifierLogGroupArns`) and the
 * packaging tests all derive from this list, so adding a function is one entry here plus its
 * handler file.
 *
 * An entry:
 *   name        bundle directory dist/<name>/; the serverless.yml key is its camelCase
 *               (`example-hello` → `exampleHello`, CloudFormation `ExampleHelloLambdaFunction`)
 *   handler     source file (default `functions/<name>.ts`), exporting `handler`
 *   http        { method, path }: its route on the HTTP API, or a list of routes served by the
 *               same handler; omitted for functions without one
 *   authorizer  true: the route sits behind the Lambda authorizer (the `authorizer` function)
 *   role        omitted: the service role (both tables, the signing key secret);
 *               'verifier': VerifierRole (the public key set and its own logs, nothing else);
 *               any other string: the logical id of a role defined under `resources`
 *   memorySize  MB (default: provider.memorySize); bcrypt and RSA signing are CPU-bound, and
 *               Lambda's CPU share grows with memory
 *   timeout     seconds (default: provider.timeout)
 *   events      further serverless events, as serverless.yml would spell them
 *   environment further environment variables of this function only
 *   sourceMaps  false: ship no source map and start Node without --enable-source-maps. With them,
 *               Node reads and parses the bundle's map at every cold start (authorizer: +3.7 ms
 *               wall, +11.7 ms CPU; JWKS +9 ms wall, measured in paired fresh processes), for
 *               stack traces these functions never log (lib/log.ts logs an error's name, message
 *               and code, not its stack). The functions that run in front of other APIs opt out.
 */
const FUNCTIONS = [
  // The functions that send email run under MailerRole: the only ones allowed ses:SendEmail.
  { name: 'register', http: { method: 'POST', path: '/auth/register' }, memorySize: 1024, role: 'MailerRole' },
  { name: 'login', http: { method: 'POST', path: '/auth/login' }, memorySize: 1024, role: 'MailerRole' },
  { name: 'refresh', http: { method: 'POST', path: '/auth/refresh' } },
  { name: 'logout', http: { method: 'POST', path: '/auth/logout' } },
  // RFC 6749 §6 and RFC 7009 for OAuth clients: form bodies, OAuth's names and errors, on the same
  // use cases as refresh and logout. Not under /auth/oauth/, which is federated sign-in's.
  { name: 'oauth2-token', http: { method: 'POST', path: '/oauth2/token' } },
  { name: 'oauth2-revoke', http: { method: 'POST', path: '/oauth2/revoke' } },
  { name: 'me', http: { method: 'GET', path: '/auth/me' }, authorizer: true },
  { name: 'sessions-list', http: { method: 'GET', path: '/auth/sessions' }, authorizer: true },
  { name: 'session-delete', http: { method: 'DELETE', path: '/auth/sessions/{id}' }, authorizer: true },
  { name: 'events-list', http: { method: 'GET', path: '/auth/events' }, authorizer: true },
  { name: 'jwks', http: { method: 'GET', path: '/.well-known/jwks.json' }, role: 'verifier', sourceMaps: false },
  {
    name: 'issuer-metadata',
    // OpenID Connect Discovery and RFC 8414 name different paths for the same document.
    http: [
      { method: 'GET', path: '/.well-known/openid-configuration' },
      { method: 'GET', path: '/.well-known/oauth-authorization-server' },
    ],
    role: 'MetadataRole',
    memorySize: 256,
  },
  { name: 'example-hello', http: { method: 'GET', path: '/example/hello' }, authorizer: true, role: 'verifier' },
  // Its own role: the verifier's key secret plus GetItem on SESSION# items (serverless.yml).
  // Secrets Manager's rotation function for the signing key set (no route; see infra/signing-keys.js).
  { name: 'rotate-keys', role: 'RotationRole' },
  { name: 'authorizer', role: 'AuthorizerRole', memorySize: 256, sourceMaps: false },
  { name: 'verify-email', http: { method: 'POST', path: '/auth/email/verify' } },
  { name: 'email-change', http: { method: 'POST', path: '/auth/email/change' }, authorizer: true, role: 'MailerRole' },
  { name: 'email-change-confirm', http: { method: 'POST', path: '/auth/email/change/confirm' }, role: 'MailerRole' },
  { name: 'resend-verification', http: { method: 'POST', path: '/auth/email/resend' }, authorizer: true, role: 'MailerRole' },
  { name: 'password-change', http: { method: 'POST', path: '/auth/password/change' }, authorizer: true, memorySize: 1024, role: 'MailerRole' },
  { name: 'password-forgot', http: { method: 'POST', path: '/auth/password/forgot' }, role: 'MailerRole' },
  { name: 'password-reset', http: { method: 'POST', path: '/auth/password/reset' }, memorySize: 1024, role: 'MailerRole' },
  { name: 'account-delete', http: { method: 'DELETE', path: '/auth/me' }, authorizer: true, memorySize: 1024 },
  { name: 'mfa-verify', http: { method: 'POST', path: '/auth/mfa/verify' }, role: 'MailerRole' },
  { name: 'mfa-totp-enrol', http: { method: 'POST', path: '/auth/mfa/totp' }, authorizer: true },
  { name: 'mfa-totp-confirm', http: { method: 'POST', path: '/auth/mfa/totp/confirm' }, authorizer: true, role: 'MailerRole' },
  { name: 'mfa-factors-list', http: { method: 'GET', path: '/auth/mfa/factors' }, authorizer: true },
  { name: 'mfa-factor-delete', http: { method: 'DELETE', path: '/auth/mfa/factors/{id}' }, authorizer: true, role: 'MailerRole' },
  { name: 'mfa-recovery-codes', http: { method: 'POST', path: '/auth/mfa/recovery-codes' }, authorizer: true, role: 'MailerRole' },
  { name: 'reauthenticate', http: { method: 'POST', path: '/auth/reauthenticate' }, authorizer: true, memorySize: 1024 },
  // Federated sign-in (OpenID Connect providers and GitHub): two browser redirects, then the
  // one-time code's exchange. They read the providers' client secrets (serviceStatements).
  { name: 'oauth-authorize', http: { method: 'GET', path: '/auth/oauth/{provider}/authorize' } },
  { name: 'oauth-callback', http: { method: 'GET', path: '/auth/oauth/{provider}/callback' } },
  { name: 'oauth-token', http: { method: 'POST', path: '/auth/oauth/token' }, role: 'MailerRole' },
  { name: 'mfa-challenge', http: { method: 'POST', path: '/auth/mfa/challenge' } },
  { name: 'passkeys-register-options', http: { method: 'POST', path: '/auth/passkeys/register/options' }, authorizer: true },
  { name: 'passkeys-register-verify', http: { method: 'POST', path: '/auth/passkeys/register/verify' }, authorizer: true, role: 'MailerRole' },
  { name: 'passkeys-login-options', http: { method: 'POST', path: '/auth/passkeys/login/options' } },
  { name: 'passkeys-login-verify', http: { method: 'POST', path: '/auth/passkeys/login/verify' }, role: 'MailerRole' },
  // Linking and unlinking an identity from the account settings (step-up; credential changes).
  { name: 'oauth-link', http: { method: 'POST', path: '/auth/oauth/{provider}/link' }, authorizer: true },
  { name: 'identity-delete', http: { method: 'DELETE', path: '/auth/identities/{provider}' }, authorizer: true },
];

/**
 * The functions anyone can call without a token to sign in or recover an account: the ones a flood
 * (credential stuffing, mass registration, reset spam) would scale. The `signInReservedConcurrency`
 * stage parameter caps each of them, so such a flood cannot take the account's whole Lambda
 * concurrency (and with it the authorizer and every signed-in route) nor push DynamoDB further.
 */
const SIGN_IN_FUNCTIONS = ['register', 'login', 'refresh', 'oauth2-token', 'password-forgot', 'password-reset', 'verify-email', 'oauth-authorize', 'oauth-callback', 'oauth-token', 'passkeys-login-options', 'passkeys-login-verify'];

/** Name of the HTTP API authorizer in serverless.yml (provider.httpApi.authorizers). */
const HTTP_AUTHORIZER = 'jwtAuthorizer';
const VERIFIER_ROLE = 'VerifierRole';
/** The service role's rights plus ses:SendEmail from the configured identity (serverless.yml). */
const MAILER_ROLE = 'MailerRole';

const camelCase = (name) => name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());

/** The function's key under `functions:` in serverless.yml. */
const serverlessKey = (fn) => camelCase(fn.name);

/** Source file of the handler, relative to the repository root. */
const handlerFile = (fn) => fn.handler ?? `functions/${fn.name}.ts`;

/** The function's routes as a list (`http` may be one route or several). */
const routesOf = (fn) => (fn.http === undefined ? [] : Array.isArray(fn.http) ? fn.http : [fn.http]);

/** "METHOD /path" of every route, as API Gateway names them. */
const routeKeys = (fn) => routesOf(fn).map((r) => `${r.method} ${r.path}`);

/** "METHOD /path" of the function's (first) route. */
const routeKey = (fn) => routeKeys(fn)[0];

/** Serverless's logical id prefix of a function (it spells '-' and '_' out). */
function normalizedKey(key) {
  const spelled = key.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return spelled.charAt(0).toUpperCase() + spelled.slice(1);
}

function roleOf(fn) {
  if (fn.role === undefined) return undefined;
  return fn.role === 'verifier' ? VERIFIER_ROLE : fn.role;
}

function definitionOf(fn) {
  const dist = `dist/${fn.name}/index`;
  const events = [];
  for (const route of routesOf(fn)) {
    const httpApi = { method: route.method, path: route.path };
    if (fn.authorizer) httpApi.authorizer = { name: HTTP_AUTHORIZER };
    events.push({ httpApi });
  }
  events.push(...(fn.events ?? []));
  const maps = fn.sourceMaps !== false;
  const definition = {
    handler: `${dist}.handler`,
    package: { patterns: ['!**', `${dist}.js`, ...(maps ? [`${dist}.js.map`] : [])] },
  };
  if (roleOf(fn)) definition.role = roleOf(fn);
  if (fn.memorySize) definition.memorySize = fn.memorySize;
  if (fn.timeout) definition.timeout = fn.timeout;
  definition.environment = { ...(maps ? { NODE_OPTIONS: '--enable-source-maps' } : {}), ...fn.environment };
  if (events.length > 0) definition.events = events;
  return definition;
}

/** CloudFormation logical id of a function (`Ref` is its name): `password-forgot` → `PasswordForgotLambdaFunction`. */
const functionLogicalId = (fn) => `${normalizedKey(serverlessKey(fn))}LambdaFunction`;

/** `signInReservedConcurrency`: a whole number from 1, or unset (no reservation). */
async function signInReservedConcurrency(resolveVariable) {
  const raw = resolveVariable ? await resolveVariable("param:signInReservedConcurrency, ''") : '';
  if (raw === '' || raw === undefined || raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`signInReservedConcurrency must be a whole number from 1, got "${raw}"`);
  return value;
}

/** `${file(infra/functions.js):serverlessFunctions}`: the `functions:` block of serverless.yml. */
async function serverlessFunctions({ resolveVariable } = {}) {
  const reserved = await signInReservedConcurrency(resolveVariable);
  return Object.fromEntries(
    FUNCTIONS.map((fn) => {
      const definition = definitionOf(fn);
      if (reserved !== undefined && SIGN_IN_FUNCTIONS.includes(fn.name)) definition.reservedConcurrency = reserved;
      return [serverlessKey(fn), definition];
    }),
  );
}

/** `${file(infra/functions.js):mailerLogGroupArns}`: the log groups MailerRole may write. */
function mailerLogGroupArns() {
  return FUNCTIONS.filter((fn) => fn.role === MAILER_ROLE).map((fn) => ({
    'Fn::GetAtt': [`${normalizedKey(serverlessKey(fn))}LogGroup`, 'Arn'],
  }));
}

/** `${file(infra/functions.js):verifierLogGroupArns}`: the log groups VerifierRole may write. */
function verifierLogGroupArns() {
  return FUNCTIONS.filter((fn) => roleOf(fn) === VERIFIER_ROLE).map((fn) => ({
    'Fn::GetAtt': [`${normalizedKey(serverlessKey(fn))}LogGroup`, 'Arn'],
  }));
}

module.exports = {
  FUNCTIONS,
  HTTP_AUTHORIZER,
  VERIFIER_ROLE,
  serverlessKey,
  handlerFile,
  routeKey,
  routeKeys,
  serverlessFunctions,
  functionLogicalId,
  SIGN_IN_FUNCTIONS,
  verifierLogGroupArns,
  mailerLogGroupArns,
  MAILER_ROLE,
};
