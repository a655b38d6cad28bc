/**
 * A second offline gateway whose dependencies are down: DynamoDB points at a closed port and the
 * key set file does not exist. Every endpoint must answer 503 service_unavailable (never 500, never
 * a leaked detail), and the authorizer must fail closed.
 */
import path from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startOffline, type Child } from '../../scripts/stack';
import { bearer, call } from '../helpers/http';

let offline: (Child & { url: string }) | undefined;

beforeAll(async () => {
  const deadPort = await freePort();
  offline = await startOffline({
    port: await freePort(),
    lambdaPort: await freePort(),
    env: {
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${deadPort}`,
      SIGNING_KEYS_FILE: path.join(tmpdir(), `missing-${deadPort}.json`),
      LOG_LEVEL: 'silent',
    },
    // The JWKS endpoint answers 503 here, so wait on a route that answers at all.
    readyPath: '/auth/me',
  });
}, 120_000);

afterAll(async () => {
  await offline?.stop();
});

const send = (method: string, route: string, json?: unknown, headers?: Record<string, string>) =>
  call(method, route, { json, headers, base: offline!.url });

function expectUnavailable(answer: { status: number; body: any; text: string }) {
  expect(answer.status).toBe(503);
  expect(answer.body.error.code).toBe('service_unavailable');
  expect(answer.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|arn:|missing-|stack/i);
}

describe('when DynamoDB and the key set are unavailable', () => {
  it('register answers 503 service_unavailable', async () => {
    expectUnavailable(await send('POST', '/auth/register', { email: 'down@example.com', password: 'correct horse battery' }));
  });

  it('login answers 503 service_unavailable', async () => {
    expectUnavailable(await send('POST', '/auth/login', { email: 'down@example.com', password: 'correct horse battery' }));
  });

  it('refresh answers 503 service_unavailable', async () => {
    expectUnavailable(await send('POST', '/auth/refresh', { refreshToken: `${'A'.repeat(22)}.${'B'.repeat(43)}` }));
  });

  it('logout answers 503 service_unavailable', async () => {
    expectUnavailable(await send('POST', '/auth/logout', { refreshToken: `${'A'.repeat(22)}.${'B'.repeat(43)}` }));
  });

  it('the JWKS endpoint answers 503 service_unavailable', async () => {
    expectUnavailable(await send('GET', '/.well-known/jwks.json'));
  });

  it('the authorizer fails closed instead of erroring', async () => {
    const answer = await send('GET', '/example/hello', undefined, bearer('eyJhbGciOiJSUzI1NiJ9.e30.c2ln'));
    expect([401, 403]).toContain(answer.status);
  });
});
