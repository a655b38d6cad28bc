import type { FederationProvider } from '../federation/providers';
import type { FederationRepository } from '../repositories/federation';
import type { AccountDeps } from './account-deps';

/** What federated sign-in and identity linking need beyond the account's dependencies. */
export interface FederationDeps extends AccountDeps {
  federation: FederationRepository;
  providers: Map<string, FederationProvider>;
}
