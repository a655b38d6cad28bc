import type { EmailSender } from '../email/sender';
import type { EmailLimitRepository, OneTimeTokensRepository } from '../repositories/one-time-tokens';
import type { Deps } from './deps';

/** What the account-lifecycle use cases need beyond the token-issuing ones. */
export interface AccountDeps extends Deps {
  tokens: OneTimeTokensRepository;
  mailLimits: EmailLimitRepository;
  mailer: EmailSender;
}
