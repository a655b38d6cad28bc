/**
 * HTTP helpers for the e2e tests: every request to a gateway goes through `call`, which turns an
 * answer that did not come from our code into a thrown error.
 */
import { expect, inject } from 'vitest';
import { assertMatchesOpenApi } from './openapi';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/**
 * The gateway answered for a function that never answered itself: serverless-offline reports a
 * Lambda timeout as HTTP 200 `{"errorMessage":"[504] - Lambda timeout."}` and a crashed handler
 * with `errorMessage`/`errorType`. Our functions never send those fields, so such an answer is a
 * failure whatever its status, never a 200 to assert on.
 */
export class GatewayFailure extends Error {
  constructor(
    readonly request: string,
    readonly answer: Answer,
  ) {
    super(`${request}: the function did not answer (HTTP ${answer.status} ${answer.text.slice(0, 300)})`);
    this.name = 'GatewayFailure';
  }
}

function isLambdaFailure(body: unknown): boolean {
  return typeof body === 'object' && body !== null && ('errorMessage' in body || 'errorType' in body);
}

/**
 * Our routes use an HTTP API authorizer with simple responses: it denies with `isAuthorized:
 * false`, which the gateway answers 403, and a missing Authorization header never reaches it (401
 * "User is not authorized to access this resource"). serverless-offline answers this bare 401 only
 * when the authorizer threw or timed out, so it is a failure, not a refusal.
 */
function isAuthorizerFailure(status: number, body: unknown): boolean {
  const b = body as { statusCode?: unknown; error?: unknown; message?: unknown } | undefined;
  return status === 401 && b?.statusCode === 401 && b.error === 'Unauthorized' && b.message === 'Unauthorized';
}

export interface CallOptions {
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
  /** Gateway base URL; the run's shared gateway (`inject('apiUrl')`) by default. */
  base?: string;
  /**
   * Every answer is checked against docs/openapi.yaml (route, status, body, required headers)
   * and a mismatch throws. `false` only for requests outside the API on purpose (an unknown
   * route, a CORS preflight, another server's endpoint).
   */
  contract?: boolean;
}

/** One request to a gateway; throws GatewayFailure for a Lambda timeout or crash, the authorizer's included. */
export async function call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  // A connection per request: reusing a kept-alive one raced the gateway closing it when idle
  // ("other side closed" on a loaded machine), which failed a request the gateway never saw.
  const headers: Record<string, string> = { connection: 'close', ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const url = `${options.base ?? inject('apiUrl')}${path}`;
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body });
  } catch (err) {
    // serverless-offline now and then closes a connection before its answer is complete (seen on
    // a loaded machine, on a function's first request to a fresh gateway): a transport fault of
    // the local gateway, not an answer of ours. Tried once more, said on stderr; a second fault
    // fails the test.
    if ((err as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw err;
    console.warn(`gateway closed the connection during ${method} ${path}; trying once more`);
    response = await fetch(url, { method, headers, body });
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const answer = { status: response.status, headers: response.headers, body: parsed, text };
  if (isLambdaFailure(parsed) || isAuthorizerFailure(answer.status, parsed)) throw new GatewayFailure(`${method} ${path}`, answer);
  // CORS preflights are answered by the gateway, not the API the document describes.
  if (options.contract !== false && method.toUpperCase() !== 'OPTIONS') assertMatchesOpenApi(method, path, answer);
  return answer;
}

export const post = (path: string, json?: unknown, headers?: Record<string, string>) => call('POST', path, { json, headers });
export const get = (path: string, headers?: Record<string, string>) => call('GET', path, { headers });
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The gateway's answer when our authorizer looked at the token and refused it. */
export function expectDenied(answer: Answer, what = 'the token'): void {
  expect(answer.status, `the authorizer must refuse ${what}`).toBe(403);
  expect(answer.body).toMatchObject({ message: 'User is not authorized to access this resource' });
}

/** The gateway's answer when no Authorization header was sent (the authorizer is not called). */
export function expectNoCredentials(answer: Answer): void {
  expect(answer.status).toBe(401);
  expect(answer.body).toMatchObject({ message: 'User is not authorized to access this resource' });
}

export interface WarmRequest extends CallOptions {
  method: string;
  path: string;
}

/**
 * Before a race: has every function behind `requests` answer `concurrency` parallel copies of a
 * request, so the race finds that many warm workers (offline starts one worker per concurrent
 * request and keeps idle ones for 60 s) instead of timing their start-up. Pick requests that
 * change nothing (a 400 for an empty body is enough to load a function). Any status counts; a
 * Lambda timeout or crash throws.
 */
export async function warm(requests: WarmRequest[], concurrency = 1): Promise<void> {
  for (const { method, path, ...options } of requests) {
    await Promise.all(Array.from({ length: concurrency }, () => call(method, path, options)));
  }
}
