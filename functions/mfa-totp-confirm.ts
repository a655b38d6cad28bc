import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { confirmTotp } from '../lib/usecases/mfa';
import { parseTotpConfirm } from '../lib/validation';

// The SES sender: the user is told of every factor change (lib/usecases/mfa.ts `noticeFactorChange`).
const deps = accountDeps(sesSender());

/**
 * POST /auth/mfa/totp/confirm { factorId, code } (behind the authorizer) → 200 { factor,
 * recoveryCodes? (first factor), ...token response }: the caller's session is now aal2.
 */
export const handler = httpHandler({ config: deps.config, body: 'json', caller: 'required' }, async ({ caller, body, meta }) =>
  json(200, await confirmTotp(deps, caller, parseTotpConfirm(body), meta), { 'cache-control': 'no-store' }),
);
