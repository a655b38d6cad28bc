import { AuthError, errorOf } from './errors.js';

/** Where and how requests go; shared by every area of the client. */
export interface Transport {
  baseUrl: string;
  fetch: typeof fetch;
  /** Cookie mode: the refresh token lives in the API's HttpOnly cookie, never in this code. */
  cookieMode: boolean;
}

export interface ApiRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  bearer?: string;
  /** One of the routes that read or set the refresh cookie (register, login, mfa verify, refresh, logout). */
  tokenRoute?: boolean;
  /**
   * Sends and keeps the API's cookies in body mode too: a federated link sets the flow cookie its
   * callback checks, whatever mode the tokens travel in.
   */
  withCookies?: boolean;
}

/** Sends one request; resolves with the parsed body of a 2xx answer, throws AuthError otherwise. */
export async function send<T>(transport: Transport, request: ApiRequest): Promise<T> {
  const headers: Record<string, string> = {};
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.bearer) headers.authorization = `Bearer ${request.bearer}`;
  if (transport.cookieMode && request.tokenRoute) headers['x-auth-transport'] = 'cookie';
  const query = Object.entries(request.query ?? {}).filter((entry): entry is [string, string | number] => entry[1] !== undefined);
  const search = query.length ? `?${new URLSearchParams(query.map(([k, v]) => [k, String(v)]))}` : '';
  let response: Response;
  try {
    response = await transport.fetch(`${transport.baseUrl}${request.path}${search}`, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      // Cookie mode: the browser must send and store the API's cookies across origins.
      credentials: transport.cookieMode || request.withCookies ? 'include' : 'same-origin',
      cache: 'no-store',
    });
  } catch (cause) {
    throw new AuthError('network_error', 'The auth API could not be reached.', { cause });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) throw errorOf(response, body);
  return body as T;
}
