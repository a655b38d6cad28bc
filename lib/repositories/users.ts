import { randomUUID } from 'node:crypto';
import { BatchGetCommand, GetCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OneTimeTokenKind } from '../tokens/one-time-token';
import { factorsKey, passkeyKey } from './factors';
import { oneTimeTokenKey } from './one-time-tokens';
import { deviceKey } from './devices';
import type { TransactWriteItem } from './types';
import { emailTaken, serviceUnavailable } from '../errors';
import { dynamo } from './dynamo';
import { failedOn, part, parts, type TransactionPart, type TransactionWriter } from './transactions';

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
  /** Hash of the current email-change token; absent once used, superseded or ended by a change. */
  emailChangeTokenHash?: string | undefined;
  /** Set by an administrator: no login, no refresh. */
  disabledAt?: string | undefined;
  /**
   * Bumped in the transaction of every credential change (password change or reset, disabling,
   * email change, factor changes, linking or unlinking an identity): a sign-in commits only while it still holds the value
   * read before its checks, so a sign-in that checked the old credentials opens nothing after it.
   */
  credentialEpoch: number;
  /**
   * Bumped by every sign-in's transaction: a credential change commits only while it still holds
   * the value it read with the sessions below, so no sign-in can slip in between its read and its
   * write (it is retried instead).
   */
  signIns: number;
  /**
   * The sessions opened since this record's version tracks them: session id → absolute end
   * (epoch seconds), one `session:<sid>` attribute each, written by the sign-in that opened it in
   * the same transaction. A credential change revokes exactly these (plus the index's older ones).
   */
  sessionEnds: Record<string, number>;
  /**
   * The federated identities that sign in to this account (lib/usecases/federation.ts), one
   * `identity:<provider>#<subject>` attribute each (value: when it was linked), beside the
   * `IDENTITY#<provider>#<subject>` claim item that makes an identity belong to one user only.
   */
  identities: LinkedIdentity[];
}

export interface LinkedIdentity {
  provider: string;
  subject: string;
  linkedAt: string;
}

/**
 * The password hash of an account that has none (made by a federated sign-in): no bcrypt hash,
 * so no password ever verifies against it (login compares against a dummy hash instead, to keep
 * its timing), and the sign-in condition `passwordHash = :verified` still holds it as read. A
 * password reset sets a real one.
 */
export const NO_PASSWORD = '';

export const hasPassword = (user: Pick<UserRecord, 'passwordHash'>) => user.passwordHash !== NO_PASSWORD;

export const userKey = (id: string) => `USER#${id}`;
const emailKey = (email: string) => `EMAIL#${email}`;
/** Prefix of the user item's attributes naming its sessions (see UserRecord.sessionEnds). */
const SESSION_ATTRIBUTE = 'session:';
/** Prefix of the user item's attributes naming its federated identities (UserRecord.identities). */
const IDENTITY_ATTRIBUTE = 'identity:';
export const identityKey = (provider: string, subject: string) => `IDENTITY#${provider}#${subject}`;

/** What a credential change read, and must still find when it commits. */
export interface UserSnapshot {
  id: string;
  credentialEpoch: number;
  signIns: number;
}

/** A counter attribute equal to `value`, an absent one counting as 0 (users older than it). */
function counterIs(name: string, placeholder: string, value: number): string {
  return value === 0 ? `(attribute_not_exists(${name}) OR ${name} = ${placeholder})` : `${name} = ${placeholder}`;
}

/** Condition: the user item still holds the snapshot (no sign-in, no credential change since). */
function snapshotCondition(snapshot: UserSnapshot): { expression: string; values: Record<string, unknown> } {
  return {
    expression: `attribute_exists(pk) AND ${counterIs('credentialEpoch', ':snapEpoch', snapshot.credentialEpoch)} AND ${counterIs('signIns', ':snapSignIns', snapshot.signIns)}`,
    values: { ':snapEpoch': snapshot.credentialEpoch, ':snapSignIns': snapshot.signIns },
  };
}

/**
 * A credential change's update of the user item: its own SET and REMOVE clauses, plus the epoch
 * bump and the removal of the sessions it revokes, on the condition that nothing signed in or
 * changed since `snapshot` (and its own `condition`).
 */
interface ChangeExpression {
  set: string[];
  remove: string[];
  condition?: string;
  values: Record<string, unknown>;
}
const POINTER: Record<OneTimeTokenKind, 'verifyTokenHash' | 'resetTokenHash' | 'emailChangeTokenHash'> = {
  verify: 'verifyTokenHash',
  reset: 'resetTokenHash',
  email_change: 'emailChangeTokenHash',
};

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
    private readonly tx: TransactionWriter,
  ) {}

  /**
   * Creates the user and claims its email in one transaction; `alsoWrite` joins further items
   * (the first session) so registration is all-or-nothing. A taken email surfaces as the domain
   * error `email_taken`, decided by DynamoDB's condition, never by an earlier read.
   */
  async create(user: UserRecord, alsoWrite: TransactionPart[] = []): Promise<void> {
    try {
      await this.tx.write([
        part('email', {
          Put: {
            TableName: this.table,
            Item: { pk: emailKey(user.email), userId: user.id, createdAt: user.createdAt },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        }),
        part('user', { Put: { TableName: this.table, Item: toItem(user), ConditionExpression: 'attribute_not_exists(pk)' } }),
        ...alsoWrite,
      ]);
    } catch (err) {
      if (failedOn(err, 'email')) throw emailTaken();
      throw err;
    }
  }

  /**
   * The user item's part of a sign-in's transaction: it commits only if the user still exists, is
   * not disabled, holds the hash that was checked and the credential epoch read before the check,
   * so a credential change committed meanwhile leaves that sign-in no session. It records the new
   * session and bumps `signIns` (so a credential change that read the user before this commits
   * retries and sees it), forgets sessions past their end, and, with `upgradedHash`, replaces the
   * hash made at an older BCRYPT_COST.
   */
  signInItem(
    checked: { id: string; passwordHash: string; credentialEpoch: number },
    session: { sid: string; expiresAt: number },
    forget: readonly string[],
    upgradedHash?: string,
  ): TransactWriteItem {
    const names: Record<string, string> = { '#new': SESSION_ATTRIBUTE + session.sid };
    forget.forEach((sid, i) => (names[`#old${i}`] = SESSION_ATTRIBUTE + sid));
    const values: Record<string, unknown> = { ':zero': 0, ':one': 1, ':end': session.expiresAt, ':epoch': checked.credentialEpoch, ':verified': checked.passwordHash };
    const set = ['signIns = if_not_exists(signIns, :zero) + :one', '#new = :end'];
    if (upgradedHash) {
      set.push('passwordHash = :upgraded');
      values[':upgraded'] = upgradedHash;
    }
    const remove = forget.map((_, i) => `#old${i}`);
    return {
      Update: {
        TableName: this.table,
        Key: { pk: userKey(checked.id) },
        UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(disabledAt) AND passwordHash = :verified AND ${counterIs('credentialEpoch', ':epoch', checked.credentialEpoch)}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  /**
   * A second factor enabled or removed, as a credential change: the epoch bump (so a sign-in that
   * checked the user before it opens nothing after it) and the sessions it revokes forgotten.
   */
  factorsChangedItem(snapshot: UserSnapshot, revoked: readonly string[]): TransactWriteItem {
    return this.changeItem(snapshot, revoked, { set: [], remove: [], condition: 'attribute_not_exists(disabledAt)', values: {} });
  }

  /**
   * Condition for a reauthentication: the user is as it was when its password was checked (same
   * hash, same credential epoch, not disabled), so a credential change committed meanwhile wins.
   */
  unchangedCheckItem(checked: { id: string; passwordHash: string; credentialEpoch: number }): TransactWriteItem {
    return {
      ConditionCheck: {
        TableName: this.table,
        Key: { pk: userKey(checked.id) },
        ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(disabledAt) AND passwordHash = :verified AND ${counterIs('credentialEpoch', ':epoch', checked.credentialEpoch)}`,
        ExpressionAttributeValues: { ':verified': checked.passwordHash, ':epoch': checked.credentialEpoch },
      },
    };
  }

  /**
   * The item remembering a device that signed in to `userId` until `expiresAt` (see
   * lib/repositories/devices.ts), for the sign-in's transaction.
   */
  deviceItem(tokenHash: string, userId: string, now: Date, expiresAt: number): TransactWriteItem {
    return {
      Put: {
        TableName: this.table,
        Item: { pk: deviceKey(tokenHash), userId, createdAt: now.toISOString(), expiresAt },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** A credential change's update (see {@link ChangeExpression}): bumps the epoch, forgets `revoked`. */
  private changeItem(snapshot: UserSnapshot, revoked: readonly string[], change: ChangeExpression): TransactWriteItem {
    const guard = snapshotCondition(snapshot);
    const names: Record<string, string> = {};
    revoked.forEach((sid, i) => (names[`#revoked${i}`] = SESSION_ATTRIBUTE + sid));
    const set = ['credentialEpoch = if_not_exists(credentialEpoch, :zero) + :one', ...change.set];
    const remove = [...change.remove, ...revoked.map((_, i) => `#revoked${i}`)];
    return {
      Update: {
        TableName: this.table,
        Key: { pk: userKey(snapshot.id) },
        UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: change.condition ? `${guard.expression} AND ${change.condition}` : guard.expression,
        ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ...guard.values, ...change.values },
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
   * Password reset, as a credential change: sets the new hash, only while `tokenHash` is the
   * current reset token and the account is enabled. The reset link reached the mailbox, which
   * proves the address: a pending verification is completed too.
   */
  resetPasswordItem(snapshot: UserSnapshot, revoked: readonly string[], tokenHash: string, newHash: string, now: Date): TransactWriteItem {
    return this.changeItem(snapshot, revoked, {
      set: ['passwordHash = :newHash', 'emailVerified = :true', 'passwordChangedAt = :changedAt'],
      remove: ['resetTokenHash', 'verifyTokenHash', 'emailChangeTokenHash'],
      condition: 'resetTokenHash = :hash AND attribute_not_exists(disabledAt)',
      values: { ':newHash': newHash, ':true': true, ':hash': tokenHash, ':changedAt': now.toISOString() },
    });
  }

  /**
   * Password change, as a credential change: sets the new hash, only if the current one is still
   * the hash the old password was checked against. A pending reset link dies with the password it
   * was meant to replace.
   */
  changePasswordItem(snapshot: UserSnapshot, revoked: readonly string[], expectedHash: string, newHash: string, now: Date): TransactWriteItem {
    return this.changeItem(snapshot, revoked, {
      set: ['passwordHash = :newHash', 'passwordChangedAt = :changedAt'],
      remove: ['resetTokenHash', 'emailChangeTokenHash'],
      condition: 'passwordHash = :expected',
      values: { ':newHash': newHash, ':expected': expectedHash, ':changedAt': now.toISOString() },
    });
  }

  /**
   * Email change, as a credential change: moves the user to `newEmail` (verified: the link reached
   * it), only while `tokenHash` is the current email-change token and the account is enabled.
   * The email claims move in the same transaction ({@link moveEmailClaimItems}).
   */
  changeEmailItem(snapshot: UserSnapshot, revoked: readonly string[], tokenHash: string, newEmail: string, now: Date): TransactWriteItem {
    return this.changeItem(snapshot, revoked, {
      set: ['email = :newEmail', 'emailVerified = :true', 'emailChangedAt = :changedAt'],
      remove: ['emailChangeTokenHash', 'verifyTokenHash'],
      condition: 'emailChangeTokenHash = :hash AND attribute_not_exists(disabledAt)',
      values: { ':newEmail': newEmail, ':true': true, ':hash': tokenHash, ':changedAt': now.toISOString() },
    });
  }

  /**
   * The email claims of an email change: the old one released (still this user's), the new one
   * taken only if nobody holds it, labelled `claim`: of an email change and a registration of the
   * same address racing each other, exactly one holds it.
   */
  moveEmailClaimItems(userId: string, oldEmail: string, newEmail: string, now: Date): TransactionPart[] {
    return [
      part('old-claim', {
        Delete: {
          TableName: this.table,
          Key: { pk: emailKey(oldEmail) },
          ConditionExpression: 'userId = :id',
          ExpressionAttributeValues: { ':id': userId },
        },
      }),
      part('claim', {
        Put: {
          TableName: this.table,
          Item: { pk: emailKey(newEmail), userId, createdAt: now.toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      }),
    ];
  }

  /**
   * The claim of a federated identity for `userId`, taken only if no account holds it: of two
   * callbacks (or a callback and a link) for the same identity, exactly one claims it.
   */
  claimIdentityItem(userId: string, provider: string, subject: string, email: string, now: Date): TransactWriteItem {
    return {
      Put: {
        TableName: this.table,
        Item: { pk: identityKey(provider, subject), userId, provider, subject, email, createdAt: now.toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** Releases the claim of an identity, only while it is still `userId`'s. */
  releaseIdentityItem(userId: string, provider: string, subject: string): TransactWriteItem {
    return {
      Delete: {
        TableName: this.table,
        Key: { pk: identityKey(provider, subject) },
        ConditionExpression: 'userId = :id',
        ExpressionAttributeValues: { ':id': userId },
      },
    };
  }

  /** The user holding a federated identity, read strongly consistently, or undefined. */
  async findIdentityOwner(provider: string, subject: string): Promise<string | undefined> {
    const out = await dynamo(() => this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: identityKey(provider, subject) }, ConsistentRead: true })));
    return typeof out.Item?.userId === 'string' ? out.Item.userId : undefined;
  }

  /**
   * The automatic link of a federated sign-in: names the identity on the user item, only while the
   * user is exactly as the linking rule judged it: the same email, still verified, not disabled,
   * the same credential epoch (so an email change, a reset or a disabling committed meanwhile
   * makes the callback judge again). Not itself a credential change: it opens no session and
   * revokes none; the sign-in it leads to goes through lib/sign-in.ts like any other.
   */
  autoLinkItem(checked: Pick<UserRecord, 'id' | 'email' | 'credentialEpoch'>, provider: string, subject: string, now: Date): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: userKey(checked.id) },
        UpdateExpression: 'SET #identity = :at',
        ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(disabledAt) AND email = :email AND emailVerified = :true AND ${counterIs('credentialEpoch', ':epoch', checked.credentialEpoch)}`,
        ExpressionAttributeNames: { '#identity': identityAttribute(provider, subject) },
        ExpressionAttributeValues: { ':at': now.toISOString(), ':email': checked.email, ':true': true, ':epoch': checked.credentialEpoch },
      },
    };
  }

  /**
   * Linking or unlinking an identity from the account settings, as a credential change: the
   * identity attribute set or removed, the epoch bumped and the revoked sessions forgotten.
   */
  identityChangedItem(snapshot: UserSnapshot, revoked: readonly string[], change: { link?: { provider: string; subject: string; at: Date }; unlink?: { provider: string; subject: string } }): TransactWriteItem {
    const item = this.changeItem(snapshot, revoked, {
      set: change.link ? ['#identity = :linkedAt'] : [],
      remove: change.unlink ? ['#identity'] : [],
      condition: 'attribute_not_exists(disabledAt)',
      values: change.link ? { ':linkedAt': change.link.at.toISOString() } : {},
    });
    const target = change.link ?? change.unlink!;
    item.Update!.ExpressionAttributeNames = { ...item.Update!.ExpressionAttributeNames, '#identity': identityAttribute(target.provider, target.subject) };
    return item;
  }

  /** Whether an account holds `email` (its claim exists). */
  async emailTaken(email: string): Promise<boolean> {
    const claim = await dynamo(() => this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: emailKey(email) }, ConsistentRead: true })));
    return Boolean(claim.Item);
  }

  /**
   * Administration, as a credential change: disables the account (no sign-in, no refresh) and
   * drops its pending email links. A second disabling keeps the first time.
   */
  disableItem(snapshot: UserSnapshot, revoked: readonly string[], disabledAt: string): TransactWriteItem {
    return this.changeItem(snapshot, revoked, {
      set: ['disabledAt = if_not_exists(disabledAt, :at)'],
      remove: ['resetTokenHash', 'verifyTokenHash', 'emailChangeTokenHash'],
      values: { ':at': disabledAt },
    });
  }

  /**
   * Deletes the user, its email claim, its pending tokens and its second factors with their
   * recovery codes, and the lookup items of `passkeyCredentialIds` (its passkeys, read by the
   * caller: a credential id stops naming the deleted user) (pending enrolments expire by TTL and name only the deleted id). The user item must still be as read
   * (no sign-in, no credential change since: a racing login makes the caller retry with its
   * session listed, a racing password change cancels the deletion); the claim must still be this
   * user's.
   */
  deleteItems(user: UserRecord, passkeyCredentialIds: readonly string[] = []): TransactionPart[] {
    const guard = snapshotCondition(user);
    const items: TransactionPart[] = [
      part('user', {
        Delete: {
          TableName: this.table,
          Key: { pk: userKey(user.id) },
          ConditionExpression: `${guard.expression} AND passwordHash = :expected`,
          ExpressionAttributeValues: { ...guard.values, ':expected': user.passwordHash },
        },
      }),
      part('email', {
        Delete: {
          TableName: this.table,
          Key: { pk: emailKey(user.email) },
          ConditionExpression: 'userId = :id',
          ExpressionAttributeValues: { ':id': user.id },
        },
      }),
    ];
    // The factors item goes whether or not it exists (a delete without a condition).
    items.push(part('factors', { Delete: { TableName: this.table, Key: { pk: factorsKey(user.id) } } }));
    // Whether or not still there (a passkey removed meanwhile), never another user's.
    for (const credentialId of passkeyCredentialIds) {
      items.push(
        part('factors', {
          Delete: { TableName: this.table, Key: { pk: passkeyKey(credentialId) }, ConditionExpression: 'attribute_not_exists(pk) OR userId = :id', ExpressionAttributeValues: { ':id': user.id } },
        }),
      );
    }
    if (user.verifyTokenHash) items.push(part('pending', { Delete: { TableName: this.table, Key: { pk: oneTimeTokenKey('verify', user.verifyTokenHash) } } }));
    if (user.resetTokenHash) items.push(part('pending', { Delete: { TableName: this.table, Key: { pk: oneTimeTokenKey('reset', user.resetTokenHash) } } }));
    if (user.emailChangeTokenHash) items.push(part('pending', { Delete: { TableName: this.table, Key: { pk: oneTimeTokenKey('email_change', user.emailChangeTokenHash) } } }));
    // The identities' claims go with the account, so they can sign up afresh.
    for (const identity of user.identities) items.push(part('identity', this.releaseIdentityItem(user.id, identity.provider, identity.subject)));
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

  /** Administration: replaces the roles. Returns the updated user, or undefined if there is none. */
  async setRoles(id: string, roles: string[]): Promise<UserRecord | undefined> {
    return this.update(id, 'SET #roles = :roles', { ':roles': roles }, { '#roles': 'roles' });
  }

  /** Administration: enables a disabled account (disabling is a credential change: {@link disableItem}). */
  async enable(id: string): Promise<UserRecord | undefined> {
    return this.update(id, 'REMOVE disabledAt', undefined);
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
   * {@link findForLogin} with the user's items under `alsoRead` (its second factors) in the same
   * BatchGetItem, read strongly consistently: a factor confirmed a moment ago decides the sign-in.
   */
  async findForSignIn(userId: string | undefined, alsoRead: (userId: string) => string[]): Promise<{ user: UserRecord | undefined; items: Map<string, Record<string, unknown>> }> {
    const id = userId ?? `absent-${randomUUID()}`;
    const keys = [{ pk: userKey(id) }, ...alsoRead(id).map((pk) => ({ pk }))];
    const out = await dynamo(() =>
      this.doc.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } })),
    );
    if ((out.UnprocessedKeys?.[this.table]?.Keys?.length ?? 0) > 0) {
      throw serviceUnavailable(new Error('BatchGetItem left keys unprocessed'));
    }
    const items = new Map((out.Responses?.[this.table] ?? []).map((item) => [String(item.pk), item]));
    const found = items.get(userKey(id));
    return { user: found ? toUser(found) : undefined, items };
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
    emailChangeTokenHash: typeof item.emailChangeTokenHash === 'string' ? item.emailChangeTokenHash : undefined,
    disabledAt: typeof item.disabledAt === 'string' ? item.disabledAt : undefined,
    credentialEpoch: typeof item.credentialEpoch === 'number' ? item.credentialEpoch : 0,
    signIns: typeof item.signIns === 'number' ? item.signIns : 0,
    sessionEnds: Object.fromEntries(
      Object.entries(item)
        .filter(([name, value]) => name.startsWith(SESSION_ATTRIBUTE) && typeof value === 'number')
        .map(([name, value]) => [name.slice(SESSION_ATTRIBUTE.length), value as number]),
    ),
    identities: Object.entries(item)
      .filter(([name, value]) => name.startsWith(IDENTITY_ATTRIBUTE) && typeof value === 'string')
      .map(([name, value]) => {
        const [provider = '', ...rest] = name.slice(IDENTITY_ATTRIBUTE.length).split('#');
        return { provider, subject: rest.join('#'), linkedAt: value as string };
      }),
  };
}

/** The stored form of a user: its sessions flattened into `session:<sid>` attributes. */
function toItem(user: UserRecord): Record<string, unknown> {
  const { sessionEnds, identities, ...rest } = user;
  const item: Record<string, unknown> = { pk: userKey(user.id), ...rest };
  for (const [sid, end] of Object.entries(sessionEnds)) item[SESSION_ATTRIBUTE + sid] = end;
  for (const identity of identities) item[identityAttribute(identity.provider, identity.subject)] = identity.linkedAt;
  return item;
}

const identityAttribute = (provider: string, subject: string) => `${IDENTITY_ATTRIBUTE}${provider}#${subject}`;

/** The sessions a user record names that have not reached their absolute end. */
export function trackedSessions(user: Pick<UserRecord, 'sessionEnds'>, now: Date): { sid: string; expiresAt: number }[] {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return Object.entries(user.sessionEnds)
    .filter(([, end]) => end > nowSeconds)
    .map(([sid, expiresAt]) => ({ sid, expiresAt }));
}

/** Sessions a user record names past their absolute end: forgotten by the next sign-in. */
export function endedSessions(user: Pick<UserRecord, 'sessionEnds'>, now: Date): string[] {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return Object.entries(user.sessionEnds)
    .filter(([, end]) => end <= nowSeconds)
    .map(([sid]) => sid);
}
