/**
 * How long keys stay in each state, from the caches between a key set change and the verifiers.
 *
 *   secret ──(key store cache, 5 min)──▶ JWKS function ──(Cache-Control max-age)──▶ verifiers
 *                                                     └─(API Gateway JWT authorizer: up to 2 h)
 *
 * - A `next` key must be published at least that long before it signs, or a verifier holding an
 *   older JWKS refuses the first tokens it signs.
 * - A `previous` key must stay published until every token it signed has expired. Signers can keep
 *   using it for one key store cache period after the rotation (their cached set is stale), and
 *   those tokens then live a full access-token lifetime.
 * - A previous refresh-token HMAC key must stay while a grace retry may still need it.
 */

/** API Gateway's native JWT authorizer caches the issuer's JWKS for up to two hours. */
export const API_GATEWAY_JWKS_CACHE_SECONDS = 7200;
/** `Cache-Control: max-age` of GET /.well-known/jwks.json. */
export const JWKS_MAX_AGE_SECONDS = 300;
/** How long a warm function keeps a loaded key set (KeyStore's default max age). */
export const KEY_SET_CACHE_SECONDS = 300;
/** Slack for clock differences between machines and verifiers' allowed skew. */
export const CLOCK_ALLOWANCE_SECONDS = 60;

/** Minimum time a `next` key is published before a scheduled rotation lets it sign. */
export const NEXT_KEY_LEAD_SECONDS = API_GATEWAY_JWKS_CACHE_SECONDS + JWKS_MAX_AGE_SECONDS + KEY_SET_CACHE_SECONDS;

/** How long a `previous` signing key stays published after it stopped signing. */
export function previousKeyRetentionSeconds(accessTokenTtlSeconds: number): number {
  return KEY_SET_CACHE_SECONDS + accessTokenTtlSeconds + CLOCK_ALLOWANCE_SECONDS;
}

/** How long a previous refresh-token HMAC key is kept for grace retries. */
export function previousRefreshKeyRetentionSeconds(refreshReuseGraceSeconds: number): number {
  return KEY_SET_CACHE_SECONDS + refreshReuseGraceSeconds + CLOCK_ALLOWANCE_SECONDS;
}
