import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { cookieModeSettings, tokenAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { requestMeta } from '../lib/http/request';
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
  { body: 'json', maxBodyBytes: deps.config.maxBodyBytes, cookieMode: { settings: cookies, readsCookie: false } },
  async (event) => tokenAnswer(201, await register(deps, parseRegister(event.body), requestMeta(event, deps.config)), event.authTransport ?? 'body', cookies),
);
