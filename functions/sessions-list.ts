import { systemClock } from '../lib/clock';
import { containerConfig } from '../lib/container/config';
import { sessionsRepository } from '../lib/container/data';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { mySessions } from '../lib/usecases/user-sessions';

const config = containerConfig();
const deps = { sessions: sessionsRepository(), clock: systemClock };

/** GET /auth/sessions (behind the authorizer) → 200 { sessions: [...] }, the caller's own. */
export const handler = httpHandler({ config, caller: 'required' }, async ({ caller }) => json(200, { sessions: await mySessions(deps, caller) }));
