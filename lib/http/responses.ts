import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Headers on every answer: JSON, never sniffed, never cached (bodies carry tokens or user data). */
export const BASE_HEADERS: Record<string, string> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number };

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function noContent(): HttpResult {
  const { 'content-type': _omit, ...headers } = BASE_HEADERS;
  return { statusCode: 204, headers, body: '' };
}

/**
 * A 302 to `location` (the redirect endpoints of federated sign-in), with cookies to set. No body
 * and never cached: the location carries a state or a one-time code.
 */
export function redirect(location: string, cookies: string[] = []): HttpResult {
  return {
    statusCode: 302,
    headers: { location, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' },
    body: '',
    ...(cookies.length ? { cookies } : {}),
  };
}
