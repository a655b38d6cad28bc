/**
 * One request id on every log line of a request, set once: by the HTTP middleware for endpoints
 * and by the authorizer's handler. API Gateway's id when the event has one, else Lambda's.
 */
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { serviceUnavailable } from '../../lib/errors';
import { httpHandler, type HttpEvent } from '../../lib/http/middleware';
import { json } from '../../lib/http/responses';
import { log } from '../../lib/log';

let lines: Record<string, unknown>[];
beforeEach(() => {
  lines = [];
  vi.stubEnv('LOG_LEVEL', 'debug');
  const capture = (line: string) => void lines.push(JSON.parse(line));
  vi.spyOn(console, 'log').mockImplementation(capture);
  vi.spyOn(console, 'error').mockImplementation(capture);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const context = (awsRequestId: string) => ({ awsRequestId, functionName: 'test' }) as Context;
const event = (requestId?: string) =>
  ({
    version: '2.0',
    routeKey: 'POST /auth/logout',
    rawPath: '/auth/logout',
    headers: {},
    requestContext: { http: { method: 'POST', path: '/auth/logout', sourceIp: '203.0.113.7' }, ...(requestId ? { requestId } : {}) },
    isBase64Encoded: false,
  }) as unknown as HttpEvent;

/** An endpoint whose work logs twice, across an await, then fails or answers. */
const NO_SETTINGS = { clientIpHeader: undefined, maxBodyBytes: 16_384 };
const endpoint = httpHandler({ config: NO_SETTINGS }, async ({ event: e }) => {
  log.info('step one', { event: 'one' });
  await new Promise((r) => setTimeout(r, 5));
  log.warn('step two', { event: 'two' });
  if (e.rawPath === '/auth/logout' && (e.requestContext as { requestId?: string }).requestId === 'fail') throw serviceUnavailable(new Error('down'));
  return json(200, {});
});

describe('request ids on log lines', () => {
  it("puts API Gateway's request id on every line of a request: the work's lines and the middleware's error line", async () => {
    await endpoint(event('fail'), context('lambda-1'));
    expect(lines.map((l) => l.message)).toEqual(['step one', 'step two', 'request failed']);
    expect(lines.map((l) => l.requestId)).toEqual(['fail', 'fail', 'fail']);
  });

  it("falls back to Lambda's request id when the event carries none", async () => {
    await endpoint(event(), context('lambda-2'));
    expect(lines.map((l) => l.requestId)).toEqual(['lambda-2', 'lambda-2']);
  });

  it('keeps concurrent requests apart', async () => {
    await Promise.all([endpoint(event('a'), context('x')), endpoint(event('b'), context('y'))]);
    const byEvent = (id: string) => lines.filter((l) => l.requestId === id).map((l) => l.event);
    expect(byEvent('a')).toEqual(['one', 'two']);
    expect(byEvent('b')).toEqual(['one', 'two']);
  });

  it('writes no request id outside a request, and a caller cannot override it', async () => {
    log.info('cold start');
    expect(lines[0]).not.toHaveProperty('requestId');
    const spoofing = httpHandler({ config: NO_SETTINGS }, async () => {
      log.info('spoof', { requestId: 'other' });
      return json(200, {});
    });
    await spoofing(event('real'), context('lambda-3'));
    expect(lines[1]).toMatchObject({ message: 'spoof', requestId: 'real' });
  });
});

describe('the authorizer handler', () => {
  it("logs its decision under the request's id", async () => {
    vi.stubEnv('AUTH_MODE', 'local');
    vi.stubEnv('SIGNING_KEYS_FILE', '/nonexistent/keys.json');
    vi.stubEnv('AUTHORIZER_SESSION_CHECK', 'off');
    const { handler } = await import('../../functions/authorizer');
    const base = { version: '2.0', type: 'REQUEST', routeArn: 'arn:aws:execute-api:us-east-1:1:api/$default/GET/x', headers: { authorization: 'Bearer a.b.c' } };
    await handler({ ...base, requestContext: { requestId: 'gw-1' } } as never, context('lambda-4'));
    // A REST authorizer denies by throwing exactly Unauthorized.
    await expect(handler({ type: 'TOKEN', authorizationToken: 'Bearer a.b.c', methodArn: base.routeArn } as never, context('lambda-5'))).rejects.toThrow(/^Unauthorized$/);
    const denies = lines.filter((l) => l.event === 'authorizer_deny');
    expect(denies.map((l) => l.requestId)).toEqual(['gw-1', 'lambda-5']);
  });
});
