import { federationDeps } from '../lib/container/federation';
import { httpHandler } from '../lib/http/middleware';
import { noContent } from '../lib/http/responses';
import { stepUpPolicy } from '../lib/step-up';
import { unlinkIdentity } from '../lib/usecases/identity-links';

const deps = federationDeps();

/**
 * DELETE /auth/identities/{provider} (behind the authorizer, step-up) → 204; not linked → 404;
 * the account's last way to sign in → 409 last_sign_in_method.
 */
export const handler = httpHandler({ config: deps.config, caller: 'required', stepUp: stepUpPolicy(deps) }, async ({ caller, event, meta }) => {
  await unlinkIdentity(deps, caller, event.pathParameters?.provider ?? '', meta);
  return noContent();
});
