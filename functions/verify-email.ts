import { accountDeps } from '../lib/container/account';
import { httpHandler } from '../lib/http/middleware';
import { requestMeta } from '../lib/http/request';
import { json } from '../lib/http/responses';
import { verifyEmail } from '../lib/usecases/email-verification';
import { parseVerifyEmail } from '../lib/validation';

const deps = accountDeps();

/** POST /auth/email/verify { token } → 200 user with emailVerified: true */
export const handler = httpHandler({ body: 'json', maxBodyBytes: deps.config.maxBodyBytes }, async (event) =>
  json(200, await verifyEmail(deps, parseVerifyEmail(event.body).token, requestMeta(event))),
);
