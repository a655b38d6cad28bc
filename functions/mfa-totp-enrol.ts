import { serviceDeps } from '../lib/container/service';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { stepUpPolicy } from '../lib/step-up';
import { enrolTotp } from '../lib/usecases/mfa';

const deps = serviceDeps();

/** POST /auth/mfa/totp (behind the authorizer, step-up) → 201 { factor, secret, otpauthUri }: shown this once. */
export const handler = httpHandler({ config: deps.config, caller: 'required', stepUp: stepUpPolicy(deps) }, async ({ caller }) =>
  json(201, await enrolTotp(deps, caller), { 'cache-control': 'no-store' }),
);
