/**
 * The metrics the functions write as CloudWatch Embedded Metric Format lines (lib/metrics.ts):
 * valid EMF, one per counted event, written whatever LOG_LEVEL hides, and free of token material.
 */
import Ajv from 'ajv';
import type { Context } from 'aws-lambda';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { authorize, type AuthorizerDeps } from '../../lib/authorizer';
import { systemClock } from '../../lib/clock';
import { AppError } from '../../lib/errors';
import { httpHandler, type HttpEvent } from '../../lib/http/middleware';
import { generateKeySet } from '../../lib/keys/generate';
import { KeyStore } from '../../lib/keys/key-store';
import { log } from '../../lib/log';
import { countMetric, EVENT_METRICS, METRICS_NAMESPACE } from '../../lib/metrics';
import { signAccessToken } from '../../lib/tokens/access-token';

/**
 * The EMF specification's rules (docs.aws.amazon.com, "Specification: Embedded metric format"):
 * an `_aws` member with a millisecond Timestamp and CloudWatchMetrics directives, each naming a
 * namespace, dimension sets (at most 30 names each) and metrics (at most 100, a name and an
 * optional unit).
 */
const EMF_SCHEMA = {
  type: 'object',
  required: ['_aws'],
  properties: {
    _aws: {
      type: 'object',
      required: ['Timestamp', 'CloudWatchMetrics'],
      properties: {
        Timestamp: { type: 'integer', minimum: 0 },
        CloudWatchMetrics: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['Namespace', 'Dimensions', 'Metrics'],
            additionalProperties: false,
            properties: {
              Namespace: { type: 'string', minLength: 1, maxLength: 255 },
              Dimensions: { type: 'array', items: { type: 'array', maxItems: 30, items: { type: 'string', minLength: 1, maxLength: 255 } } },
              Metrics: {
                type: 'array',
                minItems: 1,
                maxItems: 100,
                items: {
                  type: 'object',
                  required: ['Name'],
                  additionalProperties: false,
                  properties: {
                    Name: { type: 'string', minLength: 1, maxLength: 255 },
                    Unit: { enum: ['Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None'] },
                    StorageResolution: { enum: [1, 60] },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};
const validEmf = new Ajv({ allErrors: true }).compile(EMF_SCHEMA);

type Line = Record<string, any>;

/** Checks what JSON Schema cannot: every dimension and metric named is a member of the right type. */
function expectEmf(line: Line): void {
  expect(validEmf(line), JSON.stringify(validEmf.errors)).toBe(true);
  for (const directive of line._aws.CloudWatchMetrics) {
    for (const set of directive.Dimensions) for (const name of set) expect(typeof line[name], name).toBe('string');
    for (const metric of directive.Metrics) expect(typeof line[metric.Name], metric.Name).toBe('number');
  }
}

/** The EMF lines written to stdout while `fn` runs (log lines go through console, mocked away). */
async function metricLines(fn: () => Promise<unknown> | unknown): Promise<{ raw: string[]; lines: Line[] }> {
  const raw: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    raw.push(String(chunk));
    return true;
  });
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    await fn();
  } finally {
    write.mockRestore();
  }
  return { raw, lines: raw.map((chunk) => JSON.parse(chunk) as Line) };
}

const nameOf = (line: Line) => line._aws.CloudWatchMetrics[0].Metrics[0].Name as string;

beforeEach(() => {
  vi.stubEnv('METRICS_STAGE', 'prod');
  vi.stubEnv('METRICS_SERVICE', 'lambda-jwt-auth');
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('countMetric', () => {
  it('writes one valid EMF line per count, in the service namespace with Service and Stage dimensions', async () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const { raw, lines } = await metricLines(() => countMetric('LoginFailures', now));
    expect(raw).toHaveLength(1);
    expect(raw[0]!.endsWith('\n')).toBe(true);
    expect(raw[0]!.trim()).not.toContain('\n');
    expectEmf(lines[0]!);
    expect(lines[0]).toEqual({
      _aws: {
        Timestamp: now.getTime(),
        CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [['Service', 'Stage']], Metrics: [{ Name: 'LoginFailures', Unit: 'Count' }] }],
      },
      Service: 'lambda-jwt-auth',
      Stage: 'prod',
      LoginFailures: 1,
    });
  });

  it('writes nothing in a process the stack did not start (no METRICS_STAGE): the CLI, use-case tests', async () => {
    vi.stubEnv('METRICS_STAGE', '');
    expect((await metricLines(() => countMetric('Logins'))).raw).toEqual([]);
  });
});

describe('log events counted as metrics', () => {
  it.each(Object.entries(EVENT_METRICS))('counts a logged %s event as %s, even with LOG_LEVEL=silent', async (event, metric) => {
    vi.stubEnv('LOG_LEVEL', 'silent');
    const { lines } = await metricLines(() => log.warn('something happened', { event, userId: 'user-1', sessionId: 'session-1' }));
    expect(lines.map(nameOf)).toEqual([metric]);
    expectEmf(lines[0]!);
    // Only the count: the log line's fields (ids here) stay in the log line.
    expect(JSON.stringify(lines[0])).not.toContain('user-1');
  });

  it('counts no other event', async () => {
    const { raw } = await metricLines(() => {
      for (const event of ['register', 'session_revoked', 'authorizer_deny', 'email_sent', 'password_changed']) log.info('x', { event });
      log.info('no event at all');
    });
    expect(raw).toEqual([]);
  });
});

describe('metric lines never carry token material', () => {
  const settings = { issuer: 'https://auth.example.com', audience: 'https://api.example.com', alg: 'RS256' as const, ttlSeconds: 900 };
  let token: string;

  beforeAll(async () => {
    const doc = await generateKeySet('RS256');
    const signer = new KeyStore({ description: 'memory', load: async () => JSON.stringify(doc) }, { alg: 'RS256' });
    token = await signAccessToken(signer, settings, { userId: 'user-1', sessionId: 'session-1', email: 'a@example.com', roles: ['user'] }, new Date());
  });

  it('counts AuthorizerUnavailable when the key store is down, and the line holds nothing of the bearer token', async () => {
    const down: AuthorizerDeps = {
      keys: new KeyStore({ description: 'down', load: async () => { throw new Error(`key store down while checking ${token}`); } }, { alg: 'RS256', publicOnly: true }),
      settings,
      clock: systemClock,
    };
    const event = { version: '2.0', type: 'REQUEST', routeArn: 'arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/x', headers: { authorization: `Bearer ${token}` } };
    const { raw, lines } = await metricLines(() => authorize(down, event as never));
    expect(lines.map(nameOf)).toEqual(['AuthorizerUnavailable']);
    expectEmf(lines[0]!);
    for (const part of [token, ...token.split('.'), 'Bearer', 'eyJ']) expect(raw.join(''), part.slice(0, 12)).not.toContain(part);
  });

  it('counts ServerErrors for a 5xx answer, never for a 4xx, and the line holds nothing of the error or the request', async () => {
    const event = (headers: Record<string, string>): HttpEvent =>
      ({
        version: '2.0',
        routeKey: 'POST /auth/refresh',
        rawPath: '/auth/refresh',
        rawQueryString: '',
        headers,
        requestContext: { requestId: 'req-1', routeKey: 'POST /auth/refresh', http: { method: 'POST', path: '/auth/refresh', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'vitest' } },
        isBase64Encoded: false,
      }) as never;
    const failing = (error: unknown) => httpHandler({ config: { clientIpHeader: undefined, maxBodyBytes: 16_384 } }, async () => {
      throw error;
    });
    const context = { awsRequestId: 'aws-req-1' } as Context;
    const headers = { authorization: `Bearer ${token}`, cookie: `__Host-refresh=${token}` };
    const { raw, lines } = await metricLines(async () => {
      await failing(new Error(`DynamoDB down while handling ${token}`))(event(headers), context);
      await failing(new AppError('service_unavailable', 'down', { cause: new Error(token) }))(event(headers), context);
      await failing(new AppError('invalid_refresh_token', 'no'))(event(headers), context);
    });
    expect(lines.map(nameOf)).toEqual(['ServerErrors', 'ServerErrors']);
    for (const line of lines) expectEmf(line);
    for (const part of [token, ...token.split('.'), 'Bearer', 'eyJ', 'DynamoDB']) expect(raw.join(''), part.slice(0, 12)).not.toContain(part);
  });
});
