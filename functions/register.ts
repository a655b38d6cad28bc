import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { cookieModeSettings, signInAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { register } from '../lib/usecases/register';
import { parseRegister } from '../lib/validation';

const deps = accountDeps(sesSender());
const cookies = cookieModeSettings(deps.config);
const deviceMaxAge = deps.config.loginDeviceTtlDays * 86_400;

/**
 * POST /auth/register → 201 { user, accessToken, refreshToken, tokenType, expiresIn, deviceToken },
 * and the verification email; in cookie mode (`X-Auth-Transport: cookie`) the refresh token goes
 * into the refresh cookie and the device token into the device cookie instead of the body. The
 * device token makes the registering client a known device at its next login, as after a login.
 */
export const handler = httpHandler(
  { config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: false } },
  async (request) => signInAnswer(201, await register(deps, parseRegister(request.body), request.meta), request.transport, cookies, deviceMaxAge),
);
