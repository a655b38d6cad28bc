import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { SESSIONS_BY_OWNER_INDEX } from '../../infra/tables.js';
import { serviceUnavailable, sessionNotActive, tokenAlreadyConsumed } from '../errors';
import { cancellationCodes, dynamo, errorName } from './dynamo';
import type { TransactWriteItem } from './types';

/** Seconds since the epoch: the unit of every `expiresAt` (it doubles as the TTL attribute). */
export type EpochSeconds = number;

export interface SessionRecord {
  sid: string;
  userId: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: EpochSeconds;
  userAgent: string | undefined;
  ip: string | undefined;
  revokedAt: string | undefined;
}

export interface RefreshTokenRecord {
  tokenId: string;
  sid: string;
  userId: string;
  secretHash: string;
  issuedAt: string;
  /** Own expiry: min(issue time + token TTL, sessionExpiresAt). */
  expiresAt: EpochSeconds;
  /** The session's absolute end, carried down the rotation chain. */
  sessionExpiresAt: EpochSeconds;
  /** Epoch milliseconds of the rotation that consumed this token. */
  consumedAt: number | undefined;
  successorId: string | undefined;
  /** Snapshot of the user's claims, so a refresh needs no user read. */
  email: string;
  roles: string[];
}

const sessionKey = (sid: string) => `SESSION#${sid}`;
const tokenKey = (id: string) => `TOKEN#${id}`;

export class SessionsRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly byOwnerIndex = SESSIONS_BY_OWNER_INDEX,
  ) {}

  /** Items creating a session with its first refresh token, for the caller's transaction. */
  newSessionItems(session: SessionRecord, token: RefreshTokenRecord): TransactWriteItem[] {
    return [
      {
        Put: {
          TableName: this.table,
          Item: { pk: sessionKey(session.sid), owner: session.userId, ...session },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { pk: tokenKey(token.tokenId), ...token },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
  }

  /** Writes prepared items (a new session, maybe with other changes) all-or-nothing. */
  async commit(items: TransactWriteItem[]): Promise<void> {
    await dynamo(() => this.doc.send(new TransactWriteCommand({ TransactItems: items })));
  }

  async getToken(tokenId: string): Promise<RefreshTokenRecord | undefined> {
    const out = await dynamo(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: tokenKey(tokenId) }, ConsistentRead: true })),
    );
    return out.Item?.tokenId ? (out.Item as RefreshTokenRecord) : undefined;
  }

  async getSession(sid: string): Promise<SessionRecord | undefined> {
    const out = await dynamo(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: sessionKey(sid) }, ConsistentRead: true })),
    );
    return out.Item?.sid ? (out.Item as SessionRecord) : undefined;
  }

  /**
   * Consumes `current` and stores `successor` in one transaction. The conditions make it the only
   * writer: the parent must still be unconsumed (so concurrent refreshes of one token produce one
   * successor), the successor must not exist, and the session must be live and unrevoked (so a
   * logout racing this refresh wins, and no usable token outlives it). A failed condition is
   * `session_not_active` or `token_already_consumed`; anything else `service_unavailable`.
   */
  async rotate(current: RefreshTokenRecord, successor: RefreshTokenRecord, now: Date): Promise<void> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: { pk: tokenKey(current.tokenId) },
                UpdateExpression: 'SET consumedAt = :consumedAt, successorId = :successorId',
                ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(consumedAt)',
                ExpressionAttributeValues: { ':consumedAt': now.getTime(), ':successorId': successor.tokenId },
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: { pk: tokenKey(successor.tokenId), ...successor },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.table,
                Key: { pk: sessionKey(current.sid) },
                UpdateExpression: 'SET lastUsedAt = :lastUsedAt',
                ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt) AND expiresAt > :now',
                ExpressionAttributeValues: { ':lastUsedAt': now.toISOString(), ':now': nowSeconds },
              },
            },
          ],
        }),
      );
    } catch (err) {
      const codes = cancellationCodes(err);
      if (codes[2] === 'ConditionalCheckFailed') throw sessionNotActive();
      if (codes[0] === 'ConditionalCheckFailed' || codes[1] === 'ConditionalCheckFailed') throw tokenAlreadyConsumed();
      // A conflict with a concurrent transaction on the same items: the caller re-reads and decides.
      if (codes.includes('TransactionConflict')) throw tokenAlreadyConsumed();
      throw serviceUnavailable(err);
    }
  }

  /**
   * Marks a session revoked. Every refresh token of the session (successors included) checks the
   * session in its rotation condition, so one write revokes the whole family. Idempotent.
   */
  async revoke(sid: string, now: Date, reason: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: sessionKey(sid) },
          UpdateExpression: 'SET revokedAt = :now, revokedReason = :reason',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':now': now.toISOString(), ':reason': reason },
        }),
      );
      return true;
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') return false;
      throw serviceUnavailable(err);
    }
  }

  /**
   * Revokes several sessions all-or-nothing (one transaction per 100 sessions, DynamoDB's cap),
   * keeping the first revocation time of sessions that were already revoked.
   */
  async revokeMany(sids: string[], now: Date, reason: string): Promise<void> {
    for (let i = 0; i < sids.length; i += 100) {
      const chunk = sids.slice(i, i + 100);
      await dynamo(() =>
        this.doc.send(
          new TransactWriteCommand({
            TransactItems: chunk.map((sid) => ({
              Update: {
                TableName: this.table,
                Key: { pk: sessionKey(sid) },
                UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now), revokedReason = if_not_exists(revokedReason, :reason)',
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeValues: { ':now': now.toISOString(), ':reason': reason },
              },
            })),
          }),
        ),
      );
    }
  }

  /** Ids of the user's sessions that are neither revoked nor expired. */
  async listActiveSessionIds(userId: string, now: Date): Promise<string[]> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await dynamo(() =>
        this.doc.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: this.byOwnerIndex,
            KeyConditionExpression: '#owner = :owner',
            FilterExpression: 'attribute_not_exists(revokedAt) AND expiresAt > :now',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': userId, ':now': nowSeconds },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) if (typeof item.sid === 'string') ids.push(item.sid);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return ids;
  }
}

export function isActive(session: SessionRecord | undefined, now: Date): session is SessionRecord {
  return Boolean(session && !session.revokedAt && session.expiresAt > Math.floor(now.getTime() / 1000));
}
