/**
 * The e2e HTTP helper must never hand a test a made-up answer as if our function had sent it:
 * serverless-offline's Lambda-timeout answer is HTTP 200, and an authorizer that threw or timed
 * out looks like a refusal. Served here by a local server replaying offline's exact bodies.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, GatewayFailure } from '../helpers/http';

const canned: Record<string, { status: number; body: string }> = {
  '/timeout': { status: 200, body: '{"errorMessage":"[504] - Lambda timeout."}' },
  '/crash': { status: 502, body: '{"errorMessage":"boom","errorType":"TypeError","stackTrace":[]}' },
  '/error-type-only': { status: 500, body: '{"errorType":"Runtime.ImportModuleError"}' },
  '/authorizer-crash': { status: 401, body: '{"statusCode":401,"error":"Unauthorized","message":"Unauthorized"}' },
  '/denied': { status: 403, body: '{"statusCode":403,"error":"Forbidden","message":"User is not authorized to access this resource"}' },
  '/no-credentials': { status: 401, body: '{"statusCode":401,"error":"Unauthorized","message":"User is not authorized to access this resource"}' },
  '/ours': { status: 401, body: '{"error":{"code":"unauthorized","message":"A valid access token is required."}}' },
  '/ok': { status: 200, body: '{"message":"hello"}' },
  '/empty': { status: 204, body: '' },
};

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const answer = canned[req.url ?? ''] ?? { status: 404, body: '' };
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('call()', () => {
  it.each(['/timeout', '/crash', '/error-type-only', '/authorizer-crash'])('throws GatewayFailure for offline\'s %s answer', async (path) => {
    const failure = await call('GET', path, { base }).then(() => undefined, (err: unknown) => err);
    expect(failure).toBeInstanceOf(GatewayFailure);
    expect((failure as GatewayFailure).answer.status).toBe(canned[path]!.status);
    expect((failure as GatewayFailure).message).toContain(`GET ${path}`);
  });

  it.each(['/denied', '/no-credentials', '/ours', '/ok', '/empty'])('hands back the real answer %s', async (path) => {
    // Canned paths, not API routes: the OpenAPI check (tested in openapi.test.ts) is left out.
    const answer = await call('GET', path, { base, contract: false });
    expect(answer.status).toBe(canned[path]!.status);
    expect(answer.text).toBe(canned[path]!.body);
  });
});
