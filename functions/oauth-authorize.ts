import { federationDeps } from '../lib/container/federation';
import { flowCookie } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { redirect } from '../lib/http/responses';
import { FLOW_TTL_SECONDS } from '../lib/repositories/federation';
import { startFederatedSignIn } from '../lib/usecases/federation';

const deps = federationDeps();

/**
 * GET /auth/oauth/{provider}/authorize?redirect_uri=&login_hint= → 302 to the provider (PKCE,
 * state, nonce), with the flow cookie; a `redirect_uri` off the allowed origins is 400, no redirect.
 */
export const handler = httpHandler({ config: deps.config }, async ({ event }) => {
  const query = event.queryStringParameters ?? {};
  const flow = await startFederatedSignIn(deps, event.pathParameters?.provider ?? '', { redirect_uri: query.redirect_uri, login_hint: query.login_hint });
  return redirect(flow.location, [flowCookie(flow.browserCookie, FLOW_TTL_SECONDS)]);
});
