import { serviceDeps } from '../lib/container/service';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { refresh } from '../lib/usecases/refresh';
import { parseRefresh } from '../lib/validation';

const deps = serviceDeps();

/** POST /auth/refresh → 200 { accessToken, refreshToken, tokenType, expiresIn } */
export const handler = httpHandler({ body: 'json', maxBodyBytes: deps.config.maxBodyBytes }, async (event) =>
  json(200, await refresh(deps, parseRefresh(event.body).refreshToken)),
);
