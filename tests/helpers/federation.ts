/**
 * Drives a federated sign-in over HTTP the way a browser does, through the real redirects:
 * our authorize endpoint, the local OpenID provider (scripts/local-idp.ts) and its automatic
 * sign-in for `login_hint`, back to our callback. Each step can be stopped to tamper with it.
 */
import { expect, inject } from 'vitest';

/** The demo's origin: on the gateway's allowed origins (the local default). */
export const APP_ORIGIN = 'http://localhost:5173';
export const APP_REDIRECT = `${APP_ORIGIN}/`;

/** The gateway under the host name the providers' redirect URIs use (cookies are per host). */
export const apiBase = () => `http://localhost:${inject('gatewayPort')}`;

export interface ProviderLeg {
  /** Our callback URL as the provider sent the browser to it (code, state, iss). */
  callbackUrl: URL;
  /** The flow cookie our authorize endpoint set (`__Host-oauth_flow=...`). */
  flowCookie: string;
}

function cookiePair(setCookie: string): string {
  return setCookie.split(';')[0]!;
}

/** GET our authorize endpoint; returns the raw answer (redirect not followed). */
export function authorize(provider: string, params: Record<string, string>): Promise<Response> {
  const url = new URL(`${apiBase()}/auth/oauth/${provider}/authorize`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return fetch(url, { redirect: 'manual' });
}

/**
 * Starts a flow with `provider` for `email` and follows the provider's redirects (with its own
 * cookies) until it sends the browser to our callback; stops there.
 */
export async function providerLeg(provider: string, email: string, redirectUri = APP_REDIRECT): Promise<ProviderLeg> {
  const start = await authorize(provider, { redirect_uri: redirectUri, login_hint: email });
  expect(start.status, await start.clone().text()).toBe(302);
  return followProvider(new URL(start.headers.get('location')!), flowCookieOf(start));
}

/** The `__Host-oauth_flow=...` pair an answer of ours set. */
export function flowCookieOf(answer: Response): string {
  return cookiePair(answer.headers.getSetCookie().find((c) => c.startsWith('__Host-oauth_flow='))!);
}

/**
 * Follows the provider's redirects from its authorization URL (with the provider's own cookies)
 * until it sends the browser to our callback; stops there.
 */
export async function followProvider(authorizationUrl: URL, flowCookie: string): Promise<ProviderLeg> {
  const jar = new Map<string, string>();
  let url = authorizationUrl;
  for (let hops = 0; hops < 10; hops += 1) {
    if (url.origin === apiBase()) return { callbackUrl: url, flowCookie };
    const answer = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar.values()].join('; ') } });
    for (const c of answer.headers.getSetCookie()) jar.set(c.split('=')[0]!, cookiePair(c));
    const location = answer.headers.get('location');
    if (!location) throw new Error(`the provider stopped at ${url.href}: ${answer.status} ${(await answer.text()).slice(0, 300)}`);
    url = new URL(location, url);
  }
  throw new Error('too many redirects at the provider');
}

/** Delivers the provider's answer to our callback (of `provider`, by default the one in the URL). */
export async function callback(leg: ProviderLeg, options: { provider?: string; cookie?: string | null } = {}): Promise<Response> {
  const url = new URL(leg.callbackUrl);
  if (options.provider) url.pathname = `/auth/oauth/${options.provider}/callback`;
  const cookie = options.cookie === undefined ? leg.flowCookie : options.cookie;
  return fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
}

/** The app-side result of a callback's redirect: `code` or `error` on the redirect URI. */
export function landing(answer: Response): { url: URL; code: string | null; error: string | null } {
  expect(answer.status).toBe(302);
  const url = new URL(answer.headers.get('location')!);
  return { url, code: url.searchParams.get('code'), error: url.searchParams.get('error') };
}

/** The whole flow up to the app's landing page: the one-time code (or the error). */
export async function federatedCode(provider: string, email: string): Promise<{ code: string | null; error: string | null }> {
  return landing(await callback(await providerLeg(provider, email)));
}

/** Makes the provider's next ID tokens carry `claims` (validly re-signed); `undefined` stops it. */
export async function tamperIdTokens(provider: 'local' | 'unverified', claims: Record<string, unknown> | undefined): Promise<void> {
  const base = inject('idps')[provider];
  const answer = await fetch(`${base}/__test/id-token`, claims ? { method: 'POST', body: JSON.stringify(claims) } : { method: 'DELETE' });
  expect(answer.status).toBe(204);
}
