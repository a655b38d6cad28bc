import { serviceDeps } from '../lib/container/service';
import { bearerToken } from '../lib/http/bearer';
import { clearingCookie, cookieModeSettings, refreshTokenFromCookie } from '../lib/http/cookie-mode';
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
  { body: 'json', maxBodyBytes: deps.config.maxBodyBytes, cookieMode: { settings: cookies, readsCookie: true } },
  async (event) => {
    const authorization = event.headers?.authorization;
    const bearer = authorization === undefined ? undefined : (bearerToken(authorization) ?? '');
    const transport = event.authTransport ?? 'body';
    const input = parseLogout(event.body);
    // A cookie-mode logout without a cookie (already logged out) has nothing to revoke: the empty
    // token makes it the same idempotent 204 as an unknown token, unless a Bearer names a session.
    if (transport === 'cookie') input.refreshToken = refreshTokenFromCookie(event) ?? (bearer === undefined ? '' : undefined);
    await logout(deps, input, bearer);
    // `others` keeps this device's session, so its cookie stays.
    return input.scope === 'others' ? noContent() : clearingCookie(noContent(), transport, cookies);
  },
);
