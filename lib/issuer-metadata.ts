/**
 * The issuer's metadata document, served at both `/.well-known/openid-configuration` (OpenID
 * Connect Discovery) and `/.well-known/oauth-authorization-server` (RFC 8414). Verifiers use it to
 * find the keys: API Gateway's native JWT authorizer, oauth4webapi/openid-client discovery, and
 * anyone wiring jose's `createRemoteJWKSet` from `jwks_uri`.
 *
 * `issuer` is the configured ISSUER byte for byte, the same string the tokens carry in `iss`
 * (clients compare them exactly), and every URL is absolute under it. The service is not a full
 * OAuth authorization server: it has no authorization endpoint (sign-in is POST /auth/login), so
 * it advertises no response types. What it lists is what is served, nothing more: the RFC 6749 §6
 * refresh grant at POST /oauth2/token and RFC 7009 revocation at POST /oauth2/revoke, both for a
 * public client (authentication method `none`; lib/http/oauth.ts).
 */
import type { Config } from './config';
import { EMAIL_VERIFIED_SCOPE, ROLE_SCOPE_PREFIX } from './tokens/scope';

export const CLAIMS_SUPPORTED = [
  'iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp', 'email', 'email_verified', 'roles', 'client_id', 'scope',
];

/** `issuer` + path, with exactly one slash between them whatever the issuer ends with. */
export function issuerUrl(issuer: string, path: string): string {
  return `${issuer.replace(/\/+$/, '')}${path}`;
}

export function issuerMetadata(config: Pick<Config, 'issuer'>): Record<string, unknown> {
  return {
    issuer: config.issuer,
    jwks_uri: issuerUrl(config.issuer, '/.well-known/jwks.json'),
    token_endpoint: issuerUrl(config.issuer, '/oauth2/token'),
    grant_types_supported: ['refresh_token'],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint: issuerUrl(config.issuer, '/oauth2/revoke'),
    revocation_endpoint_auth_methods_supported: ['none'],
    response_types_supported: [],
    subject_types_supported: ['public'],
    // Every role maps to `role:<name>`; the default role's scope is listed as the example.
    scopes_supported: [`${ROLE_SCOPE_PREFIX}user`, EMAIL_VERIFIED_SCOPE],
    claims_supported: CLAIMS_SUPPORTED,
  };
}
