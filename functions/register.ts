import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { cookieModeSettings, tokenAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { register } from '../lib/usecases/register';
import { parseRegister } from '../lib/validation';

const deps = accountDeps(sesSender());
const cookies = cookieModeSettings(deps.config);

/**
 * POST /auth/register → 201 { user, accessToken, refreshToken, tokenType, expiresIn }, and the
 * verification email; in cookie mode (`X-Auth-Transport: cookie`) the refresh token goes into the
 * refresh cookie instead of the body.
 */
export const handler = httpHandler(
  { config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: false } },
  async (request) => tokenAnswer(201, await register(deps, parseRegister(request.body), request.meta), request.transport, cookies),
);
