import { serviceDeps } from '../lib/container/service';
import { cookieModeSettings, tokenAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { login } from '../lib/usecases/login';
import { parseLogin } from '../lib/validation';

const deps = serviceDeps();
const cookies = cookieModeSettings(deps.config);

/**
 * POST /auth/login → 200 { user, accessToken, refreshToken, tokenType, expiresIn }; in cookie mode
 * (`X-Auth-Transport: cookie`) the refresh token goes into the refresh cookie instead of the body.
 */
export const handler = httpHandler(
  { config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: false } },
  async (request) => tokenAnswer(200, await login(deps, parseLogin(request.body), request.meta), request.transport, cookies),
);
