import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SESSIONS_BY_OWNER_INDEX } from '../../infra/tables.js';
import { epochSeconds, storedInstant, type EpochSeconds } from '../clock';
import { hasCode, serviceUnavailable, sessionNotActive, subjectChanged, tokenAlreadyConsumed } from '../errors';
import type { Authentication } from '../authentication';
import { cancellationCodes, dynamo, errorName } from './dynamo';
import { failedOn, part, type TransactionPart, type TransactionWriter } from './transactions';
import type { TransactWriteItem } from './types';

export type { EpochSeconds };

export interface SessionRecord {
  sid: string;
  userId: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: EpochSeconds;
  userAgent: string | undefined;
  ip: string | undefined;
  revokedAt: string | undefined;
  /** The session's authentication (lib/authentication.ts); absent on sessions older than it. */
  authTime?: number | undefined;
  acr?: string | undefined;
  amr?: string[] | undefined;
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
  /** When a rotation consumed this token (ISO-8601). */
  consumedAt: string | undefined;
  successorId: string | undefined;
  /** Fingerprint of the client that consumed it (see clientFingerprint in lib/sessions.ts). */
  consumedBy?: string | undefined;
  /**
   * Snapshot of the user's claims when this token was issued. A rotation signs with it only after
   * its own transaction has checked that the user still holds exactly these values.
   */
  email: string;
  roles: string[];
  /** Absent on records written before the claim existed: such a rotation reads the user first. */
  emailVerified?: boolean | undefined;
  /**
   * The session's authentication when this token was issued (lib/authentication.ts); a rotation
   * signs with it only if the session item still holds the same (its condition checks).
   */
  authTime?: number | undefined;
  acr?: string | undefined;
  amr?: string[] | undefined;
}

const sessionKey = (sid: string) => `SESSION#${sid}`;
const tokenKey = (id: string) => `TOKEN#${id}`;

export class SessionsRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly tx: TransactionWriter,
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

  async getToken(tokenId: string): Promise<RefreshTokenRecord | undefined> {
    const out = await dynamo(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: tokenKey(tokenId) }, ConsistentRead: true })),
    );
    if (!out.Item?.tokenId) return undefined;
    const record = out.Item as RefreshTokenRecord & { consumedAt?: unknown };
    // Tokens consumed by earlier versions hold epoch milliseconds here.
    return { ...record, consumedAt: storedInstant(record.consumedAt)?.toISOString() };
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
  async rotate(
    current: RefreshTokenRecord,
    successor: RefreshTokenRecord,
    now: Date,
    subjectCheck?: TransactWriteItem,
    consumedBy = '',
    authentication?: Authentication,
  ): Promise<void> {
    const auth = authenticationCondition(authentication);
    try {
      await this.tx.write([
        part('parent', {
          Update: {
            TableName: this.table,
            Key: { pk: tokenKey(current.tokenId) },
            UpdateExpression: 'SET consumedAt = :consumedAt, successorId = :successorId, consumedBy = :consumedBy',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(consumedAt)',
            ExpressionAttributeValues: { ':consumedAt': now.toISOString(), ':successorId': successor.tokenId, ':consumedBy': consumedBy },
          },
        }),
        part('successor', {
          Put: {
            TableName: this.table,
            Item: { pk: tokenKey(successor.tokenId), ...successor },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        }),
        part('session', {
          Update: {
            TableName: this.table,
            Key: { pk: sessionKey(current.sid) },
            UpdateExpression: 'SET lastUsedAt = :lastUsedAt',
            ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(revokedAt) AND expiresAt > :now${auth.expression}`,
            ExpressionAttributeValues: { ':lastUsedAt': now.toISOString(), ':now': epochSeconds(now), ...auth.values },
          },
        }),
        ...(subjectCheck ? [part('user', subjectCheck)] : []),
      ], { conflictAttempts: 1 });
    } catch (err) {
      if (failedOn(err, 'session')) throw sessionNotActive();
      if (failedOn(err, 'user')) throw subjectChanged();
      if (failedOn(err)) throw tokenAlreadyConsumed();
      // A conflict (another rotation of the same token, most likely): the caller re-reads at once
      // and decides, well inside the grace window, rather than retrying a write that will fail.
      if (hasCode(err, 'service_unavailable') && isConflict(err.cause)) throw tokenAlreadyConsumed();
      throw err;
    }
  }

  /**
   * Sets the session's authentication (a reauthentication, or a first factor enabled) and stores
   * a new refresh token for it, in the caller's transaction: the session must be this user's,
   * live and unrevoked. Tokens issued before carry the old authentication; their next rotation
   * fails the session condition and signs again with this one (lib/sessions.ts).
   */
  reauthenticationItems(sid: string, userId: string, authentication: Authentication, token: RefreshTokenRecord, now: Date): TransactWriteItem[] {
    return [
      {
        Update: {
          TableName: this.table,
          Key: { pk: sessionKey(sid) },
          UpdateExpression: 'SET authTime = :authTime, acr = :acr, amr = :amr, lastUsedAt = :lastUsedAt',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt) AND expiresAt > :now AND userId = :userId',
          ExpressionAttributeValues: {
            ':authTime': authentication.authTime,
            ':acr': authentication.acr,
            ':amr': authentication.amr,
            ':lastUsedAt': now.toISOString(),
            ':now': epochSeconds(now),
            ':userId': userId,
          },
        },
      },
      { Put: { TableName: this.table, Item: { pk: tokenKey(token.tokenId), ...token }, ConditionExpression: 'attribute_not_exists(pk)' } },
    ];
  }

  /**
   * Condition for a change made on behalf of a session (an identity linked from the account
   * settings): the session is still this user's, live and unrevoked when the change commits.
   */
  activeCheckItem(sid: string, userId: string, now: Date): TransactWriteItem {
    return {
      ConditionCheck: {
        TableName: this.table,
        Key: { pk: sessionKey(sid) },
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt) AND expiresAt > :now AND userId = :userId',
        ExpressionAttributeValues: { ':now': epochSeconds(now), ':userId': userId },
      },
    };
  }

  /**
   * Marks a session revoked, on the SESSION#<sid> item itself (the authorizer reads only that
   * item). Every refresh token of the session (successors included) checks the session in its
   * rotation condition, so one write revokes the whole family. With `userId`, only a session of
   * that user is touched. True when this call revoked an active session; false when there was
   * none to revoke (unknown, someone else's, or already revoked). Idempotent.
   */
  async revoke(sid: string, now: Date, reason: string, userId?: string): Promise<boolean> {
    const ownerCondition = userId === undefined ? '' : ' AND userId = :userId';
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: sessionKey(sid) },
          UpdateExpression: 'SET revokedAt = :now, revokedReason = :reason',
          ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(revokedAt)${ownerCondition}`,
          ExpressionAttributeValues: { ':now': now.toISOString(), ':reason': reason, ...(userId === undefined ? {} : { ':userId': userId }) },
        }),
      );
      return true;
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') return false;
      throw serviceUnavailable(err);
    }
  }

  /**
   * {@link revoke} in one transaction with `also` (the security event recording it): both or
   * neither. True when this call revoked an active session; false (nothing written) otherwise.
   */
  async revokeWith(sid: string, now: Date, reason: string, userId: string, also: TransactionPart[]): Promise<boolean> {
    try {
      await this.tx.write([
        part('session', {
          Update: {
            TableName: this.table,
            Key: { pk: sessionKey(sid) },
            UpdateExpression: 'SET revokedAt = :now, revokedReason = :reason',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt) AND userId = :userId',
            ExpressionAttributeValues: { ':now': now.toISOString(), ':reason': reason, ':userId': userId },
          },
        }),
        ...also,
      ]);
      return true;
    } catch (err) {
      if (failedOn(err, 'session')) return false;
      throw err;
    }
  }

  /**
   * A transaction item revoking one session, keeping the first revocation time and reason of a
   * session already revoked. It requires the item to exist (an update would otherwise create a
   * stub): a session deleted by TTL between listing and writing fails the transaction, and a
   * retry no longer lists it.
   */
  revokeItem(sid: string, now: Date, reason: string): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: sessionKey(sid) },
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now), revokedReason = if_not_exists(revokedReason, :reason)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': now.toISOString(), ':reason': reason },
      },
    };
  }

  /** Sessions by id (missing ones left out), read strongly consistently. */
  async getSessions(sids: string[]): Promise<SessionRecord[]> {
    const found: SessionRecord[] = [];
    for (let i = 0; i < sids.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = sids.slice(i, i + 100).map((sid) => ({ pk: sessionKey(sid) }));
      // BatchGetItem may hand keys back unprocessed under load: ask again for those, a few times.
      for (let attempt = 0; keys && keys.length > 0; attempt += 1) {
        if (attempt === 4) throw serviceUnavailable(new Error('BatchGetItem kept keys unprocessed'));
        const out = await dynamo(() =>
          this.doc.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } })),
        );
        for (const item of out.Responses?.[this.table] ?? []) if (item.sid) found.push(item as SessionRecord);
        keys = out.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return found;
  }

  /**
   * The user's sessions that are neither revoked nor expired, from the byOwner index: their ids
   * and absolute ends. The index is eventually consistent: a session opened or revoked a moment
   * ago may be missing or still listed.
   */
  async listActive(userId: string, now: Date): Promise<{ sid: string; expiresAt: EpochSeconds }[]> {
    const nowSeconds = epochSeconds(now);
    const found: { sid: string; expiresAt: EpochSeconds }[] = [];
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
      for (const item of page.Items ?? []) {
        if (typeof item.sid === 'string') found.push({ sid: item.sid, expiresAt: Number(item.expiresAt) });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return found;
  }

  /** Ids of the user's sessions that are neither revoked nor expired (see {@link listActive}). */
  async listActiveSessionIds(userId: string, now: Date): Promise<string[]> {
    return (await this.listActive(userId, now)).map((s) => s.sid);
  }
}

/**
 * The rotation's condition that the session still holds the authentication the presented token
 * was issued with (a session older than the attributes has none, and neither has its token).
 */
function authenticationCondition(authentication: Authentication | undefined): { expression: string; values: Record<string, unknown> } {
  if (!authentication) return { expression: '', values: {} };
  if (authentication.authTime === 0) return { expression: ' AND attribute_not_exists(authTime)', values: {} };
  return {
    expression: ' AND authTime = :authTime AND acr = :acr AND amr = :amr',
    values: { ':authTime': authentication.authTime, ':acr': authentication.acr, ':amr': authentication.amr },
  };
}

/** A transaction cancelled only by conflicts with concurrent transactions. */
function isConflict(err: unknown): boolean {
  return cancellationCodes(err).includes('TransactionConflict');
}
