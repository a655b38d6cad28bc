'use strict';
/**
 * The floor of the authorizer rows: the least a correct RS256 access-token check can do, with
 * node:crypto (split, header checks, signature, iss/aud/exp/sub/sid). Plain CommonJS, so the
 * cold-start probes (bench/cold-start.ts) require it without a TypeScript loader, whose own load
 * would land in their figures; bench/authorizer-common.ts hands it to the warm rows.
 */
const { verify } = require('node:crypto');

/** A checker of `token` against `key` (a node:crypto KeyObject); throws what it refuses. */
function floorVerifier(key, issuer, audience) {
  return (token) => {
    const [h, p, s] = token.split('.');
    if (!h || !p || !s) throw new Error('malformed');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    if (header.alg !== 'RS256' || header.typ !== 'at+jwt') throw new Error('header');
    const ok = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
    if (!ok) throw new Error('signature');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const now = Date.now() / 1000;
    if (claims.iss !== issuer || claims.aud !== audience || !(claims.exp > now) || !claims.sub || !claims.sid) throw new Error('claims');
    return claims;
  };
}

module.exports = { floorVerifier };
