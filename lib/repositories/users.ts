import { randomUUID } from 'node:crypto';
import { BatchGetCommand, GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loginAttemptsKey, toLoginAttempts, type LoginAttempts } from './login-attempts';
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
}

const userKey = (id: string) => `USER#${id}`;
const emailKey = (email: string) => `EMAIL#${email}`;

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

  /** Transaction item swapping the password hash, only if it is still the one we verified. */
  replacePasswordHashItem(userId: string, expected: string, replacement: string): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: userKey(userId) },
        UpdateExpression: 'SET passwordHash = :replacement',
        ConditionExpression: 'passwordHash = :expected',
        ExpressionAttributeValues: { ':replacement': replacement, ':expected': expected },
      },
    };
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const out = await dynamo(() => this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: userKey(id) } })));
    return out.Item ? toUser(out.Item) : undefined;
  }

  /**
   * What a login needs before checking the password, in as few requests as possible: the email
   * claim and the account's failure counter in one BatchGetItem (both live in this table), then
   * the user. Two requests, whether or not the email exists.
   */
  async findForLogin(email: string): Promise<{ user: UserRecord | undefined; attempts: LoginAttempts | undefined }> {
    const keys = [{ pk: emailKey(email) }, { pk: loginAttemptsKey(email) }];
    const out = await dynamo(() =>
      this.doc.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } })),
    );
    // A batch may hand keys back unprocessed under throttling; better to fail than to skip the counter.
    if ((out.UnprocessedKeys?.[this.table]?.Keys?.length ?? 0) > 0) {
      throw serviceUnavailable(new Error('BatchGetItem left keys unprocessed'));
    }
    const items = out.Responses?.[this.table] ?? [];
    const claim = items.find((i) => i.pk === emailKey(email));
    const counter = items.find((i) => i.pk === loginAttemptsKey(email));
    // An unknown email still pays for a user read (of a key that cannot exist), so both paths
    // make the same requests and take the same time: response timing does not reveal accounts.
    const user = await this.findById(typeof claim?.userId === 'string' ? claim.userId : `absent-${randomUUID()}`);
    return { user, attempts: counter ? toLoginAttempts(counter) : undefined };
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

function toUser(item: Record<string, unknown>): UserRecord {
  return {
    id: String(item.id),
    email: String(item.email),
    name: typeof item.name === 'string' ? item.name : undefined,
    roles: Array.isArray(item.roles) ? item.roles.map(String) : [],
    emailVerified: item.emailVerified === true,
    createdAt: String(item.createdAt),
    passwordHash: String(item.passwordHash),
  };
}
