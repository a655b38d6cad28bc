/**
 * The two URLs of a federated flow on this service's side: the callback registered with each
 * provider, and the app's `redirect_uri` the flow returns to. Shared by sign-in and linking
 * (lib/usecases/federation.ts, lib/usecases/identity-links.ts).
 */
import { invalidRequest } from '../errors';

/** The path of a provider's callback on this service (registered with the provider). */
export const callbackPath = (provider: string) => `/auth/oauth/${provider}/callback`;
export const callbackUrl = (issuer: string, provider: string) => `${issuer.replace(/\/+$/, '')}${callbackPath(provider)}`;

/**
 * `redirect_uri` as a URL on one of `allowedOrigins`, compared as origins after parsing: a
 * look-alike host (`localhost:5173.evil.com`), userinfo (`http://localhost:5173@evil.com`),
 * another scheme or port, or anything that does not parse is refused.
 */
export function allowedRedirect(raw: unknown, allowedOrigins: readonly string[]): URL {
  const refuse = () => invalidRequest([{ field: 'redirect_uri', message: 'must be an absolute URL on an allowed origin' }]);
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) throw refuse();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse();
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.hash) throw refuse();
  if (!allowedOrigins.includes(url.origin)) throw refuse();
  return url;
}
