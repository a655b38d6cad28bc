import { serviceDeps } from '../lib/container/service';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { reauthenticate } from '../lib/usecases/mfa';
import { parseReauthenticate } from '../lib/validation';

const deps = serviceDeps();

/** POST /auth/reauthenticate { password, code? } (behind the authorizer) → 200 token response for the same session, fresh auth_time. */
export const handler = httpHandler({ config: deps.config, body: 'json', caller: 'required' }, async ({ caller, body, meta }) =>
  json(200, await reauthenticate(deps, caller, parseReauthenticate(body), meta)),
);
