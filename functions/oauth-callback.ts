import { federationDeps } from '../lib/container/federation';
import { flowCookie, flowCookieOf } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { redirect } from '../lib/http/responses';
import { completeFederatedCallback } from '../lib/usecases/federation';

const deps = federationDeps();

/**
 * GET /auth/oauth/{provider}/callback?code=&state=&iss= (the provider sends the browser here) →
 * 302 to the app's redirect_uri with ?code=<one-time code> or ?error=<code>; the flow cookie is
 * cleared. A state that names no live flow of this browser is 400, no redirect.
 */
export const handler = httpHandler({ config: deps.config }, async ({ event, meta }) => {
  const query = new URLSearchParams(event.rawQueryString ?? '');
  const location = await completeFederatedCallback(deps, event.pathParameters?.provider ?? '', query, flowCookieOf(event), meta);
  return redirect(location, [flowCookie('', 0)]);
});
