import { containerConfig } from '../lib/container/config';
import { usersRepository } from '../lib/container/data';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { me } from '../lib/usecases/me';

const config = containerConfig();
const deps = { users: usersRepository() };

/** GET /auth/me (behind the authorizer) → 200 user */
export const handler = httpHandler({ config, caller: 'required' }, async ({ caller }) => json(200, await me(deps, caller.userId)));
