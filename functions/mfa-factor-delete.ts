import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { httpHandler } from '../lib/http/middleware';
import { noContent } from '../lib/http/responses';
import { stepUpPolicy } from '../lib/step-up';
import { removeFactor } from '../lib/usecases/mfa';

// The SES sender: the user is told of every factor change (lib/usecases/mfa.ts `noticeFactorChange`).
const deps = accountDeps(sesSender());

/** DELETE /auth/mfa/factors/{id} (behind the authorizer, step-up) → 204; not the caller's factor → 404. */
export const handler = httpHandler({ config: deps.config, caller: 'required', stepUp: stepUpPolicy(deps) }, async ({ caller, event, meta }) => {
  await removeFactor(deps, caller, event.pathParameters?.id ?? '', meta);
  return noContent();
});
