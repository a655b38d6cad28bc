/**
 * Pending second-factor sign-ins: what a password check (or another first step) hands to
 * `POST /auth/mfa/verify`, in the users table.
 *
 *   MFATOKEN#<sha256 of the token>
 *     userId, binding, methods, knownDevice, attempts, createdAt, expiresAt (epoch s, TTL attribute)
 *
 * - Only the hash is stored (lib/mfa/mfa-token.ts); the token itself is 256 random bits.
 * - `binding` is a value of the caller's choosing that names the credentials the first step
 *   checked (say, the credential epoch, or a fingerprint of the password hash). Consuming the
 *   token requires the caller to present the same value, read afresh: a password changed in
 *   between leaves the token useless. The caller still checks the user item in the session's
 *   transaction for changes committed after that read.
 * - Attempts are reserved BEFORE a code is checked, by a conditional increment that refuses once
 *   {@link MFA_TOKEN_MAX_ATTEMPTS} were made: however many requests race, at most that many
 *   codes are ever checked against one token, and the token is dead after 5 wrong codes.
 * - Single use: consuming deletes the item with the condition that it is still there and
 *   unexpired, so of parallel requests with a correct code exactly one opens a session.
 * - Expired items may linger (TTL deletion lags): every condition checks `expiresAt` itself.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, type EpochSeconds } from '../clock';
import { hashMfaToken, isMfaTokenShape, newMfaToken } from '../mfa/mfa-token';
import { dynamo, errorName } from './dynamo';
import type { TransactWriteItem } from './types';

export const MFA_TOKEN_TTL_SECONDS = 300;
export const MFA_TOKEN_MAX_ATTEMPTS = 5;

export const mfaTokenKey = (hash: string) => `MFATOKEN#${hash}`;

export interface MfaTokenRecord {
  userId: string;
  /** The email the first step was made for: wrong codes count against it like failed logins. */
  email: string;
  binding: string;
  /** RFC 8176 methods the first step proved (`["pwd"]` after a password). */
  methods: string[];
  /** Whether the first step's client presented a device token of this user (lib/sign-in.ts). */
  knownDevice: boolean;
  /** Attempts reserved so far, this one included. */
  attempts: number;
  createdAt: string;
  expiresAt: EpochSeconds;
}

export interface NewMfaToken {
  userId: string;
  email: string;
  binding: string;
  methods: string[];
  knownDevice: boolean;
  now: Date;
}

function conditionFailed(err: unknown): boolean {
  return errorName(err) === 'ConditionalCheckFailedException';
}

function toRecord(item: Record<string, unknown> | undefined): MfaTokenRecord | undefined {
  if (!item || typeof item.userId !== 'string' || typeof item.binding !== 'string') return undefined;
  return {
    userId: item.userId,
    email: typeof item.email === 'string' ? item.email : '',
    binding: item.binding,
    methods: Array.isArray(item.methods) ? item.methods.map(String) : [],
    knownDevice: item.knownDevice === true,
    attempts: Number(item.attempts),
    createdAt: String(item.createdAt),
    expiresAt: Number(item.expiresAt),
  };
}

export class MfaTokensRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** The item of a new token, and the token to hand to the client (never stored). */
  issueItem(input: NewMfaToken): { token: string; item: TransactWriteItem } {
    const { value, hash } = newMfaToken();
    const record: MfaTokenRecord = {
      userId: input.userId,
      email: input.email,
      binding: input.binding,
      methods: input.methods,
      knownDevice: input.knownDevice,
      attempts: 0,
      createdAt: input.now.toISOString(),
      expiresAt: epochSeconds(input.now) + MFA_TOKEN_TTL_SECONDS,
    };
    return {
      token: value,
      item: { Put: { TableName: this.table, Item: { pk: mfaTokenKey(hash), ...record }, ConditionExpression: 'attribute_not_exists(pk)' } },
    };
  }

  /** Stores a new token; returns the value for the client. */
  async issue(input: NewMfaToken): Promise<string> {
    const { token, item } = this.issueItem(input);
    await dynamo(() => this.doc.send(new PutCommand(item.Put!)));
    return token;
  }

  /**
   * The token's record without reserving an attempt (a second step asking for passkey options,
   * which checks nothing); undefined when it is malformed, unknown, expired or out of attempts.
   */
  async find(token: string, now: Date): Promise<MfaTokenRecord | undefined> {
    if (!isMfaTokenShape(token)) return undefined;
    const out = await dynamo(() => this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: mfaTokenKey(hashMfaToken(token)) }, ConsistentRead: true })));
    const record = toRecord(out.Item);
    if (!record || !(record.expiresAt > epochSeconds(now)) || record.attempts >= MFA_TOKEN_MAX_ATTEMPTS) return undefined;
    return record;
  }

  /**
   * Reserves one attempt before a code is checked, and returns the token's record; undefined when
   * the token is malformed, unknown, expired, used or out of attempts (401 `invalid_mfa_token`).
   */
  async reserveAttempt(token: string, now: Date): Promise<MfaTokenRecord | undefined> {
    if (!isMfaTokenShape(token)) return undefined;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: mfaTokenKey(hashMfaToken(token)) },
          UpdateExpression: 'ADD attempts :one',
          ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now AND attempts < :max',
          ExpressionAttributeValues: { ':one': 1, ':now': epochSeconds(now), ':max': MFA_TOKEN_MAX_ATTEMPTS },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord(out.Attributes);
    } catch (err) {
      if (conditionFailed(err)) return undefined;
      return dynamo(() => Promise.reject(err));
    }
  }

  /**
   * Consumes the token for the sign-in it completes, in the session's transaction: it must still
   * exist, be unexpired, belong to `userId` and carry `binding`.
   */
  consumeItem(token: string, expected: { userId: string; binding: string }, now: Date): TransactWriteItem {
    return {
      Delete: {
        TableName: this.table,
        Key: { pk: mfaTokenKey(hashMfaToken(token)) },
        ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now AND userId = :userId AND binding = :binding',
        ExpressionAttributeValues: { ':now': epochSeconds(now), ':userId': expected.userId, ':binding': expected.binding },
      },
    };
  }

  /** {@link consumeItem} on its own. False: used, expired, or not this user's or binding's. */
  async consume(token: string, expected: { userId: string; binding: string }, now: Date): Promise<boolean> {
    try {
      await this.doc.send(new DeleteCommand(this.consumeItem(token, expected, now).Delete!));
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      return dynamo(() => Promise.reject(err));
    }
  }
}
