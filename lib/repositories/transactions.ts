/**
 * The one place that commits a DynamoDB transaction composed by several repositories (a new
 * session beside a user check, a password change beside the revocation of sessions...).
 *
 *   await tx.write([part('user', users.signInItem(...)), ...session.items]);
 *
 * Every item carries a label its caller chose. When a condition fails, nothing is written and
 * {@link ConditionFailed} names the labels of the items whose conditions failed, so a use case
 * asks `failedOn(err, 'user')` instead of decoding item positions. A conflict with a concurrent
 * transaction on the same items is retried here with jittered back-off, so callers only ever see
 * the outcome of their conditions; anything else (throttling past the SDK's own retries, an
 * outage) is 503 `service_unavailable` with nothing written.
 */
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AppError, serviceUnavailable } from '../errors';
import { cancellationCodes } from './dynamo';
import type { TransactWriteItem } from './types';

/** DynamoDB's cap on the items of one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;

/** One item of a transaction and the label its failure is reported under. */
export interface TransactionPart {
  label: string;
  item: TransactWriteItem;
}

export const part = (label: string, item: TransactWriteItem): TransactionPart => ({ label, item });

export const parts = (label: string, items: readonly TransactWriteItem[]): TransactionPart[] => items.map((item) => part(label, item));

/**
 * Conditions of the transaction failed: nothing was written. Left unhandled it answers 503 (the
 * state moved under the request; a retry sees the new state), which is why it is a
 * `service_unavailable` AppError; use cases that expect a condition to fail catch it by label.
 */
export class ConditionFailed extends AppError {
  readonly labels: ReadonlySet<string>;

  constructor(labels: string[], cause: unknown) {
    super('service_unavailable', 'The service is temporarily unavailable. Try again shortly.', { cause });
    this.name = 'ConditionFailed';
    this.labels = new Set(labels);
  }
}

/** True when `err` is a failed transaction condition (on the item labelled `label`, if given). */
export function failedOn(err: unknown, label?: string): err is ConditionFailed {
  return err instanceof ConditionFailed && (label === undefined || err.labels.has(label));
}

/** Attempts of one transaction against concurrent writers of the same items. */
const CONFLICT_ATTEMPTS = 6;

export class TransactionWriter {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /**
   * `conflictAttempts`: how many times to try against concurrent transactions on the same items
   * (default 6). A caller whose loser already knows the answer (a refresh racing another refresh
   * of the same token: the parent is consumed) passes 1 and re-reads at once instead of waiting.
   */
  async write(items: readonly TransactionPart[], options: { conflictAttempts?: number } = {}): Promise<void> {
    const attempts = options.conflictAttempts ?? CONFLICT_ATTEMPTS;
    if (items.length === 0) return;
    if (items.length > MAX_TRANSACTION_ITEMS) {
      // A caller bug, not an outage: the sessions module keeps its share within the cap.
      throw new Error(`a transaction holds at most ${MAX_TRANSACTION_ITEMS} items, got ${items.length}`);
    }
    const command = new TransactWriteCommand({ TransactItems: items.map((p) => p.item) });
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.doc.send(command);
        return;
      } catch (err) {
        const codes = cancellationCodes(err);
        const failed = items.filter((_, i) => codes[i] === 'ConditionalCheckFailed').map((p) => p.label);
        if (failed.length > 0) throw new ConditionFailed([...new Set(failed)], err);
        if (codes.includes('TransactionConflict') && attempt < attempts) {
          // Full jitter over a growing ceiling: parallel losers spread out instead of colliding again.
          await new Promise((r) => setTimeout(r, Math.random() * 25 * 2 ** attempt));
          continue;
        }
        throw serviceUnavailable(err);
      }
    }
  }
}
