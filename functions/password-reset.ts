import { accountDeps } from '../lib/container/account';
import { httpHandler } from '../lib/http/middleware';
import { requestMeta } from '../lib/http/request';
import { noContent } from '../lib/http/responses';
import { resetPassword } from '../lib/usecases/password';
import { parseReset } from '../lib/validation';

const deps = accountDeps();

/** POST /auth/password/reset { token, newPassword } → 204; every session of the user is revoked. */
export const handler = httpHandler({ body: 'json', maxBodyBytes: deps.config.maxBodyBytes }, async (event) => {
  await resetPassword(deps, parseReset(event.body), requestMeta(event));
  return noContent();
});
