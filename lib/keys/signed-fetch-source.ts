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

  /**
   * `maxAttempts` calls at most per load, whatever mixes of 5xx, throttling (a 400
   * `ThrottlingException` from Secrets Manager) and failed connections it meets, with jittered
   * exponential waits from `baseDelayMs` (the shared client's retry, lib/aws/json-call.ts).
   */
  constructor(
    private readonly secretId: string,
    env: Record<string, string | undefined> = process.env,
    maxAttempts = 4,
    baseDelayMs = 100,
  ) {
    this.description = `secret ${secretId}`;
    this.client = serviceClient({
      service: 'secretsmanager',
      env,
      endpoint: env.SECRETS_MANAGER_ENDPOINT,
      contentType: 'application/x-amz-json-1.1',
      retries: maxAttempts - 1,
      initialRetryMs: baseDelayMs,
    });
  }

  async load(): Promise<string> {
    const response = await this.call();
    if (!response.ok) {
      // The body names the AWS error type (AccessDenied, ResourceNotFound...): log-worthy, not secret.
      throw serviceUnavailable(new Error(`GetSecretValue answered ${response.status}: ${response.body.slice(0, 300)}`));
    }
    const body = parsedOrUndefined(response.body) as { SecretString?: unknown } | undefined;
    if (!body || typeof body.SecretString !== 'string') {
      throw serviceUnavailable(new Error('the key set secret has no SecretString'));
    }
    return body.SecretString;
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
