import { serviceDeps } from '../lib/container/service';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { stepUpPolicy } from '../lib/step-up';
import { regenerateRecoveryCodes } from '../lib/usecases/mfa';

const deps = serviceDeps();

/** POST /auth/mfa/recovery-codes (behind the authorizer, step-up) → 200 { recoveryCodes }: 10 new; the old ones stop working. */
export const handler = httpHandler({ config: deps.config, caller: 'required', stepUp: stepUpPolicy(deps) }, async ({ caller, meta }) =>
  json(200, await regenerateRecoveryCodes(deps, caller, meta), { 'cache-control': 'no-store' }),
);
