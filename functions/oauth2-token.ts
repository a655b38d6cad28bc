import { serviceDeps } from '../lib/container/service';
import { cookieModeSettings } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { oauthTokenAnswer, parseRefreshGrant } from '../lib/http/oauth';
import type { FormParameters } from '../lib/http/form';
import { refresh } from '../lib/usecases/refresh';

const deps = serviceDeps();
const cookies = cookieModeSettings(deps.config);

/**
 * POST /oauth2/token (RFC 6749 §6) → 200 `{access_token, token_type, expires_in, refresh_token}`:
 * the refresh grant of OAuth clients, on the same use case as POST /auth/refresh (rotation, reuse
 * detection, grace window, cookie mode). Errors in RFC 6749 §5.2's shape.
 */
export const handler = httpHandler(
  { config: deps.config, body: 'form', errors: 'oauth', cookieMode: { settings: cookies, readsCookie: true } },
  async (request) => {
    const context = { clientId: deps.config.clientId, authorization: request.event.headers?.authorization, transport: request.transport };
    const grant = parseRefreshGrant(request.body as FormParameters, context);
    const presented = request.transport === 'cookie' ? (request.refreshCookie ?? '') : grant.refreshToken!;
    return oauthTokenAnswer(await refresh(deps, presented, request.meta), request.transport, cookies);
  },
);
