import { serviceDeps } from '../lib/container/service';
import { clearingCookie, cookieModeSettings } from '../lib/http/cookie-mode';
import type { FormParameters } from '../lib/http/form';
import { httpHandler } from '../lib/http/middleware';
import { parseRevocation, revocationAnswer } from '../lib/http/oauth';
import { revokeToken } from '../lib/usecases/logout';

const deps = serviceDeps();
const cookies = cookieModeSettings(deps.config);

/**
 * POST /oauth2/revoke (RFC 7009) → 200 with an empty body: ends the session of the refresh or
 * access token given, as a local POST /auth/logout does; an unknown token answers 200 too. In
 * cookie mode the token is the refresh cookie's, and the answer clears the cookie.
 */
export const handler = httpHandler(
  { config: deps.config, body: 'form', errors: 'oauth', cookieMode: { settings: cookies, readsCookie: true } },
  async (request) => {
    const context = { clientId: deps.config.clientId, authorization: request.event.headers?.authorization, transport: request.transport };
    const { token } = parseRevocation(request.body as FormParameters, context);
    // A cookie-mode revocation without a cookie (already signed out) has nothing to revoke.
    const presented = request.transport === 'cookie' ? (request.refreshCookie ?? '') : token!;
    if (presented !== '') await revokeToken(deps, presented, request.meta);
    return clearingCookie(revocationAnswer(), request.transport, cookies);
  },
);
