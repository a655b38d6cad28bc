import { accountDeps } from '../lib/container/account';
import { sesSender } from '../lib/container/mail';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { registerPasskey } from '../lib/usecases/passkeys';
import { parsePasskeyRegister } from '../lib/validation';

// The SES sender: the user is told of every factor change (lib/usecases/mfa.ts `noticeFactorChange`).
const deps = accountDeps(sesSender());

/**
 * POST /auth/passkeys/register/verify { response, name? } (behind the authorizer) → 201 { factor }.
 * Not step-up itself: its options were, and their challenge is bound to this user for 5 minutes.
 */
export const handler = httpHandler({ config: deps.config, body: 'json', caller: 'required' }, async ({ caller, body, meta }) =>
  json(201, await registerPasskey(deps, caller, parsePasskeyRegister(body), meta)),
);
