import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './dynamo';
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
