/**
 * What a Lambda timeout looks like through serverless-offline, and that the e2e helper fails on
 * it: a gateway of its own with a 1 s function timeout and a bcrypt cost that takes longer.
 * Offline answers HTTP 200 `{"errorMessage":"[504] - Lambda timeout."}`; a test that only looked
 * at a 2xx status would count it as a success.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { call, GatewayFailure } from '../helpers/http';

let offline: TestGateway | undefined;

beforeAll(async () => {
  offline = await startTestGateway({
    DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
    SIGNING_KEYS_FILE: inject('keysFile'),
    FUNCTION_TIMEOUT_SECONDS: '1',
    // About 3 s of hashing per registration on a fast core.
    BCRYPT_COST: '15',
    LOG_LEVEL: 'silent',
  });
});

afterAll(async () => {
  await offline?.stop();
});

describe('a Lambda timeout through the offline gateway', () => {
  it('is thrown as GatewayFailure, never handed back as an answer', async () => {
    const email = uniqueEmail('timeout');
    const failure = await call('POST', '/auth/register', { base: offline!.url, json: { email, password: 'correct horse battery' } }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(GatewayFailure);
    const { answer } = failure as GatewayFailure;
    // The reason for the helper: offline reports the timeout with a success status.
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ errorMessage: '[504] - Lambda timeout.', errorType: 'LambdaTimeoutError' });
  });
});
