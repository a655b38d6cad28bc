import { AwsClient } from 'aws4fetch';
import { serviceUnavailable } from '../errors';
import type { KeySource } from './sources';

/**
 * Reads the key set from Secrets Manager with one SigV4-signed HTTPS call (aws4fetch, ~6 KB)
 * instead of the AWS SDK. The authorizer and the JWKS function use it: they run in front of
 * every request, and the SDK would add tens of milliseconds to their cold start.
 * Credentials come from the Lambda environment, as they would for the SDK.
 */
export class SignedFetchKeySource implements KeySource {
  readonly description: string;
  private readonly client: AwsClient;
  private readonly url: string;

  constructor(
    private readonly secretId: string,
    env: Record<string, string | undefined> = process.env,
  ) {
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    this.description = `secret ${secretId}`;
    this.url = env.SECRETS_MANAGER_ENDPOINT ?? `https://secretsmanager.${region}.amazonaws.com/`;
    this.client = new AwsClient({
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
      sessionToken: env.AWS_SESSION_TOKEN,
      region,
      service: 'secretsmanager',
      retries: 3,
    });
  }

  async load(): Promise<string> {
    let response: Response;
    try {
      response = await this.client.fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'secretsmanager.GetSecretValue',
        },
        body: JSON.stringify({ SecretId: this.secretId }),
      });
    } catch (err) {
      throw serviceUnavailable(err);
    }
    if (!response.ok) {
      // The body names the AWS error type (AccessDenied, ResourceNotFound...): log-worthy, not secret.
      const detail = (await response.text().catch(() => '')).slice(0, 300);
      throw serviceUnavailable(new Error(`GetSecretValue answered ${response.status}: ${detail}`));
    }
    const body = (await response.json().catch(() => undefined)) as { SecretString?: unknown } | undefined;
    if (!body || typeof body.SecretString !== 'string') {
      throw serviceUnavailable(new Error('the key set secret has no SecretString'));
    }
    return body.SecretString;
  }
}
