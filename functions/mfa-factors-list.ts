import { serviceDeps } from '../lib/container/service';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { listFactors } from '../lib/usecases/mfa';

const deps = serviceDeps();

/** GET /auth/mfa/factors (behind the authorizer) → 200 { factors }: the caller's confirmed factors. */
export const handler = httpHandler({ config: deps.config, caller: 'required' }, async ({ caller }) => json(200, await listFactors(deps, caller)));
