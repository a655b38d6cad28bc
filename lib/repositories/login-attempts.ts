import { BatchGetCommand, DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { serviceUnavailable } from '../errors';
import { dynamo, errorName } from './dynamo';

/**
 * Counters of password attempts, one item per throttle bucket, in the users table (so a login
 * reads them in the same BatchGetItem as the email claim, and the count holds across Lambda
 * containers). Every attempt is reserved here BEFORE its password is checked, by a conditional
 * write that refuses once the allowance is used up: DynamoDB applies writes to one item one at a
 * time, so however many requests race, no more than the allowance get through.
 *
 * Item: `pk = THROTTLE#<bucket>#<email>`, `failures` (attempts reserved and not refunded),
 * `account` (the user id the counter belongs to, `-` for an email nobody holds: a later owner of
 * that email starts from zero), `startedAt`, `lastAt` (epoch ms of the latest reservation),
 * `prevAt` (of the one before), `lastId` (random id of the latest reservation), `expiresAt`
 * (epoch s, also the TTL attribute).
 */
export interface AttemptCounter {
  failures: number;
  account: string;
  startedAt: number;
  lastAt: number;
  prevAt: number;
  lastId: string;
  expiresAt: number;
}

/** No registered account holds this email (yet). */
export const NO_ACCOUNT = '-';

export const attemptCounterKey = (bucket: string, email: string) => `THROTTLE#${bucket}#${email}`;

export function toAttemptCounter(item: Record<string, unknown> | undefined): AttemptCounter | undefined {
  if (!item || typeof item.failures !== 'number') return undefined;
  return {
    failures: item.failures,
    account: typeof item.account === 'string' ? item.account : NO_ACCOUNT,
    startedAt: Number(item.startedAt ?? 0),
    lastAt: Number(item.lastAt ?? 0),
    prevAt: Number(item.prevAt ?? 0),
    lastId: typeof item.lastId === 'string' ? item.lastId : '',
    expiresAt: Number(item.expiresAt ?? 0),
  };
}

export type Reservation =
  /** No live counter for this account: start one at 1 (only if still none, else it fails). */
  | { kind: 'start' }
  /** Within the allowance: add one while the count is below it. */
  | { kind: 'count'; allowance: number }
  /** Past the allowance and the wait is over: add one only if nobody else did since we read. */
  | { kind: 'after'; seenId: string };

export interface ReserveRequest {
  pk: string;
  account: string;
  reservation: Reservation;
  id: string;
  nowMs: number;
  /** New `expiresAt`; omitted keeps the current one (a fixed window). */
  expiresAt: number | undefined;
}

function conditionFailed(err: unknown): boolean {
  return errorName(err) === 'ConditionalCheckFailedException';
}

export class LoginAttemptsRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(pk: string): Promise<AttemptCounter | undefined> {
    const out = await dynamo(() => this.doc.send(new GetCommand({ TableName: this.table, Key: { pk }, ConsistentRead: true })));
    return toAttemptCounter(out.Item);
  }

  /** Several counters in one BatchGetItem, by key. */
  async getMany(pks: string[]): Promise<Map<string, Record<string, unknown>>> {
    const out = await dynamo(() =>
      this.doc.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pks.map((pk) => ({ pk })), ConsistentRead: true } } })),
    );
    if ((out.UnprocessedKeys?.[this.table]?.Keys?.length ?? 0) > 0) {
      throw serviceUnavailable(new Error('BatchGetItem left keys unprocessed'));
    }
    return new Map((out.Responses?.[this.table] ?? []).map((item) => [String(item.pk), item]));
  }

  /** One conditional UpdateItem. Returns false when the condition refused the reservation. */
  async reserve(request: ReserveRequest): Promise<boolean> {
    const { reservation, nowMs } = request;
    const values: Record<string, unknown> = { ':now': nowMs, ':id': request.id, ':account': request.account };
    let update: string;
    let condition: string;
    if (reservation.kind === 'start') {
      update = 'SET failures = :one, account = :account, startedAt = :now, lastAt = :now, prevAt = :zero, lastId = :id, expiresAt = :expiresAt';
      condition = 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds OR account <> :account';
      Object.assign(values, { ':one': 1, ':zero': 0, ':expiresAt': request.expiresAt, ':nowSeconds': Math.floor(nowMs / 1000) });
    } else {
      update = 'ADD failures :one SET prevAt = lastAt, lastAt = :now, lastId = :id';
      values[':one'] = 1;
      values[':nowSeconds'] = Math.floor(nowMs / 1000);
      if (request.expiresAt !== undefined) {
        update += ', expiresAt = :expiresAt';
        values[':expiresAt'] = request.expiresAt;
      }
      condition = 'account = :account AND expiresAt > :nowSeconds AND ';
      if (reservation.kind === 'count') {
        condition += 'failures < :allowance';
        values[':allowance'] = reservation.allowance;
      } else {
        condition += 'lastId = :seenId';
        values[':seenId'] = reservation.seenId;
      }
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: request.pk },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      return dynamo(() => Promise.reject(err));
    }
  }

  /**
   * After a correct password: forget the counter if the latest reservation is ours and the one
   * before it ended long ago (`prevAt < cutoffMs`), so only failures that finished before this
   * attempt began are forgiven, never ones racing it. Returns false when that does not hold.
   */
  async forgive(pk: string, id: string, cutoffMs: number): Promise<boolean> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk },
          ConditionExpression: 'lastId = :id AND prevAt < :cutoff',
          ExpressionAttributeValues: { ':id': id, ':cutoff': cutoffMs },
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      return dynamo(() => Promise.reject(err));
    }
  }

  /** Gives back one reservation (a correct password is not a failure); never below zero. */
  async refund(pk: string, account: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk },
          UpdateExpression: 'ADD failures :minusOne',
          ConditionExpression: 'account = :account AND failures > :zero',
          ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0, ':account': account },
        }),
      );
    } catch (err) {
      if (conditionFailed(err)) return;
      await dynamo(() => Promise.reject(err));
    }
  }
}
