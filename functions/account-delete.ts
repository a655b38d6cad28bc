import { accountDeps } from '../lib/container/account';
import { unauthorized } from '../lib/errors';
import { httpHandler } from '../lib/http/middleware';
import { authorizerContext, requestMeta } from '../lib/http/request';
import { noContent } from '../lib/http/responses';
import { deleteAccount } from '../lib/usecases/account-deletion';
import { parseDeleteAccount } from '../lib/validation';

const deps = accountDeps();

/** DELETE /auth/me { password } (behind the authorizer) → 204; the user, its email claim and every session are gone. */
export const handler = httpHandler({ body: 'json', maxBodyBytes: deps.config.maxBodyBytes }, async (event) => {
  const caller = authorizerContext(event);
  if (!caller) throw unauthorized();
  await deleteAccount(deps, caller, parseDeleteAccount(event.body), requestMeta(event));
  return noContent();
});
