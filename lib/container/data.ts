import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../repositories/dynamo';
import { FactorsRepository } from '../repositories/factors';
import { MfaTokensRepository } from '../repositories/mfa-tokens';
import { LoginAttemptsRepository } from '../repositories/login-attempts';
import { RateLimitRepository } from '../repositories/rate-limits';
import { SecurityEventsRepository } from '../repositories/security-events';
import { SessionsRepository } from '../repositories/sessions';
import { TransactionWriter } from '../repositories/transactions';
import { UsersRepository } from '../repositories/users';
import { WebAuthnChallengesRepository } from '../repositories/webauthn-challenges';
import { containerConfig } from './config';

let doc: DynamoDBDocumentClient | undefined;

/** One DynamoDB document client per container, shared by the repositories. */
export function documentClient(): DynamoDBDocumentClient {
  doc ??= createDocumentClient({ endpoint: containerConfig().dynamodbEndpoint });
  return doc;
}

let writer: TransactionWriter | undefined;

/** The container's one transaction writer (lib/repositories/transactions.ts). */
export function transactionWriter(): TransactionWriter {
  writer ??= new TransactionWriter(documentClient());
  return writer;
}

export const usersRepository = () => new UsersRepository(documentClient(), containerConfig(['usersTable']).usersTable, transactionWriter());
export const sessionsRepository = () => new SessionsRepository(documentClient(), containerConfig(['sessionsTable']).sessionsTable, transactionWriter());
export const rateLimitRepository = () => new RateLimitRepository(documentClient(), containerConfig(['usersTable']).usersTable);
export const loginAttemptsRepository = () => new LoginAttemptsRepository(documentClient(), containerConfig(['usersTable']).usersTable);
export const factorsRepository = () => new FactorsRepository(documentClient(), containerConfig(['usersTable']).usersTable);
export const webauthnChallengesRepository = () => new WebAuthnChallengesRepository(documentClient(), containerConfig(['usersTable']).usersTable);
export const mfaTokensRepository = () => new MfaTokensRepository(documentClient(), containerConfig(['usersTable']).usersTable);
export const securityEventsRepository = () => {
  const config = containerConfig(['usersTable']);
  return new SecurityEventsRepository(documentClient(), config.usersTable, config.securityEventsTtlDays);
};
