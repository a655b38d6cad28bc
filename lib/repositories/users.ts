import { randomUUID } from 'node:crypto';
import { BatchGetCommand, GetCommand, ScanCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OneTimeTokenKind } from '../tokens/one-time-token';
import { oneTimeTokenKey } from './one-time-tokens';
import type { TransactWriteItem } from './types';
import { emailTaken, serviceUnavailable } from '../errors';
import { cancellationCodes, dynamo } from './dynamo';

export interface UserRecord {
  id: string;
  email: string;
  name: string | undefined;
  roles: string[];
  emailVerified: boolean;
  createdAt: string;
  passwordHash: string;
  /** Hash of the current email-verification token; absent once verified or never issued. */
  verifyTokenHash?: string | undefined;
  /** Hash of the current password-reset token; absent once used or superseded by a change. */
  resetTokenHash?: string | undefined;
  /** Set by an administrator: no login, no refresh. */
  disabledAt?: string | undefined;
}

export const userKey = (id: string) => `USER#${id}`;
const emailKey = (email: string) => `EMAIL#${email}`;
const POINTER: Record<OneTimeTokenKind, 'verifyTokenHash' | 'resetTokenHash'> = { verify: 'verifyTokenHash', reset: 'resetTokenHash' };

/** The user was deleted or changed (password, token) since it was read: the write did nothing. */
export class UserChanged extends Error {
  constructor() {
    super('user changed since it was read');
    this.name = 'UserChanged';
  }
}

export class UsersRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Creates the user and claims its email in one transaction; `alsoWrite` joins further items
   * (the first session) so registration is all-or-nothing. A taken email surfaces as the domain
   * error `email_taken`, decided by DynamoDB's condition, never by an earlier read.
   */
  async create(user: UserRecord, alsoWrite: TransactWriteItem[] = []): Promise<void> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: { pk: emailKey(user.email), userId: user.id, createdAt: user.createdAt },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: { pk: userKey(user.id), ...user },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...alsoWrite,
          ],
        }),
      );
    } catch (err) {
      if (cancellationCodes(err)[0] === 'ConditionalCheckFailed') throw emailTaken();
      throw serviceUnavailable(err);
    }
  }

  /**
   * Transaction item swapping the password hash, only if it is still the one we verified and the
   * user is not disabled (it stands in for {@link activeCheckItem} in a login's transaction).
   */
  replacePasswordHashItem(userId: string, expected: string, replacement: string): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: userKey(userId) },
        UpdateExpression: 'SET passwordHash = :replacement',
        ConditionExpression: 'passwordHash = :expected AND attribute_not_exists(disabledAt)',
        ExpressionAttributeValues: { ':replacement': replacement, ':expected': expected },
      },
    };
  }

  /**
   * Makes `hash` the user's current token of `kind`: any older token of that kind stops working,
   * because consuming a token requires the user item to still point at its hash.
   */
  setTokenItem(userId: string, kind: OneTimeTokenKind, hash: string): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: userKey(userId) },
        UpdateExpression: 'SET #pointer = :hash',
        // A disabled account gets no new link (its pending ones were deleted with the disabling).
        ConditionExpression: kind === 'verify'
          ? 'attribute_exists(pk) AND attribute_not_exists(disabledAt) AND emailVerified = :false'
          : 'attribute_exists(pk) AND attribute_not_exists(disabledAt)',
        ExpressionAttributeNames: { '#pointer': POINTER[kind] },
        ExpressionAttributeValues: kind === 'verify' ? { ':hash': hash, ':false': false } : { ':hash': hash },
      },
    };
  }

  /** Marks the email verified, only while `tokenHash` is the current verification token and the account is not disabled. */
  markEmailVerifiedItem(userId: string, tokenHash: string): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: userKey(userId) },
        UpdateExpression: 'SET emailVerified = :true REMOVE verifyTokenHash',
        ConditionExpression: 'verifyTokenHash = :hash AND attribute_not_exists(disabledAt)',
        ExpressionAttributeValues: { ':true': true, ':hash': tokenHash },
      },
    };
  }

  /**
   * Sets the new hash, only while `tokenHash` is the current reset token and the account is not
   * disabled (disabling deletes the link too; this holds if a link was issued while it committed).
   * The reset link reached the mailbox, which proves the address: a pending verification is
   * completed too.
   */
  resetPasswordItem(userId: string, tokenHash: string, newHash: string, now: Date): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: userKey(userId) },
        UpdateExpression: 'SET passwordHash = :newHash, emailVerified = :true, passwordChangedAt = :changedAt REMOVE resetTokenHash, verifyTokenHash',
        ConditionExpression: 'resetTokenHash = :hash AND attribute_not_exists(disabledAt)',
        ExpressionAttributeValues: { ':newHash': newHash, ':true': true, ':hash': tokenHash, ':changedAt': now.toISOString() },
      },
    };
  }

  /** Sets the new hash, only if the current one is still the hash the old password was checked against. */
  changePasswordItem(userId: string, expectedHash: string, newHash: string, now: Date): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: userKey(userId) },
        // A pending reset link dies with the password it was meant to replace.
        UpdateExpression: 'SET passwordHash = :newHash, passwordChangedAt = :changedAt REMOVE resetTokenHash',
        ConditionExpression: 'passwordHash = :expected',
        ExpressionAttributeValues: { ':newHash': newHash, ':expected': expectedHash, ':changedAt': now.toISOString() },
      },
    };
  }

  /**
   * Deletes the user, its email claim, its failed-login counter and its pending tokens. The user
   * item must still hold the hash the password was checked against (a concurrent password change
   * or deletion cancels this one); the claim must still be this user's.
   */
  deleteItems(user: UserRecord): TransactWriteItem[] {
    const items: TransactWriteItem[] = [
      {
        Delete: {
          TableName: this.table,
          Key: { pk: userKey(user.id) },
          ConditionExpression: 'passwordHash = :expected',
          ExpressionAttributeValues: { ':expected': user.passwordHash },
        },
      },
      {
        Delete: {
          TableName: this.table,
          Key: { pk: emailKey(user.email) },
          ConditionExpression: 'userId = :id',
          ExpressionAttributeValues: { ':id': user.id },
        },
      },
    ];
    return [...items, ...this.pendingLinkDeleteItems(user)];
  }

  /** Transaction items deleting the user's pending verification and reset links, as `user` named them. */
  pendingLinkDeleteItems(user: Pick<UserRecord, 'verifyTokenHash' | 'resetTokenHash'>): TransactWriteItem[] {
    const items: TransactWriteItem[] = [];
    if (user.verifyTokenHash) items.push({ Delete: { TableName: this.table, Key: { pk: oneTimeTokenKey('verify', user.verifyTokenHash) } } });
    if (user.resetTokenHash) items.push({ Delete: { TableName: this.table, Key: { pk: oneTimeTokenKey('reset', user.resetTokenHash) } } });
    return items;
  }

  /**
   * Condition for a refresh's rotation transaction: the user still exists, is not disabled and
   * holds exactly these claims. When it holds, the claims signed beforehand are current.
   */
  claimsCheckItem(userId: string, claims: { email: string; roles: string[]; emailVerified: boolean }): TransactWriteItem {
    return {
      ConditionCheck: {
        TableName: this.table,
        Key: { pk: userKey(userId) },
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(disabledAt) AND email = :email AND #roles = :roles AND emailVerified = :verified',
        ExpressionAttributeNames: { '#roles': 'roles' },
        ExpressionAttributeValues: { ':email': claims.email, ':roles': claims.roles, ':verified': claims.emailVerified },
      },
    };
  }

  /**
   * Condition for a login's transaction: the user still exists, is not disabled and still holds
   * the hash the login just checked, so a password change or reset committed while bcrypt ran
   * leaves the old password no session.
   */
  activeCheckItem(userId: string, verifiedHash: string): TransactWriteItem {
    return {
      ConditionCheck: {
        TableName: this.table,
        Key: { pk: userKey(userId) },
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(disabledAt) AND passwordHash = :verified',
        ExpressionAttributeValues: { ':verified': verifiedHash },
      },
    };
  }

  /**
   * Administration: a transaction item disabling the account (no login, no refresh), to commit
   * with the revocation of its sessions. A second disabling keeps the first time. The pointers to
   * the pending links go too, so a link issued after the caller read the user (and so not among
   * the items it deletes) is dead as well.
   */
  disableItem(id: string, disabledAt: string): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: userKey(id) },
        UpdateExpression: 'SET disabledAt = if_not_exists(disabledAt, :at) REMOVE verifyTokenHash, resetTokenHash',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': disabledAt },
      },
    };
  }

  /** Administration: replaces the roles. Returns the updated user, or undefined if there is none. */
  async setRoles(id: string, roles: string[]): Promise<UserRecord | undefined> {
    return this.update(id, 'SET #roles = :roles', { ':roles': roles }, { '#roles': 'roles' });
  }

  /** Administration: disables (no login, no refresh) or enables the account. */
  async setDisabled(id: string, disabledAt: string | undefined): Promise<UserRecord | undefined> {
    return disabledAt
      ? this.update(id, 'SET disabledAt = :at', { ':at': disabledAt })
      : this.update(id, 'REMOVE disabledAt', undefined);
  }

  private async update(
    id: string,
    expression: string,
    values: Record<string, unknown> | undefined,
    names?: Record<string, string>,
  ): Promise<UserRecord | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: userKey(id) },
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: values,
          ExpressionAttributeNames: names,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? toUser(out.Attributes) : undefined;
    } catch (err) {
      if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
      throw serviceUnavailable(err);
    }
  }

  /**
   * Administration: one page of users (a scan; the CLI's listing, not a request path): at least
   * `limit` if there are that many, and every user of the scan pages read (cutting a page short
   * would skip the users past the cut, since `next` resumes after the whole page).
   */
  async list(limit: number, startKey?: Record<string, unknown>): Promise<{ users: UserRecord[]; next: Record<string, unknown> | undefined }> {
    const users: UserRecord[] = [];
    let key = startKey;
    do {
      const page = await dynamo(() =>
        this.doc.send(
          new ScanCommand({
            TableName: this.table,
            FilterExpression: 'begins_with(pk, :user)',
            ExpressionAttributeValues: { ':user': 'USER#' },
            ExclusiveStartKey: key,
            // Items read per request, users or not: the loop stops once a page holds enough users.
            Limit: limit,
          }),
        ),
      );
      for (const item of page.Items ?? []) users.push(toUser(item));
      key = page.LastEvaluatedKey;
    } while (key && users.length < limit);
    return { users, next: key };
  }

  async findById(id: string, options: { consistent?: boolean } = {}): Promise<UserRecord | undefined> {
    const out = await dynamo(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: userKey(id) }, ConsistentRead: options.consistent === true })),
    );
    return out.Item ? toUser(out.Item) : undefined;
  }

  /**
   * What a login reads before checking the password, in one BatchGetItem: the email claim and
   * the items under `extraKeys` (the throttle counters, which live in this table). The same
   * request whether or not the email exists.
   */
  async readLoginState(email: string, extraKeys: string[]): Promise<{ userId: string | undefined; items: Map<string, Record<string, unknown>> }> {
    const keys = [{ pk: emailKey(email) }, ...extraKeys.map((pk) => ({ pk }))];
    const out = await dynamo(() =>
      this.doc.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } })),
    );
    // A batch may hand keys back unprocessed under throttling; better to fail than to skip a counter.
    if ((out.UnprocessedKeys?.[this.table]?.Keys?.length ?? 0) > 0) {
      throw serviceUnavailable(new Error('BatchGetItem left keys unprocessed'));
    }
    const items = new Map((out.Responses?.[this.table] ?? []).map((item) => [String(item.pk), item]));
    const userId = items.get(emailKey(email))?.userId;
    return { userId: typeof userId === 'string' ? userId : undefined, items };
  }

  /**
   * The user a login checks the password of. An unknown email still pays for a user read (of a
   * key that cannot exist), so both paths make the same requests and take the same time.
   */
  async findForLogin(userId: string | undefined): Promise<UserRecord | undefined> {
    return this.findById(userId ?? `absent-${randomUUID()}`);
  }

  /**
   * Resolves the email claim, then the user; an unknown email still reads a (never existing)
   * user key, so both answers cost the same two requests.
   */
  async findByEmailEvenly(email: string): Promise<UserRecord | undefined> {
    const claim = await dynamo(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: emailKey(email) }, ConsistentRead: true })),
    );
    const userId = claim.Item?.userId;
    return this.findById(typeof userId === 'string' ? userId : `absent-${randomUUID()}`);
  }

  /** Resolves the email claim, then the user. */
  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const claim = await dynamo(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: emailKey(email) }, ConsistentRead: true })),
    );
    const userId = claim.Item?.userId;
    return typeof userId === 'string' ? this.findById(userId) : undefined;
  }
}

export function toUser(item: Record<string, unknown>): UserRecord {
  return {
    id: String(item.id),
    email: String(item.email),
    name: typeof item.name === 'string' ? item.name : undefined,
    roles: Array.isArray(item.roles) ? item.roles.map(String) : [],
    emailVerified: item.emailVerified === true,
    createdAt: String(item.createdAt),
    passwordHash: String(item.passwordHash),
    verifyTokenHash: typeof item.verifyTokenHash === 'string' ? item.verifyTokenHash : undefined,
    resetTokenHash: typeof item.resetTokenHash === 'string' ? item.resetTokenHash : undefined,
    disabledAt: typeof item.disabledAt === 'string' ? item.disabledAt : undefined,
  };
}
