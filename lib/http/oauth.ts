/**
 * The OAuth endpoints' requests and answers: RFC 6749 §6 (refreshing an access token) at
 * POST /oauth2/token and RFC 7009 (token revocation) at POST /oauth2/revoke. They serve the same
 * use cases as POST /auth/refresh and POST /auth/logout; only the wire format is OAuth's.
 *
 * Client authentication: the service issues tokens to one public client, CLIENT_ID (the tokens'
 * `client_id` claim), which holds no secret, so the method is `none` (RFC 7591 §2). `client_id`
 * is optional, as RFC 6749 §6 asks nothing of a public client; when sent it must be CLIENT_ID,
 * and any client credential (a secret, an assertion, HTTP Basic) is refused as `invalid_client`,
 * so a client configured for a secret learns at once that none is checked, instead of believing
 * its secret protects anything. The check is for correctness, not a defence: CLIENT_ID is public.
 */
import { invalidClient, invalidRequest, invalidScope, unsupportedGrantType } from '../errors';
import type { TokenResponse } from '../sessions';
import { refreshCookie, type CookieModeSettings, type Transport } from './cookie-mode';
import type { FormParameters } from './form';
import { OAUTH_NO_CACHE } from './middleware';
import { json, noContent, type HttpResult } from './responses';

/** What a refresh grant names; `refreshToken` is undefined in cookie mode (the cookie carries it). */
export interface RefreshGrant {
  refreshToken: string | undefined;
}

/** What a revocation request names; `token` is undefined in cookie mode (the cookie carries it). */
export interface RevocationRequest {
  token: string | undefined;
}

/** How a request is judged: our client id, the Authorization header, whether a cookie carries the token. */
export interface OAuthRequestContext {
  clientId: string;
  authorization: string | undefined;
  transport: Transport;
}

const CLIENT_CREDENTIALS = ['client_secret', 'client_assertion', 'client_assertion_type'];

function checkClient(form: FormParameters, context: OAuthRequestContext): void {
  if (context.authorization !== undefined && /^basic\s/i.test(context.authorization.trim())) {
    throw invalidClient('This client is public: its authentication method is none, so no credentials are accepted.');
  }
  if (CLIENT_CREDENTIALS.some((name) => form[name] !== undefined)) {
    throw invalidClient('This client is public: its authentication method is none, so no credentials are accepted.');
  }
  if (form.client_id !== undefined && form.client_id !== context.clientId) throw invalidClient('Unknown client_id.');
}

/**
 * `grant_type=refresh_token&refresh_token=...[&client_id=...]` (RFC 6749 §6). A `scope` is
 * refused: the access token's scope is derived from the user's roles at each refresh, so a client
 * cannot narrow it, and serving it unnarrowed would hand more than was asked (§6).
 */
export function parseRefreshGrant(form: FormParameters, context: OAuthRequestContext): RefreshGrant {
  if (form.grant_type === undefined) throw invalidRequest([{ field: 'grant_type', message: 'is required' }]);
  if (form.grant_type !== 'refresh_token') throw unsupportedGrantType();
  checkClient(form, context);
  if (form.scope !== undefined) throw invalidScope();
  if (context.transport === 'cookie') return { refreshToken: undefined };
  if (form.refresh_token === undefined) throw invalidRequest([{ field: 'refresh_token', message: 'is required' }]);
  return { refreshToken: form.refresh_token };
}

/**
 * `token=...[&token_type_hint=...][&client_id=...]` (RFC 7009 §2.1). The hint is not read: the
 * two kinds of token are told apart by their form (lib/usecases/logout.ts `revokeToken`), and
 * §2.1 has an unknown hint ignored anyway.
 */
export function parseRevocation(form: FormParameters, context: OAuthRequestContext): RevocationRequest {
  checkClient(form, context);
  if (context.transport === 'cookie') return { token: undefined };
  if (form.token === undefined) throw invalidRequest([{ field: 'token', message: 'is required' }]);
  return { token: form.token };
}

/**
 * RFC 6749 §5.1's successful answer. No `scope`: the client cannot request one, so the granted
 * scope is the original one, which §5.1 lets the answer leave out (it is in the token's `scope`
 * claim). In cookie mode `refresh_token` travels in the cookie instead, as on /auth/refresh
 * (§5.1 makes it optional in the body).
 */
export function oauthTokenAnswer(tokens: TokenResponse, transport: Transport, settings: CookieModeSettings): HttpResult {
  const body: Record<string, unknown> = { access_token: tokens.accessToken, token_type: tokens.tokenType, expires_in: tokens.expiresIn };
  if (transport === 'body') body.refresh_token = tokens.refreshToken;
  const answer = json(200, body, OAUTH_NO_CACHE);
  return transport === 'cookie' ? { ...answer, cookies: [refreshCookie(tokens.refreshToken, settings)] } : answer;
}

/** RFC 7009 §2.2: 200, whatever was (or was not) revoked; the body is empty. */
export function revocationAnswer(): HttpResult {
  return { ...noContent(), statusCode: 200, headers: { ...noContent().headers, ...OAUTH_NO_CACHE } };
}
