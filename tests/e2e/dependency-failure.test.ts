/**
 * A second offline gateway whose dependencies are down: DynamoDB points at a closed port and the
 * key set file does not exist. Every endpoint must answer 503 service_unavailable (never 500, never
 * a leaked detail), and the authorizer must fail closed. A key store outage is told apart from a
 * bad token: a genuinely valid access token (signed with a key set the gateway cannot reach) gets
 * 503 at logout and an error-level `authorizer_unavailable` at the authorizer.
 */
import path from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeySet } from '../../lib/keys/generate';
import { KeyStore } from '../../lib/keys/key-store';
import { signAccessToken } from '../../lib/tokens/access-token';
import { freePort } from '../../scripts/stack';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { bearer, call, expectDenied } from '../helpers/http';

const ISSUER = 'https://auth.outage.example';
const AUDIENCE = 'outage-api';
let offline: TestGateway | undefined;
let validToken: string;

beforeAll(async () => {
  const keySet = JSON.stringify(await generateKeySet('RS256'));
  const signer = new KeyStore({ description: 'memory', load: async () => keySet }, { alg: 'RS256' });
  const settings = { issuer: ISSUER, audience: AUDIENCE, alg: 'RS256' as const, ttlSeconds: 900 };
  validToken = await signAccessToken(signer, settings, { userId: 'user-1', sessionId: 'session-1', email: 'a@example.com', roles: ['user'] }, new Date(Date.now()));
  const deadPort = await freePort();
  offline = await startTestGateway(
    {
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${deadPort}`,
      SIGNING_KEYS_FILE: path.join(tmpdir(), `missing-${deadPort}.json`),
      SES_ENDPOINT: `http://127.0.0.1:${deadPort}`,
      ISSUER,
      AUDIENCE,
      // Info and above: the outage tests read which events the functions logged (a deny is info).
      LOG_LEVEL: 'info',
    },
    // The JWKS endpoint answers 503 here, so wait on a route that answers at all.
    { readyPath: '/auth/me' },
  );
});

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
    // 403 is the authorizer's own refusal; a thrown error would reach the client as offline's 401.
    expectDenied(await send('GET', '/example/hello', undefined, bearer('eyJhbGciOiJSUzI1NiJ9.e30.c2ln')));
  });
});

/** JSON log lines the gateway's functions wrote since `mark` (a length of the output). */
function loggedSince(mark: number): Record<string, unknown>[] {
  return offline!
    .output()
    .slice(mark)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}

/** Waits (bounded) for the gateway to flush a log line matching `test`. */
async function waitForLog(mark: number, test: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 50 && !loggedSince(mark).some(test); i += 1) await new Promise((r) => setTimeout(r, 100));
  return loggedSince(mark);
}

describe('when the key store is down and the access token is valid', () => {
  it.each(['global', 'others'])('POST /auth/logout {"scope":"%s"} answers 503 service_unavailable, not 401', async (scope) => {
    const mark = offline!.output().length;
    const answer = await send('POST', '/auth/logout', { scope }, bearer(validToken));
    expectUnavailable(answer);
    const logged = await waitForLog(mark, (e) => e.message === 'request failed');
    const failure = logged.find((e) => e.message === 'request failed');
    expect(failure).toMatchObject({ level: 'error', code: 'service_unavailable', status: 503, route: 'POST /auth/logout', requestId: expect.any(String) });
    // The cause is the key set, not DynamoDB (also down here): the token is checked first.
    expect(JSON.stringify(failure)).toContain('cannot read dev key set');
  });

  it('the authorizer denies (403) and logs an error-level authorizer_unavailable, never an authorizer_deny', async () => {
    const mark = offline!.output().length;
    const answer = await send('GET', '/example/hello', undefined, bearer(validToken));
    expect(answer.status).toBe(403);
    const logged = await waitForLog(mark, (e) => e.event === 'authorizer_unavailable');
    const event = logged.find((e) => e.event === 'authorizer_unavailable');
    expect(event).toMatchObject({ level: 'error', event: 'authorizer_unavailable', error: { code: 'service_unavailable' } });
    expect(logged.filter((e) => e.event === 'authorizer_deny')).toEqual([]);
    // And the bundle counts it as a metric (an EMF line), which the stack's alarm watches.
    const metrics = await waitForLog(mark, (e) => e.AuthorizerUnavailable === 1);
    expect(metrics.find((e) => e.AuthorizerUnavailable === 1)).toMatchObject({ Stage: 'local', _aws: { CloudWatchMetrics: [{ Namespace: 'LambdaJwtAuth' }] } });
  });
});
