import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { httpHandler } from '../lib/http/middleware';
import { noContent } from '../lib/http/responses';
import { stepUpPolicy } from '../lib/step-up';
import { changePassword } from '../lib/usecases/password';
import { parseChangePassword } from '../lib/validation';

const deps = accountDeps(sesSender());

/** POST /auth/password/change (behind the authorizer, step-up) → 204; every other session of the user is revoked. */
export const handler = httpHandler({ config: deps.config, body: 'json', caller: 'required', stepUp: stepUpPolicy(deps) }, async (request) => {
  await changePassword(deps, request.caller, parseChangePassword(request.body), request.meta);
  return noContent();
});
