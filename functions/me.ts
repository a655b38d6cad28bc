import { containerConfig } from '../lib/container/config';
import { usersRepository } from '../lib/container/data';
import { unauthorized } from '../lib/errors';
import { httpHandler } from '../lib/http/middleware';
import { authorizerContext } from '../lib/http/request';
import { json } from '../lib/http/responses';
import { me } from '../lib/usecases/me';

containerConfig();
const deps = { users: usersRepository() };

/** GET /auth/me (behind the authorizer) → 200 user */
export const handler = httpHandler({ body: 'none' }, async (event) => {
  const caller = authorizerContext(event);
  if (!caller) throw unauthorized();
  return json(200, await me(deps, caller.userId));
});
