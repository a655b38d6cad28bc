import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { unauthorized } from '../lib/errors';
import { httpHandler } from '../lib/http/middleware';
import { authorizerContext, requestMeta } from '../lib/http/request';
import { json } from '../lib/http/responses';
import { resendVerification } from '../lib/usecases/email-verification';

const deps = accountDeps(sesSender());

/** POST /auth/email/resend (behind the authorizer) → 202 {} */
export const handler = httpHandler({ body: 'none' }, async (event) => {
  const caller = authorizerContext(event);
  if (!caller) throw unauthorized();
  await resendVerification(deps, caller.userId, requestMeta(event));
  return json(202, {});
});
