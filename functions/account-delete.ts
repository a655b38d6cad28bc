import { accountDeps } from '../lib/container/account';
import { httpHandler } from '../lib/http/middleware';
import { noContent } from '../lib/http/responses';
import { stepUpPolicy } from '../lib/step-up';
import { deleteAccount } from '../lib/usecases/account-deletion';
import { parseDeleteAccount } from '../lib/validation';

const deps = accountDeps();

/** DELETE /auth/me { password } ({} for an account without a password; behind the authorizer, step-up) → 204; the user, its email claim and every session are gone. */
export const handler = httpHandler({ config: deps.config, body: 'json', caller: 'required', stepUp: stepUpPolicy(deps) }, async (request) => {
  await deleteAccount(deps, request.caller, parseDeleteAccount(request.body), request.meta);
  return noContent();
});
