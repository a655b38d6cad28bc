import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AppError,
  invalidAccessToken,
  invalidCredentials,
  invalidRefreshToken,
  serviceUnavailable,
  sessionNotActive,
  tokenAlreadyConsumed,
  tooManyAttempts,
  unauthorized,
} from '../../lib/errors';
import { httpHandler, STATUS_BY_CODE, statusOf, type HttpEvent } from '../../lib/http/middleware';
import { json, type HttpResult } from '../../lib/http/responses';

const MAX_BODY = 16_384;

/** A hand-built API Gateway HTTP API (payload 2.0) event. */
function event(
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean } = {},
): HttpEvent {
  const method = options.method ?? 'POST';
  const path = options.path ?? '/auth/login';
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: options.headers ?? {},
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'auth.example.com',
      domainPrefix: 'auth',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'vitest/1.0' },
      requestId: 'req-1',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1_767_225_600_000,
    },
    body: options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

const jsonEvent = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  event({ headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

const context = { awsRequestId: 'aws-req-1', functionName: 'test' } as Context;

/** A JSON endpoint whose handler records the body it was given. */
/** Configuration with nothing set: no trusted client IP header, the default body cap. */
const NO_SETTINGS = { clientIpHeader: undefined, maxBodyBytes: 16_384 };

function echoEndpoint(options: { maxBodyBytes?: number } = {}) {
  const seen: unknown[] = [];
  const config = { clientIpHeader: undefined, maxBodyBytes: options.maxBodyBytes ?? MAX_BODY };
  const handler = httpHandler({ config, body: 'json' }, async (request) => {
    seen.push(request.body);
    return json(200, { ok: true });
  });
  return { seen, call: (e: HttpEvent) => handler(e, context) as Promise<HttpResult> };
}

/** An endpoint that throws what it is given. */
function throwing(error: unknown) {
  const handler = httpHandler({ config: NO_SETTINGS }, async () => {
    throw error;
  });
  return handler(event({ method: 'GET', path: '/auth/me' }), context) as Promise<HttpResult>;
}

function bodyOf(result: HttpResult): any {
  return JSON.parse(String(result.body));
}

function expectErrorShape(result: HttpResult, status: number, code: string) {
  expect(result.statusCode).toBe(status);
  const body = bodyOf(result);
  expect(Object.keys(body)).toEqual(['error']);
  const keys = Object.keys(body.error);
  expect(keys.slice(0, 2)).toEqual(['code', 'message']);
  expect(keys.every((k) => ['code', 'message', 'details'].includes(k))).toBe(true);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error as { code: string; message: string; details?: unknown };
}

function expectBaseHeaders(result: HttpResult) {
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  expect(headers['content-type']).toMatch(/^application\/json\b/);
  expect(headers['cache-control']).toBe('no-store');
  expect(headers['x-content-type-options']).toBe('nosniff');
}

let consoleError: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  // 5xx answers log the cause; keep the test output clean and let tests read the log.
  consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('httpHandler body gate', () => {
  it('answers 413 payload_too_large for a body over 16384 bytes, before the handler runs', async () => {
    const endpoint = echoEndpoint();
    const body = JSON.stringify({ pad: 'x'.repeat(MAX_BODY) });
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_BODY);
    const result = await endpoint.call(jsonEvent(body));
    expectErrorShape(result, 413, 'payload_too_large');
    expectBaseHeaders(result);
    expect(endpoint.seen).toEqual([]);
  });

  it('accepts a body of exactly 16384 bytes and refuses one byte more', async () => {
    const endpoint = echoEndpoint();
    const at = (bytes: number) => JSON.stringify({ pad: 'x'.repeat(bytes - '{"pad":""}'.length) });
    expect(Buffer.byteLength(at(MAX_BODY))).toBe(MAX_BODY);
    expect((await endpoint.call(jsonEvent(at(MAX_BODY)))).statusCode).toBe(200);
    expectErrorShape(await endpoint.call(jsonEvent(at(MAX_BODY + 1))), 413, 'payload_too_large');
  });

  it('counts the cap in UTF-8 bytes, not characters', async () => {
    const endpoint = echoEndpoint();
    const body = JSON.stringify({ pad: '\u00e9'.repeat(8_200) }); // ~8 200 characters, ~16 400 bytes
    expect(body.length).toBeLessThan(MAX_BODY);
    expectErrorShape(await endpoint.call(jsonEvent(body)), 413, 'payload_too_large');
  });

  it('honours a smaller maxBodyBytes', async () => {
    const endpoint = echoEndpoint({ maxBodyBytes: 1024 });
    const body = JSON.stringify({ pad: 'x'.repeat(1024) });
    expectErrorShape(await endpoint.call(jsonEvent(body)), 413, 'payload_too_large');
  });

  it('answers 415 unsupported_media_type for a text/plain body', async () => {
    const endpoint = echoEndpoint();
    const result = await endpoint.call(jsonEvent({ email: 'a@example.com' }, { 'content-type': 'text/plain' }));
    expectErrorShape(result, 415, 'unsupported_media_type');
    expectBaseHeaders(result);
    expect(endpoint.seen).toEqual([]);
  });

  it.each(['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'text/json'])(
    'answers 415 for the content type %s',
    async (contentType) => {
      const endpoint = echoEndpoint();
      expectErrorShape(await endpoint.call(jsonEvent({ a: 1 }, { 'content-type': contentType })), 415, 'unsupported_media_type');
    },
  );

  it('answers 415 for a body sent without any content type', async () => {
    const endpoint = echoEndpoint();
    expectErrorShape(await endpoint.call(jsonEvent({ email: 'a@example.com' }, {})), 415, 'unsupported_media_type');
    expect(endpoint.seen).toEqual([]);
  });

  it('answers 400 invalid_json for malformed JSON without echoing the parser message', async () => {
    const endpoint = echoEndpoint();
    const result = await endpoint.call(jsonEvent('{"email": "a@example.com",'));
    const error = expectErrorShape(result, 400, 'invalid_json');
    expect(error.message).not.toMatch(/Unexpected|position|SyntaxError|JSON\.parse/);
    expectBaseHeaders(result);
    expect(endpoint.seen).toEqual([]);
  });

  it.each(["{'single': 'quotes'}", 'undefined', '{"a":1}}', 'NaN'])('answers 400 invalid_json for %j', async (raw) => {
    const endpoint = echoEndpoint();
    expectErrorShape(await endpoint.call(jsonEvent(raw)), 400, 'invalid_json');
  });

  it('hands valid JSON to the handler parsed', async () => {
    const endpoint = echoEndpoint();
    const payload = { email: 'a@example.com', password: 'correct horse', nested: { n: 1 } };
    const result = await endpoint.call(jsonEvent(payload));
    expect(result.statusCode).toBe(200);
    expect(endpoint.seen).toEqual([payload]);
  });

  it.each([
    ['Content-Type', 'application/json'],
    ['CONTENT-TYPE', 'application/json'],
    ['content-type', 'application/json; charset=utf-8'],
    ['Content-Type', 'application/merge-patch+json'],
  ])('accepts the header %s: %s', async (name, value) => {
    const endpoint = echoEndpoint();
    const result = await endpoint.call(jsonEvent({ a: 1 }, { [name]: value }));
    expect(result.statusCode).toBe(200);
    expect(endpoint.seen).toEqual([{ a: 1 }]);
  });

  // Regression: media types are case-insensitive (RFC 9110); the parser once skipped such bodies
  // silently and validation answered 400 "body must be a JSON object" for valid JSON.
  it('parses a body whose media type is written in capitals (Application/JSON)', async () => {
    const endpoint = echoEndpoint();
    await endpoint.call(jsonEvent({ a: 1 }, { 'content-type': 'Application/JSON' }));
    expect(endpoint.seen).toEqual([{ a: 1 }]);
  });

  it('lets a request without a body through with an undefined body', async () => {
    const endpoint = echoEndpoint();
    const result = await endpoint.call(event({ headers: {} }));
    expect(result.statusCode).toBe(200);
    expect(endpoint.seen).toEqual([undefined]);
  });

  it('parses a base64-encoded JSON body', async () => {
    const endpoint = echoEndpoint();
    const body = Buffer.from(JSON.stringify({ a: 1 })).toString('base64');
    const result = await endpoint.call(event({ headers: { 'content-type': 'application/json' }, body, isBase64Encoded: true }));
    expect(result.statusCode).toBe(200);
    expect(endpoint.seen).toEqual([{ a: 1 }]);
  });
});

describe('httpHandler errors', () => {
  it('answers an AppError with its status, code, message and details', async () => {
    const details = [{ field: 'email', message: 'must be a valid email address' }];
    const result = await throwing(new AppError('invalid_request', 'The request body is invalid.', { details }));
    const error = expectErrorShape(result, 400, 'invalid_request');
    expect(error).toEqual({ code: 'invalid_request', message: 'The request body is invalid.', details });
    expectBaseHeaders(result);
  });

  it('leaves details out when the AppError has none', async () => {
    const result = await throwing(new AppError('email_taken', 'An account with this email already exists.'));
    expect(expectErrorShape(result, 409, 'email_taken')).toEqual({
      code: 'email_taken',
      message: 'An account with this email already exists.',
    });
  });

  it('answers too_many_attempts with its Retry-After header added to the base headers', async () => {
    const result = await throwing(tooManyAttempts(30));
    expectErrorShape(result, 429, 'too_many_attempts');
    expect(result.headers?.['Retry-After']).toBe('30');
    expectBaseHeaders(result);
  });

  it('never sends the cause of an AppError', async () => {
    const cause = new Error('ConditionalCheckFailed on arn:aws:dynamodb:us-east-1:123456789012:table/users');
    const result = await throwing(new AppError('invalid_refresh_token', 'The refresh token is invalid.', { cause }));
    expectErrorShape(result, 401, 'invalid_refresh_token');
    expect(result.body).not.toContain('arn:');
    expect(result.body).not.toContain('ConditionalCheckFailed');
  });

  it('answers a plain Error with 500 internal_error and a generic message that leaks nothing', async () => {
    const secret = 'secret table arn:aws:dynamodb:us-east-1:123456789012:table/lambda-jwt-auth-prod-users';
    const result = await throwing(new Error(secret));
    const error = expectErrorShape(result, 500, 'internal_error');
    expect(error.details).toBeUndefined();
    expect(result.body).not.toContain(secret);
    expect(result.body).not.toContain('secret table');
    expect(result.body).not.toContain('arn:');
    expect(result.body).not.toContain('lambda-jwt-auth-prod-users');
    expect(result.body).not.toMatch(/\bat .*\.ts:\d+/); // no stack frames
    expectBaseHeaders(result);
  });

  it('logs the cause of a 500 for the operators', async () => {
    await throwing(new Error('secret table arn:aws:dynamodb:us-east-1:123456789012:table/x'));
    const logged = consoleError.mock.calls.map((args: unknown[]) => String(args[0])).join('\n');
    expect(logged).toContain('arn:aws:dynamodb');
  });

  it('answers a thrown non-Error value with 500 internal_error without echoing it', async () => {
    const result = await throwing('arn:aws:secretsmanager:us-east-1:123456789012:secret:keys');
    expectErrorShape(result, 500, 'internal_error');
    expect(result.body).not.toContain('arn:');
  });

  it.each([
    ['invalid_request', 400],
    ['invalid_json', 400],
    ['invalid_token', 400],
    ['invalid_credentials', 401],
    ['invalid_refresh_token', 401],
    ['refresh_token_reused', 401],
    ['unauthorized', 401],
    ['csrf_rejected', 403],
    ['not_found', 404],
    ['email_taken', 409],
    ['payload_too_large', 413],
    ['unsupported_media_type', 415],
    ['too_many_attempts', 429],
    ['internal_error', 500],
    ['service_unavailable', 503],
  ] as const)('answers the code %s with the status docs/openapi.yaml gives it (%i)', async (code, status) => {
    expect(statusOf(code)).toBe(status);
    expectErrorShape(await throwing(new AppError(code, 'A message for the client.')), status, code);
  });

  it('maps exactly the codes of the public catalogue', () => {
    expect(Object.keys(STATUS_BY_CODE)).toHaveLength(19);
  });

  it.each([
    ['token_already_consumed', tokenAlreadyConsumed],
    ['session_not_active', sessionNotActive],
  ] as const)('answers the internal code %s, escaped from its use case, as a generic 500 and logs it', async (code, make) => {
    consoleError.mockClear();
    const result = await throwing(make());
    const error = expectErrorShape(result, 500, 'internal_error');
    expect(error.message).toBe('Something went wrong on our side.');
    expect(result.body).not.toContain(code);
    expect(consoleError.mock.calls.map((args: unknown[]) => String(args[0])).join('\n')).toContain(code);
  });

  it('answers serviceUnavailable(cause) with 503 and a generic message, not the cause', async () => {
    const cause = new Error('ResourceNotFoundException: Requested resource not found: arn:aws:dynamodb:us-east-1:1:table/users');
    const result = await throwing(serviceUnavailable(cause));
    const error = expectErrorShape(result, 503, 'service_unavailable');
    expect(error.message).toBe('The service is temporarily unavailable. Try again shortly.');
    expect(result.body).not.toContain('arn:');
    expect(result.body).not.toContain('ResourceNotFound');
    expectBaseHeaders(result);
  });
});

describe('httpHandler responses', () => {
  it('passes a successful answer through with the base headers', async () => {
    const handler = httpHandler({ config: NO_SETTINGS }, async () => json(200, { hello: 'world' }));
    const result = (await handler(event({ method: 'GET', path: '/example/hello' }), context)) as HttpResult;
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ hello: 'world' });
    expectBaseHeaders(result);
  });

  it.each([
    ['413', () => echoEndpoint().call(jsonEvent('x'.repeat(MAX_BODY + 1)))],
    ['415', () => echoEndpoint().call(jsonEvent('{}', { 'content-type': 'text/plain' }))],
    ['400 invalid_json', () => echoEndpoint().call(jsonEvent('{'))],
    ['401', () => throwing(new AppError('unauthorized', 'A valid access token is required.'))],
    ['429', () => throwing(tooManyAttempts(1))],
    ['500', () => throwing(new Error('boom'))],
    ['503', () => throwing(serviceUnavailable(new Error('down')))],
  ])('puts content-type, cache-control no-store and nosniff on the %s answer', async (_label, run) => {
    expectBaseHeaders(await run());
  });
});

describe('WWW-Authenticate on 401 answers', () => {
  it('asks for a Bearer token when none was presented', async () => {
    const result = await throwing(unauthorized());
    expect(result.statusCode).toBe(401);
    expect(result.headers?.['www-authenticate']).toBe('Bearer');
  });

  it('says invalid_token when a presented access token was refused', async () => {
    const result = await throwing(invalidAccessToken(new Error('expired')));
    expect(result.statusCode).toBe(401);
    expect(result.headers?.['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(bodyOf(result)).toEqual({ error: { code: 'unauthorized', message: 'A valid access token is required.' } });
  });

  it.each([
    ['invalid_credentials', invalidCredentials()],
    ['invalid_refresh_token', invalidRefreshToken()],
  ])('names the Bearer scheme on the %s 401 as well', async (_code, error) => {
    expect((await throwing(error)).headers?.['www-authenticate']).toBe('Bearer');
  });

  it.each([
    ['400', new AppError('invalid_request', 'bad')],
    ['429', tooManyAttempts(3)],
    ['503', serviceUnavailable()],
  ])('leaves it off the %s answer', async (_label, error) => {
    expect((await throwing(error)).headers).not.toHaveProperty('www-authenticate');
  });
});

describe('step-up (RFC 9470)', () => {
  const NOW = new Date('2026-06-01T12:00:00Z');
  const nowSeconds = Math.floor(NOW.getTime() / 1000);

  function stepUpEndpoint(hasFactor: boolean) {
    const reached: string[] = [];
    const factorReads: string[] = [];
    const handler = httpHandler(
      {
        config: NO_SETTINGS,
        caller: 'required',
        stepUp: { maxAgeSeconds: 300, clock: () => NOW, hasFactor: async (userId) => (factorReads.push(userId), hasFactor) },
      },
      async ({ caller }) => {
        reached.push(caller.userId);
        return json(200, { ok: true });
      },
    );
    return { handler, reached, factorReads };
  }

  const withCaller = (claims: { acr: string; authTime: number }) => {
    const e = event({ method: 'POST', path: '/auth/password/change' });
    (e.requestContext as unknown as { authorizer: unknown }).authorizer = {
      lambda: { userId: 'u1', sessionId: 's1', email: 'a@example.com', emailVerified: 'true', roles: 'user', acr: claims.acr, amr: 'pwd', authTime: String(claims.authTime) },
    };
    return e;
  };

  it('attack: the step-up bypassed with a stale token: 401 insufficient_user_authentication with max_age, the handler never runs', async () => {
    const { handler, reached } = stepUpEndpoint(false);
    for (const authTime of [nowSeconds - 301, 0]) {
      const result = await handler(withCaller({ acr: 'aal1', authTime }), context);
      expect(result.statusCode).toBe(401);
      expect(JSON.parse(result.body ?? '{}').error.code).toBe('insufficient_user_authentication');
      expect(result.headers?.['www-authenticate']).toBe('Bearer error="insufficient_user_authentication", max_age=300');
    }
    expect(reached).toEqual([]);
  });

  it('attack: a recent password-only token of a user with a second factor: 401 with acr_values="aal2"', async () => {
    const { handler, reached } = stepUpEndpoint(true);
    const result = await handler(withCaller({ acr: 'aal1', authTime: nowSeconds - 10 }), context);
    expect(result.statusCode).toBe(401);
    expect(result.headers?.['www-authenticate']).toBe('Bearer error="insufficient_user_authentication", max_age=300, acr_values="aal2"');
    expect(reached).toEqual([]);
  });

  it('lets a recent authentication through: aal1 for a user without a factor, aal2 without reading the factors', async () => {
    const plain = stepUpEndpoint(false);
    expect((await plain.handler(withCaller({ acr: 'aal1', authTime: nowSeconds - 299 }), context)).statusCode).toBe(200);
    const strong = stepUpEndpoint(true);
    expect((await strong.handler(withCaller({ acr: 'aal2', authTime: nowSeconds - 10 }), context)).statusCode).toBe(200);
    expect(strong.factorReads).toEqual([]);
    expect(strong.reached).toEqual(['u1']);
  });
});

describe('form endpoints with RFC 6749 errors (the OAuth endpoints)', () => {
  const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };

  function formEndpoint(handlerBody: (body: unknown) => Promise<HttpResult> = async () => json(200, { ok: true })) {
    const seen: unknown[] = [];
    const handler = httpHandler({ config: NO_SETTINGS, body: 'form', errors: 'oauth' }, async (request) => {
      seen.push(request.body);
      return handlerBody(request.body);
    });
    return { seen, call: (e: HttpEvent) => handler(e, context) as Promise<HttpResult> };
  }

  function expectOAuthShape(result: HttpResult, status: number, error: string): string {
    expect(result.statusCode).toBe(status);
    const body = bodyOf(result);
    expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
    expect(body.error).toBe(error);
    // RFC 6749 §5.2: no double quote, no backslash, printable ASCII only.
    expect(body.error_description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
    expect(result.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' });
    return body.error_description;
  }

  it('hands the handler the parameters, leaving out the ones sent empty', async () => {
    const endpoint = formEndpoint();
    const result = await endpoint.call(event({ headers: FORM_TYPE, body: 'grant_type=refresh_token&refresh_token=a.b%2Bc&scope=&client_id=x' }));
    expect(result.statusCode).toBe(200);
    expect({ ...(endpoint.seen[0] as object) }).toEqual({ grant_type: 'refresh_token', refresh_token: 'a.b+c', client_id: 'x' });
  });

  it('parses a base64-encoded form body (as API Gateway hands them over) and a media type in capitals', async () => {
    const endpoint = formEndpoint();
    const body = Buffer.from('grant_type=refresh_token').toString('base64');
    expect((await endpoint.call(event({ headers: { 'content-type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-8' }, body, isBase64Encoded: true }))).statusCode).toBe(200);
    expect({ ...(endpoint.seen[0] as object) }).toEqual({ grant_type: 'refresh_token' });
  });

  it('attack: a parameter sent twice (which copy counts?) is invalid_request, before the handler runs', async () => {
    const endpoint = formEndpoint();
    const result = await endpoint.call(event({ headers: FORM_TYPE, body: 'grant_type=refresh_token&refresh_token=mine&refresh_token=theirs' }));
    expect(expectOAuthShape(result, 400, 'invalid_request')).toMatch(/refresh_token must not be sent more than once/);
    expect(endpoint.seen).toEqual([]);
  });

  it('treats __proto__ as a plain parameter name', async () => {
    const endpoint = formEndpoint();
    await endpoint.call(event({ headers: FORM_TYPE, body: '__proto__=x&constructor=y' }));
    const seen = endpoint.seen[0] as Record<string, string>;
    expect(seen.__proto__).toBe('x');
    expect(Object.getPrototypeOf(seen)).toBeNull();
  });

  it('answers a JSON body, or one over the cap, as invalid_request in the flat shape', async () => {
    const endpoint = formEndpoint();
    expect(expectOAuthShape(await endpoint.call(jsonEvent({ grant_type: 'refresh_token' })), 400, 'invalid_request')).toMatch(/x-www-form-urlencoded/);
    expectOAuthShape(await endpoint.call(event({ headers: FORM_TYPE, body: `a=${'x'.repeat(MAX_BODY)}` })), 400, 'invalid_request');
    expect(endpoint.seen).toEqual([]);
  });

  it('lets a request without body or content type through with no parameters', async () => {
    const endpoint = formEndpoint();
    expect((await endpoint.call(event({}))).statusCode).toBe(200);
    expect({ ...(endpoint.seen[0] as object) }).toEqual({});
  });

  it.each([
    ['invalid_refresh_token', invalidRefreshToken(), 400, 'invalid_grant'],
    ['invalid_request', new AppError('invalid_request', 'The request body is invalid.', { details: [{ field: 'token', message: 'is required' }] }), 400, 'invalid_request'],
    ['csrf_rejected', new AppError('csrf_rejected', 'Cookie-mode requests need the X-Auth-Transport: cookie header.'), 400, 'invalid_request'],
    ['unsupported_grant_type', new AppError('unsupported_grant_type', 'no'), 400, 'unsupported_grant_type'],
    ['invalid_client', new AppError('invalid_client', 'no'), 401, 'invalid_client'],
    ['invalid_scope', new AppError('invalid_scope', 'no'), 400, 'invalid_scope'],
    ['service_unavailable', serviceUnavailable(new Error('DynamoDB table arn:aws:dynamodb:x')), 503, 'temporarily_unavailable'],
    ['a plain Error', new Error('secret internals'), 500, 'server_error'],
    ['an internal code', tokenAlreadyConsumed(), 500, 'server_error'],
  ] as const)('maps %s to RFC 6749 %s, with no nested body and no challenge', async (_name, error, status, oauthError) => {
    const endpoint = formEndpoint(async () => {
      throw error;
    });
    const result = await endpoint.call(event({ headers: FORM_TYPE, body: 'a=b' }));
    const description = expectOAuthShape(result, status, oauthError);
    expect(description).not.toMatch(/arn:|secret internals/);
    expect(result.headers).not.toHaveProperty('www-authenticate');
  });

  it('never answers an OAuth-only code on this API\'s own endpoints (a bug there is internal_error)', async () => {
    expectErrorShape(await throwing(new AppError('invalid_client', 'no')), 500, 'internal_error');
  });

  it('states the details of invalid_request in error_description, without characters RFC 6749 forbids', async () => {
    const endpoint = formEndpoint(async () => {
      throw new AppError('invalid_request', 'Say "hi" \\ bye', { details: [{ field: 'token', message: 'is required' }] });
    });
    expect(expectOAuthShape(await endpoint.call(event({ headers: FORM_TYPE, body: 'a=b' })), 400, 'invalid_request')).toBe('Say  hi    bye token is required.');
  });
});
