/**
 * One call of an AWS JSON-protocol API (`x-amz-target`), SigV4-signed (./sigv4), over node:https
 * (node:http for a local endpoint): what the verifying functions use instead of the AWS SDK, whose
 * clients would add tens of milliseconds to the cold start of the functions that run in front of
 * every request.
 *
 * Not fetch: the first fetch() of a process loads and sets up undici, 60 ms before its first
 * answer here, against 12 ms for node:http (3.4 ms of it loading the module), measured on a local
 * server in fresh processes (bench/README.md). The authorizer's and the JWKS function's first
 * request makes such a call to read the keys, so every new container paid it. The module is taken
 * on the first call (process.getBuiltinModule), so a function that never calls loads none of it.
 */
import type { Agent, IncomingMessage, RequestOptions } from 'node:http';
import { urlToHttpOptions } from 'node:url';
import { signRequest, type AwsCredentials } from './sigv4';

/**
 * Where the calls go: what the signer and node:http need of a URL. A regional endpoint is built
 * from its parts ({@link regionalEndpoint}); any other is parsed once ({@link endpointOf}).
 */
export interface Endpoint {
  protocol: string;
  /** Without the brackets of an IPv6 address, as node:http takes it. */
  hostname: string;
  /** Empty for the scheme's default port. */
  port: string;
  /** `hostname[:port]` as a URL spells it: the Host header the signature covers. */
  host: string;
  pathname: string;
  /** `?query`, or empty. */
  search: string;
}

/**
 * A service's regional endpoint, `https://{service}.{region}.amazonaws.com/`, without a URL
 * parse: the first `new URL` of a process costs 0.14 ms, and a Lambda verifier that calls only
 * regional endpoints needs none, at load or on its first call (bench/README.md).
 */
export function regionalEndpoint(service: string, region: string): Endpoint {
  const host = `${service}.${region}.amazonaws.com`;
  return { protocol: 'https:', hostname: host, port: '', host, pathname: '/', search: '' };
}

/** Any other endpoint (DynamoDB Local, a test server), parsed by the URL parser. */
export function endpointOf(raw: string): Endpoint {
  const url = new URL(raw);
  const { protocol, port, host, pathname, search } = url;
  return { protocol, hostname: urlToHttpOptions(url).hostname ?? url.hostname, port, host, pathname, search };
}

export interface AwsJsonClientOptions {
  /** {@link regionalEndpoint}, or {@link endpointOf} a URL such as DynamoDB Local's. */
  endpoint: Endpoint;
  region: string;
  service: string;
  credentials: AwsCredentials;
  /** `application/x-amz-json-1.0` (DynamoDB) or `-1.1` (Secrets Manager). */
  contentType: string;
  /**
   * Extra attempts after a 5xx answer, a throttling answer (isThrottled) or a connection that
   * failed (a kept-alive socket the far end closed while the container was frozen), each after a
   * random wait below initialRetryMs × 2^n. The two calls made with it are reads, safe to repeat.
   * The attempts are all there are: callers do not retry on top.
   */
  retries?: number;
  initialRetryMs?: number;
  now?: () => Date;
}

/** An answer, read whole. */
export interface AwsAnswer {
  status: number;
  ok: boolean;
  body: string;
}

/** The error types with which the JSON-protocol services say "slow down" in a 400 answer. */
const THROTTLING_TYPES = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'TooManyRequestsException']);

/**
 * True when an answer asks the caller to slow down: a 429, or a 400 whose `__type` names a
 * throttling error (Secrets Manager and DynamoDB throttle with a 400, e.g.
 * `com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException`).
 */
export function isThrottled(answer: AwsAnswer): boolean {
  if (answer.status === 429) return true;
  if (answer.status !== 400) return false;
  let type: unknown;
  try {
    type = (JSON.parse(answer.body) as { __type?: unknown } | null)?.__type;
  } catch {
    return false;
  }
  return typeof type === 'string' && THROTTLING_TYPES.has(type.slice(type.lastIndexOf('#') + 1));
}

/** Larger answers are refused: a session item or a key set is a few kilobytes. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export interface ServiceClientOptions {
  /** `dynamodb`, `secretsmanager`: the signing name and the regional endpoint's first label. */
  service: string;
  env: Record<string, string | undefined>;
  /** A local stand-in (DynamoDB Local, a test server); the regional endpoint when absent. */
  endpoint?: string | undefined;
  contentType: string;
  /** Credentials to sign with when the environment has none (a local stand-in accepts any). */
  fallbackCredential?: string;
  retries?: number;
  initialRetryMs?: number;
}

/**
 * A client for one AWS service as the SDK would set it up in a Lambda environment: the region
 * from AWS_REGION (else AWS_DEFAULT_REGION, else us-east-1), the execution role's credentials from
 * the environment, the service's regional endpoint unless another is given.
 */
export function serviceClient(options: ServiceClientOptions): AwsJsonClient {
  const { env, service, fallbackCredential = '' } = options;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return new AwsJsonClient({
    endpoint: options.endpoint ? endpointOf(`${options.endpoint.replace(/\/+$/, '')}/`) : regionalEndpoint(service, region),
    region,
    service,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? fallbackCredential,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? fallbackCredential,
      sessionToken: env.AWS_SESSION_TOKEN,
    },
    contentType: options.contentType,
    retries: options.retries,
    initialRetryMs: options.initialRetryMs,
  });
}

interface Transport {
  request: (options: RequestOptions, onAnswer: (answer: IncomingMessage) => void) => ReturnType<typeof import('node:http').request>;
  agent: Agent;
}

/** One module and one kept-alive connection pool per scheme, made on the first call. */
const transports = new Map<string, Transport>();

function transportFor(protocol: string): Transport {
  let transport = transports.get(protocol);
  if (!transport) {
    if (protocol !== 'https:' && protocol !== 'http:') throw new Error(`unsupported endpoint scheme ${protocol}`);
    const module = protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
    transport = { request: module.request, agent: new module.Agent({ keepAlive: true }) };
    transports.set(protocol, transport);
  }
  return transport;
}

function post(endpoint: Endpoint, headers: Record<string, string>, body: string, signal: AbortSignal | undefined): Promise<AwsAnswer> {
  const { protocol, hostname, port, pathname, search } = endpoint;
  const { request, agent } = transportFor(protocol);
  const options: RequestOptions = {
    protocol,
    hostname,
    port: port || undefined,
    path: pathname + search,
    method: 'POST',
    headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    agent,
    signal,
  };
  return new Promise((resolve, reject) => {
    const req = request(options, (answer) => {
      const chunks: Buffer[] = [];
      let size = 0;
      answer.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          answer.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      answer.on('error', reject);
      answer.on('end', () => {
        const status = answer.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status < 300, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export class AwsJsonClient {
  private readonly retries: number;
  private readonly initialRetryMs: number;
  private readonly now: () => Date;

  constructor(private readonly options: AwsJsonClientOptions) {
    this.retries = options.retries ?? 0;
    this.initialRetryMs = options.initialRetryMs ?? 50;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Posts `body` as the action `target` and answers the last answer. A connection that fails on
   * the last attempt, or an abort through `signal` (which bounds every attempt and wait), rejects.
   */
  async call(target: string, body: string, signal?: AbortSignal): Promise<AwsAnswer> {
    const { endpoint, region, service, credentials, contentType } = this.options;
    for (let attempt = 0; ; attempt += 1) {
      const headers = signRequest(
        { method: 'POST', url: endpoint, headers: { 'content-type': contentType, 'x-amz-target': target }, body },
        credentials,
        { region, service },
        this.now(),
      );
      let answer: AwsAnswer | undefined;
      try {
        answer = await post(endpoint, headers, body, signal);
      } catch (err) {
        if (attempt >= this.retries || signal?.aborted) throw err;
      }
      if (answer && (attempt >= this.retries || (answer.status < 500 && !isThrottled(answer)))) return answer;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * this.initialRetryMs * 2 ** attempt));
      signal?.throwIfAborted();
    }
  }
}
