/**
 * The SigV4 signer of the verifying functions (lib/aws/sigv4.ts) against two independent signers
 * on the same requests, instants and credentials: aws4fetch, which signed these calls before, and
 * @smithy/signature-v4, the AWS SDK's own. Any difference in the canonical request (path, query,
 * header folding, payload hash, scope) changes the signature.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsV4Signer } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsJsonClient, endpointOf, MAX_ANSWER_BYTES, regionalEndpoint } from '../../lib/aws/json-call';
import { amzDate, signRequest, type AwsCredentials } from '../../lib/aws/sigv4';

const AT = new Date('2026-12-07T01:36:00.123Z');
const LONG_TERM: AwsCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const TEMPORARY: AwsCredentials = { ...LONG_TERM, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//////////session+token=' };

interface Case {
  name: string;
  url: string;
  service: string;
  region: string;
  headers: Record<string, string>;
  body: string;
  credentials: AwsCredentials;
}

const CASES: Case[] = [
  {
    name: 'DynamoDB GetItem with temporary credentials',
    url: 'https://dynamodb.eu-west-1.amazonaws.com/',
    service: 'dynamodb',
    region: 'eu-west-1',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
    body: JSON.stringify({ TableName: 't', Key: { pk: { S: 'SESSION#abc' } }, ConsistentRead: true }),
    credentials: TEMPORARY,
  },
  {
    name: 'Secrets Manager GetSecretValue with long-term keys',
    url: 'https://secretsmanager.us-east-1.amazonaws.com/',
    service: 'secretsmanager',
    region: 'us-east-1',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'secretsmanager.GetSecretValue' },
    body: JSON.stringify({ SecretId: 'auth/prod/keys' }),
    credentials: LONG_TERM,
  },
  {
    name: 'a local endpoint with a port, a path to encode, a query and a header with folded spaces',
    url: 'http://127.0.0.1:8000/a%20b/c~d/e(f)?z=1&a=two%20words&a=1&b=%2F',
    service: 'dynamodb',
    region: 'local',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': '  DynamoDB_20120810.GetItem   with  spaces ' },
    body: '{"ünïcode":"✓"}',
    credentials: TEMPORARY,
  },
];

const bytes = (data: string | ArrayBuffer | ArrayBufferView): string | Buffer =>
  typeof data === 'string' ? data : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
const signatureOf = (authorization: string) => /Signature=([0-9a-f]{64})$/.exec(authorization)?.[1];

describe('SigV4 signing (lib/aws/sigv4.ts)', () => {
  it.each(CASES)('signs $name as aws4fetch does', async (c) => {
    // aws4fetch never signs content-type; ours signs every header it is given, so it is left out here.
    const headers = Object.fromEntries(Object.entries(c.headers).filter(([name]) => name.toLowerCase() !== 'content-type'));
    const ours = signRequest({ method: 'POST', url: new URL(c.url), headers, body: c.body }, c.credentials, c, AT);
    const theirs = new AwsV4Signer({
      url: c.url,
      method: 'POST',
      headers: c.headers,
      body: c.body,
      accessKeyId: c.credentials.accessKeyId,
      secretAccessKey: c.credentials.secretAccessKey,
      sessionToken: c.credentials.sessionToken,
      service: c.service,
      region: c.region,
      datetime: amzDate(AT),
    });
    const signed = await theirs.sign();
    expect(ours.authorization).toBe(signed.headers.get('authorization'));
    expect(ours['x-amz-date']).toBe(amzDate(AT));
    expect(ours['x-amz-security-token']).toBe(c.credentials.sessionToken);
  });

  it.each(CASES)('signs $name as the AWS SDK signer (@smithy/signature-v4) does', async (c) => {
    // The SDK's signer adds and signs x-amz-content-sha256; ours is given the same header.
    const headers = { ...c.headers, 'x-amz-content-sha256': createHash('sha256').update(c.body).digest('hex') };
    const ours = signRequest({ method: 'POST', url: new URL(c.url), headers, body: c.body }, c.credentials, c, AT);
    class Sha256 {
      private readonly hash;
      constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
        this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
      }
      update(data: string | ArrayBuffer | ArrayBufferView) {
        this.hash.update(bytes(data));
      }
      async digest() {
        return new Uint8Array(this.hash.digest());
      }
    }
    const url = new URL(c.url);
    const signer = new SignatureV4({ service: c.service, region: c.region, sha256: Sha256, credentials: c.credentials, uriEscapePath: true });
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query: Object.fromEntries([...new Set(url.searchParams.keys())].map((k) => [k, url.searchParams.getAll(k).length > 1 ? url.searchParams.getAll(k) : url.searchParams.get(k)!])),
        headers: { ...c.headers, host: url.host },
        body: c.body,
      },
      { signingDate: AT },
    );
    expect(signatureOf(ours.authorization!)).toBe(signatureOf(String(signed.headers.authorization)));
  });

  it('signs nothing the same way twice: another body, instant, region or secret gives another signature', () => {
    const c = CASES[0]!;
    const base = (over: Partial<Case> = {}, at = AT) => {
      const d = { ...c, ...over };
      return signRequest({ method: 'POST', url: new URL(d.url), headers: d.headers, body: d.body }, d.credentials, d, at).authorization;
    };
    const first = base();
    expect(base({ body: `${c.body} ` })).not.toBe(first);
    expect(base({}, new Date(AT.getTime() + 1000))).not.toBe(first);
    expect(base({ region: 'eu-west-2' })).not.toBe(first);
    expect(base({ credentials: { ...TEMPORARY, secretAccessKey: 'other' } })).not.toBe(first);
    expect(base()).toBe(first);
  });
});

describe('endpoints', () => {
  it('builds a regional endpoint with the same parts the URL parser finds in it', () => {
    for (const [service, region] of [['dynamodb', 'eu-west-1'], ['secretsmanager', 'us-east-1'], ['dynamodb', 'ap-southeast-2']] as const) {
      expect(regionalEndpoint(service, region)).toEqual(endpointOf(`https://${service}.${region}.amazonaws.com/`));
    }
  });

  it('signs a regional endpoint built from its parts as it signs the parsed URL', () => {
    const [dynamo] = CASES;
    const sign = (url: Parameters<typeof signRequest>[0]['url']) =>
      signRequest({ method: 'POST', url, headers: dynamo!.headers, body: dynamo!.body }, dynamo!.credentials, dynamo!, AT).authorization;
    expect(sign(regionalEndpoint('dynamodb', 'eu-west-1'))).toBe(sign(new URL(dynamo!.url)));
  });

  it('parses another endpoint once, keeping its port, path and query, and an IPv6 host without brackets', () => {
    expect(endpointOf('http://127.0.0.1:8000/a/b?x=1')).toEqual({ protocol: 'http:', hostname: '127.0.0.1', port: '8000', host: '127.0.0.1:8000', pathname: '/a/b', search: '?x=1' });
    expect(endpointOf('http://[::1]:8000/')).toMatchObject({ hostname: '::1', host: '[::1]:8000', port: '8000' });
    expect(endpointOf('https://dynamodb.eu-west-1.amazonaws.com:443/')).toMatchObject({ port: '', host: 'dynamodb.eu-west-1.amazonaws.com' });
    expect(() => endpointOf('not a url')).toThrow();
  });
});

describe('AwsJsonClient', () => {
  let server: Server;
  let url = '';
  const seen: IncomingMessage['headers'][] = [];
  let answers: (number | 'drop' | 'huge' | 'silent')[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push(req.headers);
        const status = answers.shift() ?? 200;
        if (status === 'drop') return void req.socket.destroy();
        if (status === 'silent') return;
        if (status === 'huge') return void res.writeHead(200).end('x'.repeat(MAX_ANSWER_BYTES + 1));
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(status === 200 ? '{"ok":true}' : '{"__type":"x"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const client = (retries: number) =>
    new AwsJsonClient({ endpoint: endpointOf(url), region: 'local', service: 'dynamodb', credentials: TEMPORARY, contentType: 'application/x-amz-json-1.0', retries, initialRetryMs: 1 });

  it('sends the signed headers, with the host the signature covers', async () => {
    seen.length = 0;
    answers = [200];
    const response = await client(0).call('DynamoDB_20120810.GetItem', '{}');
    expect(response).toEqual({ status: 200, ok: true, body: '{"ok":true}' });
    const headers = seen[0]!;
    expect(headers.host).toBe(new URL(url).host);
    expect(headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(headers['x-amz-security-token']).toBe(TEMPORARY.sessionToken);
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/local\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/);
  });

  it('tries a 5xx or 429 answer again, as many times as asked, and answers the last one', async () => {
    seen.length = 0;
    answers = [503, 429, 200];
    expect((await client(2).call('T', '{}')).status).toBe(200);
    expect(seen).toHaveLength(3);
    seen.length = 0;
    answers = [500, 500, 500];
    expect((await client(1).call('T', '{}')).status).toBe(500);
    expect(seen).toHaveLength(2);
  });

  it('does not try a 4xx answer again: the caller reads the error', async () => {
    seen.length = 0;
    answers = [400];
    expect((await client(3).call('T', '{}')).status).toBe(400);
    expect(seen).toHaveLength(1);
  });

  it('tries a connection the far end closed again (a kept-alive socket gone stale), within the retries', async () => {
    seen.length = 0;
    answers = ['drop', 200];
    expect((await client(1).call('T', '{}')).status).toBe(200);
    expect(seen).toHaveLength(2);
    answers = ['drop'];
    await expect(client(0).call('T', '{}')).rejects.toThrow();
  });

  it('refuses an answer larger than 1 MB instead of holding it', async () => {
    answers = ['huge'];
    await expect(client(0).call('T', '{}')).rejects.toThrow(/larger than/);
  });

  it('gives up when the signal aborts, however many retries are left', async () => {
    answers = ['silent', 'silent', 'silent'];
    await expect(client(3).call('T', '{}', AbortSignal.timeout(200))).rejects.toMatchObject({ name: expect.stringMatching(/AbortError|TimeoutError/) });
  });
});
