/**
 * The two ways the key set reaches a function on AWS: the SDK (token-issuing functions, mocked
 * with aws-sdk-client-mock) and one SigV4-signed call (authorizer and JWKS, exercised against a
 * local HTTP server standing in for Secrets Manager); and the local key file of development.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerKeySource } from '../../lib/keys/secrets-manager-source';
import { SignedFetchKeySource } from '../../lib/keys/signed-fetch-source';
import { FileKeySource } from '../../lib/keys/sources';

describe('FileKeySource', () => {
  it('returns the file as written, and a missing file as service_unavailable', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'file-key-source-'));
    writeFileSync(path.join(dir, 'keys.json'), '{"keys":[]}');
    await expect(new FileKeySource(path.join(dir, 'keys.json')).load()).resolves.toBe('{"keys":[]}');
    await expect(new FileKeySource(path.join(dir, 'missing.json')).load()).rejects.toMatchObject({ code: 'service_unavailable' });
  });
});

describe('SecretsManagerKeySource', () => {
  it('returns the SecretString of the named secret', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand, { SecretId: 'auth/keys' }).resolves({ SecretString: '{"k":1}' });
    await expect(new SecretsManagerKeySource(new SecretsManagerClient({}), 'auth/keys').load()).resolves.toBe('{"k":1}');
    sm.restore();
  });

  it('turns an SDK failure or a binary-only secret into service_unavailable', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDeniedException' })).resolves({ SecretBinary: new Uint8Array([1]) });
    const source = new SecretsManagerKeySource(new SecretsManagerClient({}), 'auth/keys');
    await expect(source.load()).rejects.toMatchObject({ code: 'service_unavailable' });
    await expect(source.load()).rejects.toMatchObject({ code: 'service_unavailable' });
    sm.restore();
  });
});

describe('SignedFetchKeySource', () => {
  let server: Server;
  let url = '';
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
  let answer: { status: number; body: string } = { status: 200, body: '{}' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' }).end(answer.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const env = () => ({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session', SECRETS_MANAGER_ENDPOINT: url });

  it('sends one SigV4-signed GetSecretValue call and returns the SecretString', async () => {
    answer = { status: 200, body: JSON.stringify({ SecretString: '{"keys":[]}' }) };
    seen.length = 0;
    await expect(new SignedFetchKeySource('auth/prod/keys', env()).load()).resolves.toBe('{"keys":[]}');
    expect(seen).toHaveLength(1);
    const { headers, body } = seen[0]!;
    expect(headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request, SignedHeaders=.*x-amz-target.*, Signature=[0-9a-f]{64}$/);
    expect(headers['x-amz-security-token']).toBe('session');
    expect(JSON.parse(body)).toEqual({ SecretId: 'auth/prod/keys' });
  });

  it('turns an error answer into service_unavailable', async () => {
    answer = { status: 400, body: JSON.stringify({ __type: 'ResourceNotFoundException', message: 'not found' }) };
    await expect(new SignedFetchKeySource('missing', env()).load()).rejects.toMatchObject({ code: 'service_unavailable' });
  });

  it('turns an answer without SecretString into service_unavailable', async () => {
    answer = { status: 200, body: JSON.stringify({ SecretBinary: 'AQ==' }) };
    await expect(new SignedFetchKeySource('binary', env()).load()).rejects.toMatchObject({ code: 'service_unavailable' });
  });
});

describe('throttling by Secrets Manager', () => {
  let server: Server;
  let url = '';
  let requests = 0;
  /** The answers given in turn, a status and an AWS error type each; once spent, the secret. */
  let script: [number, string][] = [];
  const throttled = (times: number): [number, string][] => Array.from({ length: times }, () => [400, 'ThrottlingException']);

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests += 1;
        const scripted = script[requests - 1];
        if (scripted) {
          res.writeHead(scripted[0], { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': scripted[1] });
          res.end(JSON.stringify({ __type: scripted[1], message: 'scripted' }));
        } else {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ SecretString: '{"ok":true}' }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('the SDK source retries a throttled GetSecretValue with back-off (real SDK client, local endpoint)', async () => {
    requests = 0;
    script = throttled(2);
    const client = new SecretsManagerClient({ endpoint: url, region: 'us-east-1', maxAttempts: 4, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    await expect(new SecretsManagerKeySource(client, 'keys').load()).resolves.toBe('{"ok":true}');
    expect(requests).toBe(3);
  });

  it('the signed-fetch source retries a throttled GetSecretValue, then gives up with service_unavailable', async () => {
    const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', SECRETS_MANAGER_ENDPOINT: `${url}/` };
    requests = 0;
    script = throttled(2);
    await expect(new SignedFetchKeySource('keys', env, 4, 1).load()).resolves.toBe('{"ok":true}');
    expect(requests).toBe(3);
    requests = 0;
    script = throttled(100);
    await expect(new SignedFetchKeySource('keys', env, 3, 1).load()).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(requests).toBe(3);
  });

  it('the signed-fetch source calls at most maxAttempts times per load, whatever mix of 5xx and throttling it meets', async () => {
    const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', SECRETS_MANAGER_ENDPOINT: `${url}/` };
    requests = 0;
    script = [
      [500, 'InternalServiceError'],
      [400, 'ThrottlingException'],
      [503, 'ServiceUnavailable'],
      [400, 'ThrottlingException'],
    ];
    try {
      await expect(new SignedFetchKeySource('keys', env, 4, 1).load()).rejects.toMatchObject({ code: 'service_unavailable' });
      expect(requests).toBe(4);
      requests = 0;
      await expect(new SignedFetchKeySource('keys', env, 4, 1).load()).rejects.toMatchObject({ code: 'service_unavailable' });
      expect(requests).toBe(4);
    } finally {
      script = [];
    }
  });

  it('the signed-fetch source does not retry a 400 that is not throttling (access denied answers at once)', async () => {
    const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', SECRETS_MANAGER_ENDPOINT: `${url}/` };
    requests = 0;
    script = [[400, 'AccessDeniedException']];
    try {
      await expect(new SignedFetchKeySource('keys', env, 4, 1).load()).rejects.toMatchObject({ code: 'service_unavailable' });
      expect(requests).toBe(1);
    } finally {
      script = [];
    }
  });
});
