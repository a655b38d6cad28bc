/**
 * Password-guessing attacks over HTTP through serverless-offline.
 *
 * Every request to a local gateway comes from 127.0.0.1, so showing the owner signing in "from
 * another address" needs distinct sources. This file starts a gateway of its own configured the
 * way a deployment behind CloudFront is (CLIENT_IP_HEADER=cloudfront-viewer-address), and plays
 * CloudFront by setting that header per client. That is the production code path for such
 * deployments (the header is read by lib/http/client-ip.ts), not a test-only switch; the direct
 * source address path (requestContext.http.sourceIp) is covered by the unit and integration tests,
 * and by the sequential 429 test in api.test.ts on the shared gateway.
 *
 * The gateway runs handlers in-process (one warm copy each, as on warm Lambdas): with a fresh
 * worker per concurrent request, 20 simultaneous cold starts on a loaded 2-core machine outlast
 * the 10 s function timeout, and the race would measure that rather than the throttle.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { call } from '../helpers/http';

const PASSWORD = 'correct horse battery';
const WRONG = 'wrong password';

/** 401 and 429 are the only acceptable answers to a guess; anything else (a Lambda timeout's 200) fails the test. */
function guessStatus(answer: { status: number; body: any }): number {
  if (answer.status === 401) expect(answer.body?.error?.code).toBe('invalid_credentials');
  else if (answer.status === 429) expect(answer.body?.error?.code).toBe('too_many_attempts');
  else throw new Error(`unexpected answer to a wrong password: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.status;
}

let offline: TestGateway | undefined;
const VIEWER = 'cloudfront-viewer-address';

beforeAll(async () => {
  offline = await startTestGateway(
    {
      DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
      SIGNING_KEYS_FILE: inject('keysFile'),
      CLIENT_IP_HEADER: VIEWER,
      // The first wait after the 5 allowed failures is 1 s by default: a wave that a loaded
      // machine spreads over more than a second rightly earns a 6th guess after it. A longer
      // first wait keeps these counts about concurrency alone.
      LOGIN_BACKOFF_BASE_SECONDS: '60',
      LOGIN_IP_LIMIT_PER_MINUTE: '1000',
      REGISTER_IP_LIMIT_PER_MINUTE: '1000',
      LOG_LEVEL: 'silent',
    },
    { inProcess: true },
  );
});

afterAll(async () => {
  await offline?.stop();
});

/** A client whose address CloudFront reports as `ip`. */
const from = (ip: string) => (route: string, json: unknown) =>
  call('POST', route, { json, base: offline!.url, headers: { [VIEWER]: `${ip}:51000` } });

describe('parallel guessing over HTTP', () => {
  it('20 parallel wrong passwords for one account: at most 5 are checked (401), the rest answer 429 with Retry-After', async () => {
    const post = from('203.0.113.50');
    const email = uniqueEmail('parallel');
    expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
    // Warm the login function so the race measures the throttle, not a cold start.
    guessStatus(await post('/auth/login', { email: uniqueEmail('warm'), password: WRONG }));

    const answers = await Promise.all(Array.from({ length: 20 }, () => post('/auth/login', { email, password: WRONG })));
    const statuses = answers.map(guessStatus);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
    for (const answer of answers.filter((a) => a.status === 429)) expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The right password is refused too while this source is throttled.
    guessStatus(await post('/auth/login', { email, password: PASSWORD }));
  });
});

describe('owner lockout over HTTP (gateway configured as behind CloudFront)', () => {
  it('the owner signs in from another address while an attacker hammers the account', async () => {
    const attacker = from('203.0.113.66');
    const owner = from('198.51.100.20');
    const email = uniqueEmail('hammered');
    expect((await owner('/auth/register', { email, password: PASSWORD })).status).toBe(201);
    guessStatus(await attacker('/auth/login', { email: uniqueEmail('warm'), password: WRONG }));

    const hammering = Promise.all(Array.from({ length: 30 }, () => attacker('/auth/login', { email, password: WRONG })));
    const ownerLogin = owner('/auth/login', { email, password: PASSWORD });
    const [attacks, signedIn] = await Promise.all([hammering, ownerLogin]);
    const statuses = attacks.map(guessStatus);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(signedIn.status).toBe(200);
    expect(typeof signedIn.body.accessToken).toBe('string');

    // Still throttled for the attacker, even with the right password; still open for the owner.
    expect(guessStatus(await attacker('/auth/login', { email, password: PASSWORD }))).toBe(429);
    const again = await owner('/auth/login', { email, password: PASSWORD });
    expect(again.status).toBe(200);
    expect(typeof again.body.refreshToken).toBe('string');
  });

  it('without the viewer header every request shares one bucket, never an unlimited one', async () => {
    const email = uniqueEmail('noheader');
    expect((await from('198.51.100.21')('/auth/register', { email, password: PASSWORD })).status).toBe(201);
    const bare = (json: unknown) => call('POST', '/auth/login', { json, base: offline!.url });
    const statuses = [];
    for (let i = 0; i < 7; i += 1) statuses.push(guessStatus(await bare({ email, password: WRONG })));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });
});
