'use strict';
/** `${file(infra/cors.js):allowedOrigins}`: the comma-separated `corsAllowedOrigins` stage parameter as a list. */
async function allowedOrigins({ resolveVariable }) {
  const raw = await resolveVariable('param:corsAllowedOrigins');
  const origins = String(raw).split(',').map((o) => o.trim()).filter(Boolean);
  if (origins.includes('*')) throw new Error('corsAllowedOrigins must list origins; "*" is refused for an auth API');
  return origins;
}
module.exports = { allowedOrigins };
