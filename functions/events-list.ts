import { systemClock } from '../lib/clock';
import { containerConfig } from '../lib/container/config';
import { securityEventsRepository } from '../lib/container/data';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { myEvents } from '../lib/usecases/security-activity';

const config = containerConfig();
const deps = { events: securityEventsRepository(), clock: systemClock };

/** GET /auth/events?limit=&cursor= (behind the authorizer) → 200 { events: [...], next? }, the caller's own, newest first. */
export const handler = httpHandler({ config, caller: 'required' }, async ({ caller, event }) =>
  json(200, await myEvents(deps, caller, { limit: event.queryStringParameters?.limit, cursor: event.queryStringParameters?.cursor })),
);
