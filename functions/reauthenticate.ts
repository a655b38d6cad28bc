import { serviceDeps } from '../lib/container/service';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { reauthenticate } from '../lib/usecases/mfa';
import { reauthenticateWithPasskey } from '../lib/usecases/passkeys';
import { parseReauthenticate } from '../lib/validation';

const deps = serviceDeps();

/**
 * POST /auth/reauthenticate { password, code? } or { passkey } (behind the authorizer) → 200 token
 * response for the same session, fresh auth_time.
 */
export const handler = httpHandler({ config: deps.config, body: 'json', caller: 'required' }, async ({ caller, body, meta }) => {
  const input = parseReauthenticate(body);
  return json(200, input.passkey ? await reauthenticateWithPasskey(deps, caller, input) : await reauthenticate(deps, caller, input, meta));
});
