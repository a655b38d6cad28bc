/**
 * Cookie mode: browsers keep the refresh token in a cookie JavaScript cannot read.
 *
 * A request with `X-Auth-Transport: cookie` gets the refresh token in
 * `__Host-refresh_token` (HttpOnly, Secure, SameSite, Path=/, no Domain) instead of the body;
 * /auth/refresh and /auth/logout then read it from there.
 *
 * The `__Host-` prefix is what keeps a sibling subdomain from planting the cookie (cookie tossing):
 * browsers accept a cookie of that name only when it is Secure, has `Path=/` and no `Domain`, so
 * only our own host can set it. Without it, `evil.example.com` could set a `Domain=example.com`
 * cookie of the same name carrying the attacker's refresh token; a victim without a cookie of its
 * own would then be signed into the attacker's account (login CSRF). So only that exact name is
 * read; a `__Secure-`, unprefixed or differently cased copy is ignored. The price of the prefix is
 * `Path=/`: the cookie goes to every path of the API's host, which is why the auth API belongs on
 * a host of its own (docs/guides/client.md "Where to host the API").
 *
 * A cookie is sent by the browser whoever made the page, so cookie use is guarded against
 * cross-site request forgery twice:
 * - the custom header: a cross-origin page can only add it after a CORS preflight, which the
 *   gateway grants to the allowed origins only; plain forms and `no-cors` requests cannot send
 *   it at all. A refresh or logout that carries the cookie without the header is refused.
 * - the `Origin` allow-list (the CORS origins), checked here as well, so the defence does not
 *   rest on the gateway's CORS handling alone. Browsers send `Origin` on every cross-origin and
 *   every POST request; a cookie-mode request without one is refused.
 */
import { csrfRejected, invalidRequest } from '../errors';
import type { RefreshCookieSameSite } from '../config';
import type { HttpEvent } from './event';
import { json, type HttpResult } from './responses';

export const REFRESH_COOKIE_NAME = '__Host-refresh_token';
/** `__Host-` requires `Path=/` (and no `Domain`): browsers refuse the cookie otherwise. */
export const REFRESH_COOKIE_PATH = '/';
export const TRANSPORT_HEADER = 'x-auth-transport';

export type Transport = 'body' | 'cookie';

export interface CookieModeSettings {
  allowedOrigins: readonly string[];
  sameSite: RefreshCookieSameSite;
  /** Max-Age of the cookie: the refresh token's own lifetime. */
  maxAgeSeconds: number;
}

export function cookieModeSettings(config: {
  allowedOrigins: readonly string[];
  refreshCookieSameSite: RefreshCookieSameSite;
  refreshTokenTtlSeconds: number;
}): CookieModeSettings {
  return { allowedOrigins: config.allowedOrigins, sameSite: config.refreshCookieSameSite, maxAgeSeconds: config.refreshTokenTtlSeconds };
}

/**
 * The device cookie (lib/tokens/device-token.ts): set by a cookie-mode login, read by the next,
 * so the browser keeps its own allowance of password guesses. `__Host-` for the same reason as the
 * refresh cookie; SameSite=Strict, since only our own pages sign in.
 */
export const DEVICE_COOKIE_NAME = '__Host-device';

/**
 * The flow cookie of federated sign-in (lib/usecases/federation.ts): set by the authorize
 * redirect, required by the callback, so a flow is finished only by the browser that started it.
 * SameSite=Lax, not Strict: the callback is a top-level navigation coming from the provider's
 * site, which Lax cookies accompany and Strict ones do not. `__Host-` as for the refresh cookie.
 */
export const FLOW_COOKIE_NAME = '__Host-oauth_flow';

export function flowCookie(value: string, maxAgeSeconds: number): string {
  const expires = maxAgeSeconds === 0 ? '; Expires=Thu, 01 Jan 1970 00:00:00 GMT' : '';
  return `${FLOW_COOKIE_NAME}=${value}; Path=/; Max-Age=${maxAgeSeconds}${expires}; HttpOnly; Secure; SameSite=Lax`;
}

/** The flow cookie's value, when exactly one is sent. */
export function flowCookieOf(event: HttpEvent): string | undefined {
  const values = cookieValues(event, FLOW_COOKIE_NAME);
  return values.length === 1 && values[0] ? values[0] : undefined;
}

/** Every value of cookie `name` the request carries (payload 2.0 `cookies`, or a Cookie header). */
function cookieValues(event: HttpEvent, name: string): string[] {
  const pairs = event.cookies ?? (event.headers?.cookie ?? '').split(';');
  const values: string[] = [];
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) values.push(pair.slice(at + 1).trim());
  }
  return values;
}

const refreshCookieValues = (event: HttpEvent) => cookieValues(event, REFRESH_COOKIE_NAME);

/** The device token of the device cookie, when exactly one is sent. */
export function deviceTokenFromCookie(event: HttpEvent): string | undefined {
  const values = cookieValues(event, DEVICE_COOKIE_NAME);
  return values.length === 1 && values[0] ? values[0] : undefined;
}

/** Set-Cookie value holding a device token for `maxAgeSeconds`. */
export function deviceCookie(token: string, maxAgeSeconds: number): string {
  return `${DEVICE_COOKIE_NAME}=${token}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`;
}

/**
 * The refresh token from the cookie. Two cookies of that name mean something went wrong (a
 * browser that ignores the prefix, or a cookie planted some other way): neither is trusted.
 */
export function refreshTokenFromCookie(event: HttpEvent): string | undefined {
  const values = refreshCookieValues(event);
  return values.length === 1 && values[0] ? values[0] : undefined;
}

/**
 * Decides how the request carries the refresh token, and refuses what a forged cross-site
 * request would look like. `readsCookie`: the route uses the cookie (refresh, logout).
 */
export function transportOf(event: HttpEvent, settings: CookieModeSettings, readsCookie: boolean): Transport {
  const requested = event.headers?.[TRANSPORT_HEADER];
  if (requested === undefined) {
    if (readsCookie && refreshCookieValues(event).length > 0) throw csrfRejected();
    return 'body';
  }
  if (requested.trim().toLowerCase() !== 'cookie') {
    throw invalidRequest([{ field: 'X-Auth-Transport', message: 'must be "cookie" when present' }]);
  }
  const origin = event.headers?.origin;
  if (origin === undefined || !settings.allowedOrigins.includes(origin)) throw csrfRejected();
  return 'cookie';
}

function cookie(value: string, maxAgeSeconds: number, sameSite: RefreshCookieSameSite): string {
  const expires = maxAgeSeconds === 0 ? '; Expires=Thu, 01 Jan 1970 00:00:00 GMT' : '';
  return `${REFRESH_COOKIE_NAME}=${value}; Path=${REFRESH_COOKIE_PATH}; Max-Age=${maxAgeSeconds}${expires}; HttpOnly; Secure; SameSite=${sameSite}`;
}

/** Set-Cookie value holding a refresh token. */
export function refreshCookie(token: string, settings: CookieModeSettings): string {
  return cookie(token, settings.maxAgeSeconds, settings.sameSite);
}

/** Set-Cookie value removing the refresh cookie: same name, path and attributes, expired. */
export function clearedRefreshCookie(settings: CookieModeSettings): string {
  return cookie('', 0, settings.sameSite);
}

/**
 * A token response in the request's transport: unchanged in body mode; in cookie mode the
 * refresh token moves from the body to the cookie (payload 2.0 `cookies`).
 */
export function tokenAnswer<T extends { refreshToken: string } | { mfaRequired: true }>(
  statusCode: number,
  body: T,
  transport: Transport,
  settings: CookieModeSettings,
): HttpResult {
  // A sign-in that asks for a second factor carries no token, so no cookie either.
  if (transport === 'body' || !('refreshToken' in body)) return json(statusCode, body);
  const { refreshToken, ...rest } = body;
  return { ...json(statusCode, rest), cookies: [refreshCookie(refreshToken, settings)] };
}

/** Adds the clearing Set-Cookie to an answer in cookie mode. */
export function clearingCookie(result: HttpResult, transport: Transport, settings: CookieModeSettings): HttpResult {
  return transport === 'cookie' ? { ...result, cookies: [clearedRefreshCookie(settings)] } : result;
}

/**
 * A sign-in's answer ({@link tokenAnswer}) with the device token it may carry: in body mode it
 * stays in the body as `deviceToken`; in cookie mode it moves to the device cookie, valid for
 * `deviceMaxAgeSeconds`.
 */
export function signInAnswer<T extends ({ refreshToken: string } | { mfaRequired: true }) & { deviceToken?: string | undefined }>(
  statusCode: number,
  body: T,
  transport: Transport,
  settings: CookieModeSettings,
  deviceMaxAgeSeconds: number,
): HttpResult {
  const { deviceToken, ...rest } = body;
  if (transport === 'body') return json(statusCode, deviceToken === undefined ? rest : { ...rest, deviceToken });
  const answer = tokenAnswer(statusCode, rest as T, transport, settings);
  return deviceToken === undefined ? answer : { ...answer, cookies: [...(answer.cookies ?? []), deviceCookie(deviceToken, deviceMaxAgeSeconds)] };
}
