import { serviceDeps } from '../lib/container/service';
import { bearerToken } from '../lib/http/bearer';
import { httpHandler } from '../lib/http/middleware';
import { noContent } from '../lib/http/responses';
import { logout } from '../lib/usecases/logout';
import { parseLogout } from '../lib/validation';

const deps = serviceDeps();

/** POST /auth/logout → 204. Bearer needed for scope global/others. */
export const handler = httpHandler({ body: 'json', maxBodyBytes: deps.config.maxBodyBytes }, async (event) => {
  const authorization = event.headers?.authorization;
  const bearer = authorization === undefined ? undefined : (bearerToken(authorization) ?? '');
  await logout(deps, parseLogout(event.body), bearer);
  return noContent();
});
