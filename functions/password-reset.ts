import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { httpHandler } from '../lib/http/middleware';
import { noContent } from '../lib/http/responses';
import { resetPassword } from '../lib/usecases/password';
import { parseReset } from '../lib/validation';

const deps = accountDeps(sesSender());

/** POST /auth/password/reset { token, newPassword } → 204; every session of the user is revoked. */
export const handler = httpHandler({ config: deps.config, body: 'json' }, async (request) => {
  await resetPassword(deps, parseReset(request.body), request.meta);
  return noContent();
});
