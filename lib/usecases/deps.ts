import type { Clock } from '../clock';
import type { Config } from '../config';
import type { KeyStore } from '../keys/key-store';
import type { LoginAttemptsRepository } from '../repositories/login-attempts';
import type { FactorsRepository } from '../repositories/factors';
import type { MfaTokensRepository } from '../repositories/mfa-tokens';
import type { RateLimitRepository } from '../repositories/rate-limits';
import type { SecretBox } from '../mfa/secret-box';
import type { SecurityEventsRepository } from '../repositories/security-events';
import type { SessionsRepository } from '../repositories/sessions';
import type { TransactionWriter } from '../repositories/transactions';
import type { UsersRepository } from '../repositories/users';
import type { WebAuthnChallengesRepository } from '../repositories/webauthn-challenges';

/** Everything a use case touches, passed in so tests can swap any part and freeze time. */
export interface Deps {
  config: Config;
  users: UsersRepository;
  sessions: SessionsRepository;
  /** Commits items composed from several repositories in one transaction. */
  transactions: TransactionWriter;
  loginAttempts: LoginAttemptsRepository;
  rateLimits: RateLimitRepository;
  /** The user's security activity (GET /auth/events). */
  events: SecurityEventsRepository;
  keys: KeyStore;
  clock: Clock;
  /** Second factors and recovery codes, and the pending second steps of sign-ins. */
  factors: FactorsRepository;
  mfaTokens: MfaTokensRepository;
  /** Seals TOTP secrets at rest (lib/mfa/secret-box.ts, on the key set's data keys). */
  totpBox: SecretBox;
  /** Passkey ceremonies' challenges (single use, 5 minutes). */
  challenges: WebAuthnChallengesRepository;
}

/** Where a request came from, recorded on the session it opens. */
export interface RequestMeta {
  ip: string | undefined;
  userAgent: string | undefined;
}

