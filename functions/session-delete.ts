import { systemClock } from '../lib/clock';
import { containerConfig } from '../lib/container/config';
import { sessionsRepository } from '../lib/container/data';
import { unauthorized } from '../lib/errors';
import { httpHandler } from '../lib/http/middleware';
import { authorizerContext } from '../lib/http/request';
import { noContent } from '../lib/http/responses';
import { endMySession } from '../lib/usecases/user-sessions';

containerConfig();
const deps = { sessions: sessionsRepository(), clock: systemClock };

/** DELETE /auth/sessions/{id} (behind the authorizer) → 204; not the caller's active session → 404. */
export const handler = httpHandler({ body: 'none' }, async (event) => {
  const caller = authorizerContext(event);
  if (!caller) throw unauthorized();
  await endMySession(deps, caller, event.pathParameters?.id);
  return noContent();
});
