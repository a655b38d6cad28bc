import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { httpHandler } from '../lib/http/middleware';
import { requestMeta } from '../lib/http/request';
import { json } from '../lib/http/responses';
import { forgotPassword } from '../lib/usecases/password';
import { parseForgot } from '../lib/validation';

const deps = accountDeps(sesSender());

/** POST /auth/password/forgot → 202 {} whether or not the account exists. */
export const handler = httpHandler({ body: 'json', maxBodyBytes: deps.config.maxBodyBytes }, async (event) => {
  await forgotPassword(deps, parseForgot(event.body), requestMeta(event));
  return json(202, {});
});
