import { serviceDeps } from '../lib/container/service';
import { cookieModeSettings, tokenAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { refresh } from '../lib/usecases/refresh';
import { parseRefresh } from '../lib/validation';

const deps = serviceDeps();
const cookies = cookieModeSettings(deps.config);

/**
 * POST /auth/refresh → 200 { accessToken, refreshToken, tokenType, expiresIn }. In cookie mode the
 * token is read from, and its successor written to, the refresh cookie.
 */
export const handler = httpHandler(
  { config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: true } },
  async (request) => {
    const presented = request.transport === 'cookie' ? (request.refreshCookie ?? '') : parseRefresh(request.body).refreshToken;
    return tokenAnswer(200, await refresh(deps, presented, request.meta), request.transport, cookies);
  },
);
