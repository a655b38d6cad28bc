import { epochSeconds, storedInstant } from '../clock';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './dynamo';
import type { TransactWriteItem } from './types';

export interface LoginAttempts {
  failures: number;
  /** When the latest failure happened (stored as ISO-8601). */
  lastFailureAt: Date;
}

export const loginAttemptsKey = (email: string) => `LOGIN#${email}`;
const key = loginAttemptsKey;

export function toLoginAttempts(item: Record<string, unknown>): LoginAttempts {
  // Counters written by earlier versions hold epoch milliseconds.
  return { failures: Number(item.failures ?? 0), lastFailureAt: storedInstant(item.lastFailureAt) ?? new Date(0) };
}

/**
 * Consecutive failed logins per account, kept in the users table so the count holds across Lambda
 * containers. Increments are atomic (ADD), so concurrent failures are all counted. Items expire by
 * TTL once the longest back-off has passed.
 */
export class LoginAttemptsRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(email: string): Promise<LoginAttempts | undefined> {
    const out = await dynamo(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: key(email) }, ConsistentRead: true })),
    );
    return out.Item ? toLoginAttempts(out.Item) : undefined;
  }

  async recordFailure(email: string, now: Date, keepSeconds: number): Promise<LoginAttempts> {
    const out = await dynamo(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: key(email) },
          UpdateExpression: 'ADD failures :one SET lastFailureAt = :now, expiresAt = :expiresAt',
          ExpressionAttributeValues: {
            ':one': 1,
            ':now': now.toISOString(),
            ':expiresAt': epochSeconds(now) + keepSeconds,
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return { failures: Number(out.Attributes?.failures ?? 1), lastFailureAt: now };
  }

  /** A transaction item clearing the counter, so a successful login resets it in its own write. */
  resetItem(email: string): TransactWriteItem {
    return { Delete: { TableName: this.table, Key: { pk: key(email) } } };
  }
}
