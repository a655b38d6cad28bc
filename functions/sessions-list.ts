import { systemClock } from '../lib/clock';
import { containerConfig } from '../lib/container/config';
import { sessionsRepository } from '../lib/container/data';
import { unauthorized } from '../lib/errors';
import { httpHandler } from '../lib/http/middleware';
import { authorizerContext } from '../lib/http/request';
import { json } from '../lib/http/responses';
import { mySessions } from '../lib/usecases/user-sessions';

containerConfig();
const deps = { sessions: sessionsRepository(), clock: systemClock };

/** GET /auth/sessions (behind the authorizer) → 200 { sessions: [...] }, the caller's own. */
export const handler = httpHandler({ body: 'none' }, async (event) => {
  const caller = authorizerContext(event);
  if (!caller) throw unauthorized();
  return json(200, { sessions: await mySessions(deps, caller) });
});
