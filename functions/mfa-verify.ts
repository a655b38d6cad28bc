import { serviceDeps } from '../lib/container/service';
import { cookieModeSettings, tokenAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { verifySecondFactor } from '../lib/usecases/mfa';
import { verifyPasskeySecondStep } from '../lib/usecases/passkeys';
import { parseMfaVerify } from '../lib/validation';

const deps = serviceDeps();
const cookies = cookieModeSettings(deps.config);

/**
 * POST /auth/mfa/verify { mfaToken, code }, { mfaToken, recoveryCode } or { mfaToken, passkey } →
 * 200 { user, ...token response }: completes a sign-in that answered `mfaRequired` (cookie mode as
 * for login).
 */
export const handler = httpHandler({ config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: false } }, async (request) => {
  const input = parseMfaVerify(request.body);
  const result = input.passkey ? await verifyPasskeySecondStep(deps, input, request.meta) : await verifySecondFactor(deps, input, request.meta);
  return tokenAnswer(200, result, request.transport, cookies);
});
