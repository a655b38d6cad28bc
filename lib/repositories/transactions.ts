import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { serviceUnavailable } from '../errors';
import { cancellationCodes, dynamo } from './dynamo';
import type { TransactWriteItem } from './types';

/** DynamoDB's cap on the items of one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;

/**
 * Writes items prepared by several repositories (a new session, a reset failure counter, an
 * upgraded password hash...) in ONE DynamoDB transaction: all of them or none. Repositories hand
 * out items; this is the one place that commits a composed transaction.
 */
export class TransactionWriter {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  async write(items: TransactWriteItem[]): Promise<void> {
    if (items.length === 0) return;
    if (items.length > MAX_TRANSACTION_ITEMS) {
      // A caller bug, not an outage: the sessions module keeps its share within the cap.
      throw new Error(`a transaction holds at most ${MAX_TRANSACTION_ITEMS} items, got ${items.length}`);
    }
    await dynamo(() => this.doc.send(new TransactWriteCommand({ TransactItems: items })));
  }
}

/** A condition of the transaction failed: nothing was written. `codes[i]` belongs to item i. */
export class ConditionsFailed extends Error {
  constructor(readonly codes: string[]) {
    super(`transaction conditions failed: ${codes.join(',')}`);
    this.name = 'ConditionsFailed';
  }
}

const CONFLICT_RETRIES = 3;

/**
 * Like {@link TransactionWriter.write}, for writes whose conditions carry meaning (a single-use
 * token still current, a password hash unchanged): a failed condition is {@link ConditionsFailed}
 * for the use case to interpret, and a conflict with a concurrent transaction on the same items
 * is retried, so the loser learns the outcome from the conditions rather than guessing. Anything
 * else is 503 with nothing written.
 */
export async function writeConditional(doc: DynamoDBDocumentClient, items: TransactWriteItem[]): Promise<void> {
  if (items.length > MAX_TRANSACTION_ITEMS) {
    throw new Error(`a transaction holds at most ${MAX_TRANSACTION_ITEMS} items, got ${items.length}`);
  }
  for (let attempt = 0; ; attempt += 1) {
    try {
      await doc.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (err) {
      const codes = cancellationCodes(err);
      if (codes.includes('ConditionalCheckFailed')) throw new ConditionsFailed(codes);
      if (codes.includes('TransactionConflict') && attempt < CONFLICT_RETRIES) {
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 40 * (attempt + 1)));
        continue;
      }
      throw serviceUnavailable(err);
    }
  }
}

/** The account use cases' transaction writer: {@link writeConditional} on one client. */
export class Transactions {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  write(items: TransactWriteItem[]): Promise<void> {
    return writeConditional(this.doc, items);
  }
}
