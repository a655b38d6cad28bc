import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../errors';
import { CachedClientSecrets } from '../federation/client-secrets';
import { federationProviders } from '../federation/providers';
import { SecretsManagerKeySource } from '../keys/secrets-manager-source';
import { FileKeySource } from '../keys/sources';
import { log } from '../log';
import { FederationRepository } from '../repositories/federation';
import type { FederationDeps } from '../usecases/federation-deps';
import { containerConfig } from './config';
import { documentClient } from './data';
import type { EmailSender } from '../email/sender';
import { accountDeps } from './account';

let deps: FederationDeps | undefined;

/**
 * Dependencies of the federated sign-in functions, built once per container: the providers of
 * OAUTH_PROVIDERS (their metadata and keys are then cached per container) and their client
 * secrets, from the local file or Secrets Manager. With providers configured and no source of
 * their secrets, the function refuses to start.
 */
export function federationDeps(mailer?: EmailSender): FederationDeps {
  if (!deps) {
    // The code exchange passes the SES sender: its sign-ins notify a new device (lib/sign-in.ts).
    const base = accountDeps(mailer);
    const config = base.config;
    if (config.oauthProviders.length > 0 && !config.oauthClientSecretsFile && !config.oauthClientSecretsSecretId) {
      const error = new ConfigurationError('OAUTH_PROVIDERS is set but OAUTH_CLIENT_SECRETS_SECRET_ID is not');
      log.error('refusing to start: invalid configuration', { reason: error.message });
      throw error;
    }
    const source = config.oauthClientSecretsFile
      ? new FileKeySource(config.oauthClientSecretsFile)
      : new SecretsManagerKeySource(new SecretsManagerClient({ maxAttempts: 4 }), config.oauthClientSecretsSecretId ?? '');
    deps = {
      ...base,
      federation: new FederationRepository(documentClient(), containerConfig(['usersTable']).usersTable),
      providers: federationProviders(config, new CachedClientSecrets(source)),
    };
  }
  return deps;
}
