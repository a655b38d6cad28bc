import { accountDeps } from '../lib/container/account';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { verifyEmail } from '../lib/usecases/email-verification';
import { parseVerifyEmail } from '../lib/validation';

const deps = accountDeps();

/** POST /auth/email/verify { token } → 200 user with emailVerified: true */
export const handler = httpHandler({ config: deps.config, body: 'json' }, async (request) =>
  json(200, await verifyEmail(deps, parseVerifyEmail(request.body).token, request.meta)),
);
