import { accountDeps } from '../lib/container/account';
import { unauthorized } from '../lib/errors';
import { httpHandler } from '../lib/http/middleware';
import { authorizerContext, requestMeta } from '../lib/http/request';
import { noContent } from '../lib/http/responses';
import { changePassword } from '../lib/usecases/password';
import { parseChangePassword } from '../lib/validation';

const deps = accountDeps();

/** POST /auth/password/change (behind the authorizer) → 204; every other session of the user is revoked. */
export const handler = httpHandler({ body: 'json', maxBodyBytes: deps.config.maxBodyBytes }, async (event) => {
  const caller = authorizerContext(event);
  if (!caller) throw unauthorized();
  await changePassword(deps, caller, parseChangePassword(event.body), requestMeta(event));
  return noContent();
});
