import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { forgotPassword } from '../lib/usecases/password';
import { parseForgot } from '../lib/validation';

const deps = accountDeps(sesSender());

/** POST /auth/password/forgot → 202 {} whether or not the account exists. */
export const handler = httpHandler({ config: deps.config, body: 'json' }, async (request) => {
  await forgotPassword(deps, parseForgot(request.body), request.meta);
  return json(202, {});
});
