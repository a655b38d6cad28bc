/**
 * A user's security activity (`GET /auth/events`), in the users table:
 *
 *   EVENT#<id>  { eventUser, eventAt, type, ip, userAgent, sessionId?, detail?, expiresAt }
 *
 * `eventUser` (the user id) and `eventAt` (ISO instant, then the id, so two events of one
 * millisecond keep an order) key the sparse `eventsByUser` index: one Query lists a user's events
 * newest first. Events expire through TTL after SECURITY_EVENTS_TTL_DAYS (90). An event records
 * what happened and where from; never a token, a hash, a code or a secret: `detail` is a short
 * fixed word chosen by the code (a revocation reason, a factor type), never client input.
 *
 * An event that records a change is written in the change's own transaction (`putItem`), so the
 * log never claims what did not happen and never misses what did. A failed login has no
 * transaction: it is written on its own, best effort (`record`), and a failure is only logged.
 */
import { randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EVENTS_BY_USER_INDEX } from '../../infra/tables.js';
import { invalidRequest, serviceUnavailable } from '../errors';
import { dynamo } from './dynamo';
import type { TransactWriteItem } from './types';

export type SecurityEventType =
  | 'login'
  | 'login_failed'
  | 'mfa_challenge_failed'
  | 'logout'
  | 'refresh_reuse_detected'
  | 'password_changed'
  | 'password_reset'
  | 'email_verified'
  | 'email_change_requested'
  | 'email_changed'
  | 'factor_added'
  | 'factor_removed'
  | 'recovery_codes_issued'
  | 'session_revoked'
  | 'account_disabled'
  | 'identity_linked'
  | 'identity_unlinked';

export interface SecurityEventInput {
  userId: string;
  type: SecurityEventType;
  ip: string | undefined;
  userAgent: string | undefined;
  sessionId?: string | undefined;
  detail?: string | undefined;
}

export interface SecurityEvent {
  id: string;
  type: SecurityEventType;
  at: string;
  ip: string | null;
  userAgent: string | null;
  sessionId?: string;
  detail?: string;
}

/** User agents are stored cut to this length, as sessions store them. */
const USER_AGENT_MAX = 512;

export class SecurityEventsRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly ttlDays: number,
  ) {}

  /** The item recording `event` at `now`, for the transaction of the change it records. */
  putItem(event: SecurityEventInput, now: Date): TransactWriteItem {
    return { Put: { TableName: this.table, Item: this.item(event, now) } };
  }

  /**
   * Records an event that has no transaction of its own (a failed login). With `userId`
   * undefined (no such account) it sends the same write, conditional on an item that cannot
   * exist, so nothing is stored and both cases make the same request.
   */
  async record(event: Omit<SecurityEventInput, 'userId'> & { userId: string | undefined }, now: Date): Promise<void> {
    const item = this.item({ ...event, userId: event.userId ?? 'none' }, now);
    if (event.userId !== undefined) {
      await dynamo(() => this.doc.send(new PutCommand({ TableName: this.table, Item: item })));
      return;
    }
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_exists(pk)' }));
    } catch (err) {
      if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw serviceUnavailable(err);
    }
  }

  /**
   * The user's events, newest first, at most `limit`; `cursor` continues a previous page. The
   * index is eventually consistent: an event written a moment ago may show on the next read.
   */
  async list(userId: string, limit: number, now: Date, cursor?: string): Promise<{ events: SecurityEvent[]; next: string | undefined }> {
    const startKey = cursor ? decodeCursor(cursor, userId) : undefined;
    const out = await dynamo(() =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: EVENTS_BY_USER_INDEX,
          KeyConditionExpression: 'eventUser = :user',
          // TTL deletion can lag by days: what has expired is not shown.
          FilterExpression: 'expiresAt > :now',
          ExpressionAttributeValues: { ':user': userId, ':now': Math.floor(now.getTime() / 1000) },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    const events = (out.Items ?? []).map(toEvent);
    return { events, next: out.LastEvaluatedKey ? Buffer.from(JSON.stringify(out.LastEvaluatedKey)).toString('base64url') : undefined };
  }

  private item(event: SecurityEventInput, now: Date): Record<string, unknown> {
    const id = randomUUID();
    return {
      pk: `EVENT#${id}`,
      id,
      eventUser: event.userId,
      eventAt: `${now.toISOString()}#${id}`,
      type: event.type,
      ip: event.ip,
      userAgent: event.userAgent?.slice(0, USER_AGENT_MAX),
      sessionId: event.sessionId,
      detail: event.detail,
      expiresAt: Math.floor(now.getTime() / 1000) + this.ttlDays * 86_400,
    };
  }
}

function toEvent(item: Record<string, unknown>): SecurityEvent {
  const event: SecurityEvent = {
    id: String(item.id),
    type: item.type as SecurityEventType,
    at: String(item.eventAt).split('#')[0]!,
    ip: typeof item.ip === 'string' ? item.ip : null,
    userAgent: typeof item.userAgent === 'string' ? item.userAgent : null,
  };
  if (typeof item.sessionId === 'string') event.sessionId = item.sessionId;
  if (typeof item.detail === 'string') event.detail = item.detail;
  return event;
}

/** A page cursor names a position in the caller's own events only: another user's is refused. */
function decodeCursor(cursor: string, userId: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (key && key.eventUser === userId && typeof key.eventAt === 'string' && typeof key.pk === 'string') return key;
  } catch {
    // reported below
  }
  throw invalidRequest([{ field: 'cursor', message: 'must be the "next" value of a previous page' }]);
}
