import type { Clock } from '../clock';
import type { Config } from '../config';
import type { KeyStore } from '../keys/key-store';
import type { LoginAttemptsRepository } from '../repositories/login-attempts';
import type { RateLimitRepository } from '../repositories/rate-limits';
import type { SecurityEventsRepository } from '../repositories/security-events';
import type { SessionsRepository } from '../repositories/sessions';
import type { TransactionWriter } from '../repositories/transactions';
import type { UsersRepository } from '../repositories/users';

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
}

/** Where a request came from, recorded on the session it opens. */
export interface RequestMeta {
  ip: string | undefined;
  userAgent: string | undefined;
}

