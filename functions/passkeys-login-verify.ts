import { serviceDeps } from '../lib/container/service';
import { cookieModeSettings, tokenAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { signInWithPasskey } from '../lib/usecases/passkeys';
import { parsePasskeyLogin } from '../lib/validation';

const deps = serviceDeps();
const cookies = cookieModeSettings(deps.config);

/** POST /auth/passkeys/login/verify { response } → 200 { user, ...token response } at aal2 (cookie mode as for login). */
export const handler = httpHandler(
  { config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: false } },
  async (request) => tokenAnswer(200, await signInWithPasskey(deps, parsePasskeyLogin(request.body), request.meta), request.transport, cookies),
);
