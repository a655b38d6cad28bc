/**
 * Reads one session's revocation state straight from DynamoDB with a single SigV4-signed
 * `GetItem` (lib/aws/json-call.ts), so the authorizer bundle stays without the AWS SDK, whose
 * clients would add tens of milliseconds to every cold start of the function that runs in front of
 * each request.
 *
 * Only `SESSION#<sid>` items are read, and only the attributes the decision needs: the verifier
 * role's IAM policy allows nothing else (a `dynamodb:LeadingKeys` condition on `SESSION#*`), so
 * refresh-token hashes stay out of its reach.
 */
import { serviceClient, type AwsAnswer, type AwsJsonClient } from '../aws/json-call';

export type SessionRead =
  | { found: false }
  | { found: true; userId: string | undefined; revoked: boolean; expiresAt: number | undefined };

export interface SessionReader {
  /** `consistent` asks for a strongly consistent read (twice the read units). */
  read(sid: string, consistent: boolean): Promise<SessionRead>;
}

/** The read failed or answered something unusable: the caller decides how to fail (closed). */
export class SessionReadFailed extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'SessionReadFailed';
  }
}

export interface SignedFetchSessionReaderOptions {
  table: string;
  /** DynamoDB Local locally; the regional endpoint otherwise. */
  endpoint?: string | undefined;
  env?: Record<string, string | undefined>;
  /** For the whole read, retries and waits included; the authorizer must answer well inside API Gateway's 10 s. */
  timeoutMs?: number;
  /** Extra attempts on a 5xx, a throttling answer or a failed connection, after a short random wait (lib/aws/json-call.ts). */
  retries?: number;
}

interface AttributeValue {
  S?: string;
  N?: string;
}

export class SignedFetchSessionReader implements SessionReader {
  private readonly client: AwsJsonClient;
  private readonly table: string;
  private readonly timeoutMs: number;

  constructor(options: SignedFetchSessionReaderOptions) {
    this.table = options.table;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.client = serviceClient({
      service: 'dynamodb',
      env: options.env ?? process.env,
      endpoint: options.endpoint,
      contentType: 'application/x-amz-json-1.0',
      // DynamoDB Local accepts any credentials; on Lambda the role's keys are in the environment.
      fallbackCredential: options.endpoint ? 'local' : '',
      retries: options.retries ?? 1,
      initialRetryMs: 20,
    });
  }

  async read(sid: string, consistent: boolean): Promise<SessionRead> {
    let response: AwsAnswer;
    try {
      response = await this.client.call(
        'DynamoDB_20120810.GetItem',
        JSON.stringify({
          TableName: this.table,
          Key: { pk: { S: `SESSION#${sid}` } },
          ProjectionExpression: 'userId, revokedAt, expiresAt',
          ConsistentRead: consistent,
        }),
        AbortSignal.timeout(this.timeoutMs),
      );
    } catch (err) {
      throw new SessionReadFailed('GetItem did not answer', { cause: err });
    }
    if (!response.ok) {
      // The body names the AWS error type (throttling, access denied...): log-worthy, not secret.
      const detail = response.body.slice(0, 200);
      throw new SessionReadFailed(`GetItem answered ${response.status}: ${detail}`);
    }
    let body: { Item?: Record<string, AttributeValue> };
    try {
      body = JSON.parse(response.body) as { Item?: Record<string, AttributeValue> };
    } catch (err) {
      throw new SessionReadFailed('GetItem answered a body that is not JSON', { cause: err });
    }
    if (typeof body !== 'object' || body === null) throw new SessionReadFailed('GetItem answered a body that is not an object');
    const item = body.Item;
    if (!item) return { found: false };
    const expiresAt = item.expiresAt?.N === undefined ? undefined : Number(item.expiresAt.N);
    return { found: true, userId: item.userId?.S, revoked: item.revokedAt !== undefined, expiresAt };
  }
}
