import { systemClock } from '../clock';
import type { Deps } from '../usecases/deps';
import { containerConfig } from './config';
import { totpSecretBox } from '../mfa/secret-box';
import {
  factorsRepository,
  loginAttemptsRepository,
  mfaTokensRepository,
  rateLimitRepository,
  securityEventsRepository,
  sessionsRepository,
  transactionWriter,
  usersRepository,
  webauthnChallengesRepository,
} from './data';
import { signingKeyStore } from './signing-keys';

let deps: Deps | undefined;


/** Dependencies of the token-issuing use cases, built once per container. */
export function serviceDeps(): Deps {
  const keys = signingKeyStore();
  deps ??= {
    config: containerConfig(['signingKeys', 'usersTable', 'sessionsTable']),
    users: usersRepository(),
    sessions: sessionsRepository(),
    transactions: transactionWriter(),
    loginAttempts: loginAttemptsRepository(),
    rateLimits: rateLimitRepository(),
    events: securityEventsRepository(),
    keys,
    clock: systemClock,
    factors: factorsRepository(),
    mfaTokens: mfaTokensRepository(),
    totpBox: totpSecretBox(keys),
    challenges: webauthnChallengesRepository(),
  };
  return deps;
}
