import { serviceDeps } from '../lib/container/service';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { passkeyChallengeForMfa } from '../lib/usecases/passkey-options';
import { parseMfaChallenge } from '../lib/validation';

const deps = serviceDeps();

/** POST /auth/mfa/challenge { mfaToken } → 200 WebAuthn request options for the user's passkeys (then /auth/mfa/verify with `passkey`). */
export const handler = httpHandler({ config: deps.config, body: 'json' }, async ({ body }) =>
  json(200, await passkeyChallengeForMfa(deps, parseMfaChallenge(body)), { 'cache-control': 'no-store' }),
);
