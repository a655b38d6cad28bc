import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { cookieModeSettings, deviceTokenFromCookie, signInAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { signInWithPasskey } from '../lib/usecases/passkeys';
import { parsePasskeyLogin } from '../lib/validation';

// The SES sender: a sign-in from a device not seen before notifies the user (lib/sign-in.ts).
const deps = accountDeps(sesSender());
const cookies = cookieModeSettings(deps.config);
const deviceMaxAge = deps.config.loginDeviceTtlDays * 86_400;

/** POST /auth/passkeys/login/verify { response } → 200 { user, ...token response } at aal2 (cookie mode as for login). */
export const handler = httpHandler(
  { config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: false } },
  async (request) => {
    const input = parsePasskeyLogin(request.body);
    if (request.transport === 'cookie') input.deviceToken = deviceTokenFromCookie(request.event);
    return signInAnswer(200, await signInWithPasskey(deps, input, request.meta), request.transport, cookies, deviceMaxAge);
  },
);
