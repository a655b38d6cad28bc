import { serviceDeps } from '../lib/container/service';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { stepUpPolicy } from '../lib/step-up';
import { passkeyRegistrationOptions } from '../lib/usecases/passkey-options';

const deps = serviceDeps();

/** POST /auth/passkeys/register/options (behind the authorizer, step-up) → 200 WebAuthn creation options (JSON form). */
export const handler = httpHandler({ config: deps.config, caller: 'required', stepUp: stepUpPolicy(deps) }, async ({ caller }) =>
  json(200, await passkeyRegistrationOptions(deps, caller), { 'cache-control': 'no-store' }),
);
