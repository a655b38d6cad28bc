import { federationDeps } from '../lib/container/federation';
import { cookieModeSettings, tokenAnswer } from '../lib/http/cookie-mode';
import { httpHandler } from '../lib/http/middleware';
import { exchangeFederatedCode } from '../lib/usecases/federation';
import { parseOAuthCode } from '../lib/validation';

const deps = federationDeps();
const cookies = cookieModeSettings(deps.config);

/**
 * POST /auth/oauth/token { code } → 200 { user, ...token response } or the mfaRequired answer;
 * in cookie mode (`X-Auth-Transport: cookie`) the refresh token goes into the refresh cookie.
 */
export const handler = httpHandler(
  { config: deps.config, body: 'json', cookieMode: { settings: cookies, readsCookie: false } },
  async (request) => tokenAnswer(200, await exchangeFederatedCode(deps, parseOAuthCode(request.body).code, request.meta), request.transport, cookies),
);
