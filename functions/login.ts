import { serviceDeps } from '../lib/container/service';
import { cookieModeSettings, deviceCookie, deviceTokenFromCookie, tokenAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { login } from '../lib/usecases/login';
import { parseLogin } from '../lib/validation';

const deps = serviceDeps();
const cookies = cookieModeSettings(deps.config);
const deviceMaxAge = deps.config.loginDeviceTtlDays * 86_400;

/**
 * POST /auth/login → 200 { user, accessToken, refreshToken, tokenType, expiresIn, deviceToken? };
 * in cookie mode (`X-Auth-Transport: cookie`) the refresh token goes into the refresh cookie and
 * the device token into the device cookie instead of the body. A client sends its device token
 * back with its next login (`deviceToken`, or the cookie), keeping an allowance of its own.
 */
export const handler = httpHandler(
  { config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: false } },
  async (request) => {
    const input = parseLogin(request.body);
    if (request.transport === 'cookie') input.deviceToken = deviceTokenFromCookie(request.event);
    const { deviceToken, ...signedIn } = await login(deps, input, request.meta);
    if (request.transport === 'body') return tokenAnswer(200, { ...signedIn, deviceToken }, 'body', cookies);
    const answer = tokenAnswer(200, signedIn, 'cookie', cookies);
    return deviceToken ? { ...answer, cookies: [...(answer.cookies ?? []), deviceCookie(deviceToken, deviceMaxAge)] } : answer;
  },
);
