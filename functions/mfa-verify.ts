import { serviceDeps } from '../lib/container/service';
import { cookieModeSettings, tokenAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { verifySecondFactor } from '../lib/usecases/mfa';
import { parseMfaVerify } from '../lib/validation';

const deps = serviceDeps();
const cookies = cookieModeSettings(deps.config);

/**
 * POST /auth/mfa/verify { mfaToken, code } or { mfaToken, recoveryCode } → 200 { user, ...token
 * response }: completes a sign-in that answered `mfaRequired` (cookie mode as for login).
 */
export const handler = httpHandler(
  { config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: false } },
  async (request) => tokenAnswer(200, await verifySecondFactor(deps, parseMfaVerify(request.body), request.meta), request.transport, cookies),
);
