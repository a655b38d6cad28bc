import { federationDeps } from '../lib/container/federation';
import { sesSender } from '../lib/container/mail';
import { cookieModeSettings, deviceTokenFromCookie, signInAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { exchangeFederatedCode } from '../lib/usecases/federation';
import { parseOAuthCode } from '../lib/validation';

// The SES sender: a sign-in from a device not seen before notifies the user (lib/sign-in.ts).
const deps = federationDeps(sesSender());
const cookies = cookieModeSettings(deps.config);
const deviceMaxAge = deps.config.loginDeviceTtlDays * 86_400;

/**
 * POST /auth/oauth/token { code, deviceToken? } → 200 { user, ...token response, deviceToken? }
 * or the mfaRequired answer; in cookie mode (`X-Auth-Transport: cookie`) the refresh token goes
 * into the refresh cookie and the device token into the device cookie, as at login.
 */
export const handler = httpHandler(
  { config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: false } },
  async (request) => {
    const input = parseOAuthCode(request.body);
    if (request.transport === 'cookie') input.deviceToken = deviceTokenFromCookie(request.event);
    return signInAnswer(200, await exchangeFederatedCode(deps, input, request.meta), request.transport, cookies, deviceMaxAge);
  },
);
