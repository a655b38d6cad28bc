'use strict';
/**
 * Defaults of stage parameters that can be derived from the three a deploy must give (issuer,
 * audience, corsAllowedOrigins), so those three stay the whole deploy command.
 *
 *   appUrl     the first of corsAllowedOrigins: the browser app the email links open
 *   emailFrom  "<service> <no-reply@<issuer's host>>"; SES must have that identity verified before
 *              mail goes out (the deploy itself does not need it)
 */
async function appUrl({ resolveVariable }) {
  const origins = String(await resolveVariable('param:corsAllowedOrigins')).split(',').map((o) => o.trim()).filter(Boolean);
  if (!origins[0]) throw new Error('appUrl: give --param=appUrl=... or at least one corsAllowedOrigins entry');
  return origins[0];
}

async function emailFrom({ resolveVariable }) {
  const issuer = String(await resolveVariable('param:issuer'));
  let host;
  try {
    host = new URL(issuer).hostname;
  } catch {
    throw new Error(`emailFrom: give --param=emailFrom=... (the issuer "${issuer}" is not a URL to derive it from)`);
  }
  return `Lambda JWT Auth <no-reply@${host}>`;
}

module.exports = { appUrl, emailFrom };
