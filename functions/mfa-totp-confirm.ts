import { serviceDeps } from '../lib/container/service';
import { cookieModeSettings, tokenAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { confirmTotp } from '../lib/usecases/mfa';
import { parseTotpConfirm } from '../lib/validation';

const deps = serviceDeps();
const cookies = cookieModeSettings(deps.config);

/**
 * POST /auth/mfa/totp/confirm { factorId, code } (behind the authorizer) → 200 { factor,
 * recoveryCodes? (first factor), ...token response }: the caller's session is now aal2. Its
 * refresh token is replaced: in cookie mode the new one goes into the cookie, never the body.
 */
export const handler = httpHandler(
  { config: deps.config, body: 'json', caller: 'required', cookieMode: { settings: cookies, readsCookie: false } },
  async ({ caller, body, meta, transport }) => tokenAnswer(200, await confirmTotp(deps, caller, parseTotpConfirm(body), meta), transport, cookies),
);
