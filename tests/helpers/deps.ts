/**
 * Builds real use-case dependencies for tests: repositories on the DynamoDB Local started by the
 * global setup, the throwaway key set through the same KeyStore as production, and a clock the
 * test controls.
 */
import { login } from '../../lib/usecases/login';
import type { SignedIn } from '../../lib/sign-in';
import { randomUUID } from 'node:crypto';
import { expect, inject } from 'vitest';
import { loadConfig, type Config } from '../../lib/config';
import { KeyStore } from '../../lib/keys/key-store';
import { FileKeySource, type KeySource } from '../../lib/keys/sources';
import { createDocumentClient } from '../../lib/repositories/dynamo';
import { LoginAttemptsRepository } from '../../lib/repositories/login-attempts';
import { RateLimitRepository } from '../../lib/repositories/rate-limits';
import { SessionsRepository } from '../../lib/repositories/sessions';
import { TransactionWriter } from '../../lib/repositories/transactions';
import { SecurityEventsRepository } from '../../lib/repositories/security-events';
import { UsersRepository } from '../../lib/repositories/users';
import { FactorsRepository } from '../../lib/repositories/factors';
import { WebAuthnChallengesRepository } from '../../lib/repositories/webauthn-challenges';
import { MfaTokensRepository } from '../../lib/repositories/mfa-tokens';
import { totpSecretBox } from '../../lib/mfa/secret-box';
import { createSesClient, SesEmailSender, type EmailSender } from '../../lib/email/sender';
import { EmailLimitRepository, OneTimeTokensRepository } from '../../lib/repositories/one-time-tokens';
import type { AccountDeps } from '../../lib/usecases/account-deps';

export interface TestClock {
  now: () => Date;
  set(date: Date | number): void;
  advance(ms: number): void;
}

export function testClock(start: Date | number = Date.now()): TestClock {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    set: (date) => {
      current = new Date(date).getTime();
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    AUTH_MODE: 'local',
    SIGNING_KEYS_FILE: inject('keysFile'),
    DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
    SES_ENDPOINT: inject('sesEndpoint'),
    BCRYPT_COST: '4',
    LOGIN_IP_LIMIT_PER_MINUTE: '0',
    REGISTER_IP_LIMIT_PER_MINUTE: '0',
    ...overrides,
  });
}

export function testDeps(options: { env?: Record<string, string>; clock?: TestClock; keySource?: KeySource; mailer?: EmailSender } = {}) {
  const config = testConfig(options.env);
  const doc = createDocumentClient({ endpoint: config.dynamodbEndpoint });
  const clock = options.clock ?? testClock();
  const keys = new KeyStore(options.keySource ?? new FileKeySource(config.signingKeysFile!), { alg: config.signingAlg });
  const ses = createSesClient({ from: config.emailFrom, endpoint: config.sesEndpoint });
  const transactions = new TransactionWriter(doc);
  const deps: AccountDeps = {
    config,
    users: new UsersRepository(doc, config.usersTable, transactions),
    sessions: new SessionsRepository(doc, config.sessionsTable, transactions),
    transactions,
    loginAttempts: new LoginAttemptsRepository(doc, config.usersTable),
    rateLimits: new RateLimitRepository(doc, config.usersTable),
    events: new SecurityEventsRepository(doc, config.usersTable, config.securityEventsTtlDays),
    keys,
    clock: clock.now,
    tokens: new OneTimeTokensRepository(doc, config.usersTable),
    mailLimits: new EmailLimitRepository(doc, config.usersTable),
    mailer: options.mailer ?? new SesEmailSender(ses, config.emailFrom),
    factors: new FactorsRepository(doc, config.usersTable),
    mfaTokens: new MfaTokensRepository(doc, config.usersTable),
    totpBox: totpSecretBox(keys),
    challenges: new WebAuthnChallengesRepository(doc, config.usersTable),
  };
  return { deps, doc, clock, config, ses };
}

export const uniqueEmail = (tag = 'user') => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

/**
 * What a successful register, login or refresh resolves to (the token response of docs/openapi.yaml); with
 * `email`, also the user it was issued to. Stricter than "resolves": a wrong result fails too.
 */
export function issued(email?: string) {
  return expect.objectContaining({
    tokenType: 'Bearer',
    accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    refreshToken: expect.stringMatching(/^[\w-]{22}\.[\w-]{43}$/),
    ...(email === undefined ? {} : { user: expect.objectContaining({ email }) }),
  });
}

/**
 * The password login of a user without a second factor: its token response (a test of such a
 * user fails here if the login answered `mfaRequired`).
 */
export async function passwordLogin(...args: Parameters<typeof login>): Promise<SignedIn> {
  const result = await login(...args);
  if ('mfaRequired' in result) throw new Error('the login asked for a second factor');
  return result;
}
