import { accountDeps } from '../lib/container/account';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { confirmEmailChange } from '../lib/usecases/email-change';
import { parseVerifyEmail } from '../lib/validation';

const deps = accountDeps();

/** POST /auth/email/change/confirm { token } → 200 user with the new email; every other session is revoked. */
export const handler = httpHandler({ config: deps.config, body: 'json' }, async (request) =>
  json(200, await confirmEmailChange(deps, parseVerifyEmail(request.body).token, request.meta)),
);
