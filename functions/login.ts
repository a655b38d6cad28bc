import { serviceDeps } from '../lib/container/service';
import { httpHandler } from '../lib/http/middleware';
import { requestMeta } from '../lib/http/request';
import { json } from '../lib/http/responses';
import { login } from '../lib/usecases/login';
import { parseLogin } from '../lib/validation';

const deps = serviceDeps();

/** POST /auth/login → 200 { user, accessToken, refreshToken, tokenType, expiresIn } */
export const handler = httpHandler({ body: 'json', maxBodyBytes: deps.config.maxBodyBytes }, async (event) =>
  json(200, await login(deps, parseLogin(event.body), requestMeta(event))),
);
