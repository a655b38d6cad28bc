import { systemClock } from '../lib/clock';
import { containerConfig } from '../lib/container/config';
import { securityEventsRepository, sessionsRepository } from '../lib/container/data';
import { httpHandler } from '../lib/http/middleware';
import { noContent } from '../lib/http/responses';
import { endMySession } from '../lib/usecases/user-sessions';

const config = containerConfig();
const deps = { sessions: sessionsRepository(), events: securityEventsRepository(), clock: systemClock };

/** DELETE /auth/sessions/{id} (behind the authorizer) → 204; not the caller's active session → 404. */
export const handler = httpHandler({ config, caller: 'required' }, async ({ caller, event, meta }) => {
  await endMySession(deps, caller, event.pathParameters?.id, meta);
  return noContent();
});
