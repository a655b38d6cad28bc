import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { stepUpPolicy } from '../lib/step-up';
import { requestEmailChange } from '../lib/usecases/email-change';
import { parseEmailChange } from '../lib/validation';

const deps = accountDeps(sesSender());

/** POST /auth/email/change { newEmail } (behind the authorizer, step-up) → 202 {}; a link to the new address, a notice to the old one. */
export const handler = httpHandler({ config: deps.config, body: 'json', caller: 'required', stepUp: stepUpPolicy(deps) }, async (request) => {
  await requestEmailChange(deps, request.caller, parseEmailChange(request.body), request.meta);
  return json(202, {});
});
