import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { cookieModeSettings, tokenAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { confirmTotp } from '../lib/usecases/mfa';
import { parseTotpConfirm } from '../lib/validation';

// The SES sender: the user is told of every factor change (lib/usecases/mfa.ts `noticeFactorChange`).
const deps = accountDeps(sesSender());
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
