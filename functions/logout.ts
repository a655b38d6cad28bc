import { serviceDeps } from '../lib/container/service';
import { bearerToken } from '../lib/http/bearer';
import { clearingCookie, cookieModeSettings } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { noContent } from '../lib/http/responses';
import { logout } from '../lib/usecases/logout';
import { parseLogout } from '../lib/validation';

const deps = serviceDeps();
const cookies = cookieModeSettings(deps.config);

/**
 * POST /auth/logout → 204. Bearer needed for scope global/others. In cookie mode the refresh
 * token comes from the cookie, and the answer clears the cookie.
 */
export const handler = httpHandler(
  { config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: true } },
  async (request) => {
    const authorization = request.event.headers?.authorization;
    const bearer = authorization === undefined ? undefined : (bearerToken(authorization) ?? '');
    const input = parseLogout(request.body);
    // A cookie-mode logout without a cookie (already logged out) has nothing to revoke: the empty
    // token makes it the same idempotent 204 as an unknown token, unless a Bearer names a session.
    if (request.transport === 'cookie') input.refreshToken = request.refreshCookie ?? (bearer === undefined ? '' : undefined);
    await logout(deps, input, bearer, request.meta);
    // `others` keeps this device's session, so its cookie stays.
    return input.scope === 'others' ? noContent() : clearingCookie(noContent(), request.transport, cookies);
  },
);
