import { serviceDeps } from '../lib/container/service';
import { cookieModeSettings, refreshTokenFromCookie, tokenAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { requestMeta } from '../lib/http/request';
import { refresh } from '../lib/usecases/refresh';
import { parseRefresh } from '../lib/validation';

const deps = serviceDeps();
const cookies = cookieModeSettings(deps.config);

/**
 * POST /auth/refresh → 200 { accessToken, refreshToken, tokenType, expiresIn }. In cookie mode the
 * token is read from, and its successor written to, the refresh cookie.
 */
export const handler = httpHandler(
  { body: 'json', maxBodyBytes: deps.config.maxBodyBytes, cookieMode: { settings: cookies, readsCookie: true } },
  async (event) => {
    const transport = event.authTransport ?? 'body';
    const presented = transport === 'cookie' ? (refreshTokenFromCookie(event) ?? '') : parseRefresh(event.body).refreshToken;
    return tokenAnswer(200, await refresh(deps, presented, requestMeta(event, deps.config)), transport, cookies);
  },
);
