import { serviceDeps } from '../lib/container/service';
import { httpHandler } from '../lib/http/middleware';
import { requestMeta } from '../lib/http/request';
import { json } from '../lib/http/responses';
import { register } from '../lib/usecases/register';
import { parseRegister } from '../lib/validation';

const deps = serviceDeps();

/** POST /auth/register → 201 { user, accessToken, refreshToken, tokenType, expiresIn } */
export const handler = httpHandler({ body: 'json', maxBodyBytes: deps.config.maxBodyBytes }, async (event) =>
  json(201, await register(deps, parseRegister(event.body), requestMeta(event))),
);
