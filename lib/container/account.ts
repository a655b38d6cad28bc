import type { EmailSender } from '../email/sender';
import { EmailLimitRepository, OneTimeTokensRepository } from '../repositories/one-time-tokens';
import type { AccountDeps } from '../usecases/account-deps';
import { requireEmailSettings } from '../config';
import { containerConfig } from './config';
import { documentClient } from './data';
import { serviceDeps } from './service';

/** The sender of functions that send no email: using it is a wiring mistake, loudly. */
const noMailer: EmailSender = {
  send: () => Promise.reject(new Error('this function has no email sender')),
};

let deps: AccountDeps | undefined;

/**
 * Dependencies of the account-lifecycle functions, built once per container. Functions that send
 * email pass the SES sender from ./mail, so only their bundles carry the SES client.
 */
export function accountDeps(mailer: EmailSender = noMailer): AccountDeps {
  if (!deps) {
    const config = requireEmailSettings(containerConfig(['usersTable', 'sessionsTable', 'signingKeys']));
    deps = {
      ...serviceDeps(),
      tokens: new OneTimeTokensRepository(documentClient(), config.usersTable),
      mailLimits: new EmailLimitRepository(documentClient(), config.usersTable),
      mailer,
    };
  }
  return deps;
}
