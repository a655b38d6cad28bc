import { federationDeps } from '../lib/container/federation';
import { flowCookie } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { FLOW_TTL_SECONDS } from '../lib/repositories/federation';
import { stepUpPolicy } from '../lib/step-up';
import { startIdentityLink } from '../lib/usecases/identity-links';
import { parseLinkStart } from '../lib/validation';

const deps = federationDeps();

/**
 * POST /auth/oauth/{provider}/link { redirectUri, loginHint? } (behind the authorizer, step-up)
 * → 200 { authorizationUrl } with the flow cookie; the app sends the browser there, and the
 * callback links the identity to the caller's account and goes back to redirectUri?linked=.
 */
export const handler = httpHandler({ config: deps.config, body: 'json', caller: 'required', stepUp: stepUpPolicy(deps) }, async ({ body, caller, event }) => {
  const started = await startIdentityLink(deps, caller, event.pathParameters?.provider ?? '', parseLinkStart(body));
  return { ...json(200, { authorizationUrl: started.authorizationUrl }), cookies: [flowCookie(started.browserCookie, FLOW_TTL_SECONDS)] };
});
