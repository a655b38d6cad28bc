import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { resendVerification } from '../lib/usecases/email-verification';

const deps = accountDeps(sesSender());

/** POST /auth/email/resend (behind the authorizer) → 202 {} */
export const handler = httpHandler({ config: deps.config, caller: 'required' }, async (request) => {
  await resendVerification(deps, request.caller.userId, request.meta);
  return json(202, {});
});
