import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { cookieModeSettings, signInAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { verifySecondFactor } from '../lib/usecases/mfa';
import { verifyPasskeySecondStep } from '../lib/usecases/passkeys';
import { parseMfaVerify } from '../lib/validation';

// The SES sender: a sign-in from a device not seen before notifies the user (lib/sign-in.ts).
const deps = accountDeps(sesSender());
const cookies = cookieModeSettings(deps.config);
const deviceMaxAge = deps.config.loginDeviceTtlDays * 86_400;

/**
 * POST /auth/mfa/verify { mfaToken, code }, { mfaToken, recoveryCode } or { mfaToken, passkey } →
 * 200 { user, ...token response, deviceToken? }: completes a sign-in that answered `mfaRequired`
 * (cookie mode and the device token as for login; the device is the one the login presented).
 */
export const handler = httpHandler({ config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: false } }, async (request) => {
  const input = parseMfaVerify(request.body);
  const result = input.passkey ? await verifyPasskeySecondStep(deps, input, request.meta) : await verifySecondFactor(deps, input, request.meta);
  return signInAnswer(200, result, request.transport, cookies, deviceMaxAge);
});
