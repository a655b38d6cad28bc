import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { serviceUnavailable } from '../errors';
import type { KeySource } from './sources';

/**
 * Reads the key set with the AWS SDK. Used by the functions that already carry the SDK for
 * DynamoDB (register, login, refresh, logout). The SDK's standard retry policy already backs off
 * on throttling.
 */
export class SecretsManagerKeySource implements KeySource {
  readonly description: string;
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
  ) {
    this.description = `secret ${secretId}`;
  }

  async load(): Promise<string> {
    let out;
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    } catch (err) {
      throw serviceUnavailable(err);
    }
    if (typeof out.SecretString !== 'string') {
      throw serviceUnavailable(new Error('the key set secret has no SecretString'));
    }
    return out.SecretString;
  }
}
