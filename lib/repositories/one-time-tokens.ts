import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OneTimeTokenKind } from '../tokens/one-time-token';
import { dynamo, errorName } from './dynamo';
import type { TransactWriteItem } from './types';

/** Seconds since the epoch; `expiresAt` doubles as the table's TTL attribute. */
export interface OneTimeTokenRecord {
  kind: OneTimeTokenKind;
  userId: string;
  createdAt: string;
  expiresAt: number;
  /** Email change: the address the link confirms, and the session that asked (it stays). */
  newEmail?: string | undefined;
  sessionId?: string | undefined;
}

/**
 * Kinds of email limited per mailbox: the links, security notices, and the notices of sign-ins
 * from new devices (a budget of their own, so a run of sign-ins cannot use up the budget of the
 * notices of credential and factor changes).
 */
export type MailKind = OneTimeTokenKind | 'notice' | 'sign_in_notice';

export const oneTimeTokenKey = (kind: OneTimeTokenKind, hash: string) => `ONETIME#${kind}#${hash}`;

/**
 * Verification and reset tokens, in the users table under `ONETIME#<kind>#<sha256>`. Which token
 * of a user is current is recorded on the user item itself (see UsersRepository), so a newer
 * token supersedes older ones and a consumed one stops working through the same conditional
 * write that applies its effect. Items expire by TTL; reads check `expiresAt` themselves, because
 * TTL deletion can lag by days.
 */
export class OneTimeTokensRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  putItem(hash: string, record: OneTimeTokenRecord): TransactWriteItem {
    return {
      Put: {
        TableName: this.table,
        Item: { pk: oneTimeTokenKey(record.kind, hash), ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** Consumes the token: it must still exist and be unexpired at write time. */
  consumeItem(kind: OneTimeTokenKind, hash: string, now: Date): TransactWriteItem {
    return {
      Delete: {
        TableName: this.table,
        Key: { pk: oneTimeTokenKey(kind, hash) },
        ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
        ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
      },
    };
  }

  deleteItem(kind: OneTimeTokenKind, hash: string): TransactWriteItem {
    return { Delete: { TableName: this.table, Key: { pk: oneTimeTokenKey(kind, hash) } } };
  }

  async find(kind: OneTimeTokenKind, hash: string): Promise<OneTimeTokenRecord | undefined> {
    const out = await dynamo(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: oneTimeTokenKey(kind, hash) }, ConsistentRead: true })),
    );
    const item = out.Item;
    if (!item || item.kind !== kind || typeof item.userId !== 'string') return undefined;
    return {
      kind,
      userId: item.userId,
      createdAt: String(item.createdAt),
      expiresAt: Number(item.expiresAt),
      newEmail: typeof item.newEmail === 'string' ? item.newEmail : undefined,
      sessionId: typeof item.sessionId === 'string' ? item.sessionId : undefined,
    };
  }
}

/**
 * How many emails of one kind reached one mailbox lately: a sliding log of send times in one
 * item per mailbox and kind (`MAILED#<kind>#<mailbox>`; the caller folds the address to its
 * mailbox, lib/email-address.ts `mailboxOf`). Unlike a fixed window it never lets
 * 2 x max through around a window boundary. Writes are optimistic (a version condition), so
 * concurrent requests cannot both take the last slot.
 */
export class EmailLimitRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Takes one slot if fewer than `max` sends happened in the window; false when limited. */
  async tryReserve(kind: MailKind, mailbox: string, now: Date, max: number, windowSeconds: number): Promise<boolean> {
    const pk = `MAILED#${kind}#${mailbox}`;
    const nowMs = now.getTime();
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const out = await dynamo(() => this.doc.send(new GetCommand({ TableName: this.table, Key: { pk }, ConsistentRead: true })));
      const version = Number(out.Item?.version ?? 0);
      const previous: unknown[] = Array.isArray(out.Item?.sentAt) ? out.Item.sentAt : [];
      const recent = previous.map(Number).filter((t) => t > nowMs - windowSeconds * 1000);
      if (recent.length >= max) return false;
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: { pk, sentAt: [...recent, nowMs], version: version + 1, expiresAt: Math.floor(nowMs / 1000) + windowSeconds },
            ConditionExpression: 'attribute_not_exists(pk) OR version = :version',
            ExpressionAttributeValues: { ':version': version },
          }),
        );
        return true;
      } catch (err) {
        if (errorName(err) !== 'ConditionalCheckFailedException') return dynamo(() => Promise.reject(err));
      }
    }
    // Lost the race several times in a row: someone is hammering this address; do not send.
    return false;
  }

  /** Forgets the log of a mailbox. */
  async clear(kind: MailKind, mailbox: string): Promise<void> {
    await dynamo(() => this.doc.send(new DeleteCommand({ TableName: this.table, Key: { pk: `MAILED#${kind}#${mailbox}` } })));
  }
}
