import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { stepUpPolicy } from '../lib/step-up';
import { regenerateRecoveryCodes } from '../lib/usecases/mfa';

// The SES sender: the user is told of every factor change (lib/usecases/mfa.ts `noticeFactorChange`).
const deps = accountDeps(sesSender());

/** POST /auth/mfa/recovery-codes (behind the authorizer, step-up) → 200 { recoveryCodes }: 10 new; the old ones stop working. */
export const handler = httpHandler({ config: deps.config, caller: 'required', stepUp: stepUpPolicy(deps) }, async ({ caller, meta }) =>
  json(200, await regenerateRecoveryCodes(deps, caller, meta), { 'cache-control': 'no-store' }),
);
