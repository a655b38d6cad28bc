import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { httpHandler } from '../lib/http/middleware';
import { noContent } from '../lib/http/responses';
import { changePassword } from '../lib/usecases/password';
import { parseChangePassword } from '../lib/validation';

const deps = accountDeps(sesSender());

/** POST /auth/password/change (behind the authorizer) → 204; every other session of the user is revoked. */
export const handler = httpHandler({ config: deps.config, body: 'json', caller: 'required' }, async (request) => {
  await changePassword(deps, request.caller, parseChangePassword(request.body), request.meta);
  return noContent();
});
