/**
 * Refresh-token reuse over HTTP with a gateway of its own whose grace window is 4 s, so the test
 * can step past it quickly without shortening the window for the concurrency tests elsewhere. The
 * gateway runs in its own process, so no test clock reaches it: the test really waits. The window
 * is wide enough that the in-window retry, one request after the first, still lands inside it
 * when a single request takes seconds on a loaded machine.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { call } from '../helpers/http';

const GRACE_SECONDS = 4;
let offline: TestGateway | undefined;

beforeAll(async () => {
  offline = await startTestGateway({
    DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
    SIGNING_KEYS_FILE: inject('keysFile'),
    SES_ENDPOINT: inject('sesEndpoint'),
    REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS),
    REGISTER_IP_LIMIT_PER_MINUTE: '0',
    LOGIN_IP_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'silent',
  });
});

afterAll(async () => {
  await offline?.stop();
});

const post = (route: string, json: unknown) => call('POST', route, { json, base: offline!.url });

describe(`refresh token reuse (grace window ${GRACE_SECONDS} s)`, () => {
  it('answers a retry within the window with the same successor, and refresh_token_reused after it, revoking the successors', async () => {
    const reg = await post('/auth/register', { email: uniqueEmail('reuse'), password: 'correct horse battery' });
    expect(reg.status).toBe(201);
    const first = await post('/auth/refresh', { refreshToken: reg.body.refreshToken });
    const retry = await post('/auth/refresh', { refreshToken: reg.body.refreshToken });
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(retry.body.refreshToken).toBe(first.body.refreshToken);

    await new Promise((r) => setTimeout(r, (GRACE_SECONDS + 0.5) * 1000));
    const replay = await post('/auth/refresh', { refreshToken: reg.body.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('refresh_token_reused');
    const successor = await post('/auth/refresh', { refreshToken: first.body.refreshToken });
    expect(successor.status).toBe(401);
    expect(successor.body.error.code).toBe('invalid_refresh_token');
  });
});
