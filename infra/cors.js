'use strict';
const { localDefaultOf } = require('./settings');

/**
 * `${file(infra/cors.js):allowedOrigins}`: the comma-separated `corsAllowedOrigins` stage parameter
 * as a list. On the `local` stage, unset, it is CORS_ALLOWED_ORIGINS from the environment or the
 * local default (infra/settings.js), the same list the functions' cookie mode then accepts.
 */
async function allowedOrigins({ resolveVariable }) {
  let raw = await resolveVariable("param:corsAllowedOrigins, ''");
  if (!raw && (await resolveVariable('sls:stage')) === 'local') raw = process.env.CORS_ALLOWED_ORIGINS || localDefaultOf('CORS_ALLOWED_ORIGINS');
  const origins = String(raw).split(',').map((o) => o.trim()).filter(Boolean);
  if (origins.length === 0) throw new Error('corsAllowedOrigins is required: --param=corsAllowedOrigins=https://app.example.com');
  if (origins.includes('*')) throw new Error('corsAllowedOrigins must list origins; "*" is refused for an auth API');
  return origins;
}
module.exports = { allowedOrigins };
