import { serviceClient, type AwsAnswer, type AwsJsonClient } from '../aws/json-call';
import { serviceUnavailable } from '../errors';
import type { KeySource } from './sources';

/**
 * Reads the key set from Secrets Manager with one SigV4-signed HTTPS call (lib/aws/json-call.ts)
 * instead of the AWS SDK. The authorizer and the JWKS function use it: they run in front of
 * every request, and the SDK would add tens of milliseconds to their cold start.
 * Credentials come from the Lambda environment, as they would for the SDK.
 */
export class SignedFetchKeySource implements KeySource {
  readonly description: string;
  private readonly client: AwsJsonClient;

  constructor(
    private readonly secretId: string,
    env: Record<string, string | undefined> = process.env,
    private readonly maxAttempts = 4,
    private readonly baseDelayMs = 100,
  ) {
    this.description = `secret ${secretId}`;
    this.client = serviceClient({
      service: 'secretsmanager',
      env,
      endpoint: env.SECRETS_MANAGER_ENDPOINT,
      contentType: 'application/x-amz-json-1.1',
      retries: 3,
    });
  }

  async load(): Promise<string> {
    // The client retries 5xx and 429 itself; Secrets Manager signals throttling as a 400 with
    // `ThrottlingException`, which we retry here with jittered exponential back-off.
    for (let attempt = 1; ; attempt += 1) {
      const response = await this.call();
      if (response.ok) {
        const body = parsedOrUndefined(response.body) as { SecretString?: unknown } | undefined;
        if (!body || typeof body.SecretString !== 'string') {
          throw serviceUnavailable(new Error('the key set secret has no SecretString'));
        }
        return body.SecretString;
      }
      // The body names the AWS error type (AccessDenied, ResourceNotFound...): log-worthy, not secret.
      const detail = response.body.slice(0, 300);
      if (detail.includes('ThrottlingException') && attempt < this.maxAttempts) {
        await new Promise((r) => setTimeout(r, this.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random())));
        continue;
      }
      throw serviceUnavailable(new Error(`GetSecretValue answered ${response.status}: ${detail}`));
    }
  }

  private async call(): Promise<AwsAnswer> {
    try {
      return await this.client.call('secretsmanager.GetSecretValue', JSON.stringify({ SecretId: this.secretId }));
    } catch (err) {
      throw serviceUnavailable(err);
    }
  }
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
