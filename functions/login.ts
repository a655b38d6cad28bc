import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { cookieModeSettings, deviceTokenFromCookie, signInAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { login } from '../lib/usecases/login';
import { parseLogin } from '../lib/validation';

// The SES sender: a sign-in from a device not seen before notifies the user (lib/sign-in.ts).
const deps = accountDeps(sesSender());
const cookies = cookieModeSettings(deps.config);
const deviceMaxAge = deps.config.loginDeviceTtlDays * 86_400;

/**
 * POST /auth/login → 200 { user, accessToken, refreshToken, tokenType, expiresIn, deviceToken? };
 * in cookie mode (`X-Auth-Transport: cookie`) the refresh token goes into the refresh cookie and
 * the device token into the device cookie instead of the body. A client sends its device token
 * back with its next login (`deviceToken`, or the cookie), keeping an allowance of its own and
 * sparing its user a "new sign-in" notice.
 */
export const handler = httpHandler(
  { config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: false } },
  async (request) => {
    const input = parseLogin(request.body);
    if (request.transport === 'cookie') input.deviceToken = deviceTokenFromCookie(request.event);
    return signInAnswer(200, await login(deps, input, request.meta), request.transport, cookies, deviceMaxAge);
  },
);
