import { serviceDeps } from '../lib/container/service';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { passkeyLoginOptions } from '../lib/usecases/passkey-options';

const deps = serviceDeps();

/** POST /auth/passkeys/login/options {} → 200 WebAuthn request options for discoverable credentials. */
export const handler = httpHandler({ config: deps.config, body: 'json' }, async ({ meta }) =>
  json(200, await passkeyLoginOptions(deps, meta), { 'cache-control': 'no-store' }),
);
