import { serviceDeps } from '../lib/container/service';
import { cookieModeSettings, tokenAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { reauthenticate } from '../lib/usecases/mfa';
import { reauthenticateWithPasskey } from '../lib/usecases/passkeys';
import { parseReauthenticate } from '../lib/validation';

const deps = serviceDeps();
const cookies = cookieModeSettings(deps.config);

/**
 * POST /auth/reauthenticate { password, code? } or { passkey } (behind the authorizer) → 200
 * token response for the same session, fresh auth_time. The session's refresh token is replaced,
 * so in cookie mode the new one goes into the cookie and never into the body.
 */
export const handler = httpHandler(
  { config: deps.config, body: 'json', caller: 'required', cookieMode: { settings: cookies, readsCookie: false } },
  async ({ caller, body, meta, transport }) => {
    const input = parseReauthenticate(body);
    const tokens = input.passkey ? await reauthenticateWithPasskey(deps, caller, input) : await reauthenticate(deps, caller, input, meta);
    return tokenAnswer(200, tokens, transport, cookies);
  },
);
