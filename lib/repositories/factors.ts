/**
 * Second factors and recovery codes, in the users table (which has only a `pk`).
 *
 * Items:
 *
 *   FACTORS#<userId>                     one item per user, never expires
 *     userId
 *     factors            map factorId -> CONFIRMED factors only, either
 *                          { type: "totp", name, secret (sealed, lib/mfa/secret-box), createdAt,
 *                            confirmedAt, lastStep, lastUsedAt? }
 *                        or
 *                          { type: "passkey", name, credentialId (base64url), publicKey (COSE,
 *                            base64url), counter, transports, deviceType, backedUp, createdAt,
 *                            confirmedAt, lastUsedAt? }
 *     recoverySalt       base64url salt of the current recovery-code set
 *     recoveryCodes      string set: SHA-256 hashes of the unused codes of that set
 *     recoveryIssuedAt, recoveryUsedAt?
 *
 *   FACTOR_PENDING#<userId>#<factorId>   an enrolment awaiting its first code
 *     userId, factorId, type, name, secret (sealed), createdAt, expiresAt (TTL attribute)
 *
 *   PASSKEY#<sha256 of the credential id>  which user a passkey belongs to
 *     userId, factorId, createdAt
 *
 * A passkey's lookup item is what makes a credential id belong to ONE user: it is put with the
 * passkey (condition: no such item), so a registration response replayed into a second account
 * fails, and a discoverable sign-in finds the credential's owner by its id before anything else.
 * It goes with the passkey in the removal's transaction.
 *
 * Why one item per user: a user has a handful of factors, so one consistent GetItem lists them
 * all (the table has no sort key and no index to query), and every rule that must hold under
 * parallel requests is a condition on that one item, decided by DynamoDB, never by an earlier
 * read:
 *
 * - each TOTP code is accepted once: the accepted step is written with the condition
 *   `lastStep < :step`, so of 20 parallel requests with one code exactly one succeeds, and a
 *   code of an older step fails the same way (lib/mfa/totp.ts only finds the step);
 * - each recovery code is used once: its hash is deleted from the set with the condition that
 *   the set still holds it (and is still the set of that salt, so a regenerated set is not
 *   touched by a code read from the old one);
 * - the first factor and the last factor are decided by the condition on `size(factors)`: a
 *   confirmation that believed it was first (and so issues recovery codes) or a deletion that
 *   believed it was last (and so takes the recovery codes with it) fails when a parallel request
 *   changed the count, and the caller reads again;
 * - a factor can be deleted only through its owner's item: another user's factor id is simply
 *   not in the map (404), whatever the id.
 *
 * Pending enrolments are items of their own so that DynamoDB's TTL removes abandoned ones, and so
 * that `factors` holds nothing but confirmed factors (its size is the confirmed count).
 * Confirming deletes the pending item (still there, unexpired) and adds the factor in one
 * transaction: two confirmations of one enrolment cannot both succeed.
 *
 * Writes the caller must commit together with other changes (a confirmation with the revocation
 * of the other sessions, a deletion with the credential change it is) are handed out as
 * transaction items; single-item rules that stand alone are also offered as direct conditional
 * writes, which cost half a transactional write.
 *
 * Expiry: DynamoDB's TTL deletion can lag by days, so pending items are checked against
 * `expiresAt` in every read and condition.
 */
import { createHash } from 'node:crypto';
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, type EpochSeconds } from '../clock';
import type { RecoveryCodeSet } from '../mfa/recovery-codes';
import { dynamo, errorName } from './dynamo';
import type { TransactWriteItem } from './types';

export type FactorType = 'totp' | 'passkey';

/** How long an enrolment waits for its first code. */
export const PENDING_FACTOR_TTL_SECONDS = 15 * 60;
/** Confirmed factors per user: keeps the one item far below DynamoDB's 400 KB. */
export const MAX_FACTORS = 10;

interface FactorBase {
  id: string;
  name: string;
  createdAt: string;
  confirmedAt: string;
  lastUsedAt: string | undefined;
}

export interface TotpFactor extends FactorBase {
  type: 'totp';
  /** The sealed TOTP secret (lib/mfa/secret-box.ts). */
  secret: string;
  /** The last accepted time step; a code of this step or an older one is refused. */
  lastStep: number;
}

/** A WebAuthn credential (lib/passkeys/webauthn.ts checks its ceremonies). */
export interface PasskeyFactor extends FactorBase {
  type: 'passkey';
  /** The credential id, base64url. */
  credentialId: string;
  /** The credential's COSE public key, base64url. */
  publicKey: string;
  /** The last signature counter accepted; 0 for authenticators that keep none (synced passkeys). */
  counter: number;
  transports: string[];
  /** `singleDevice` (bound to one authenticator) or `multiDevice` (may be synced). */
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
}

export type StoredFactor = TotpFactor | PasskeyFactor;

/** What registering a passkey stores (the factor and its lookup item). */
export type NewPasskey = Omit<PasskeyFactor, 'confirmedAt' | 'lastUsedAt' | 'type'>;

/** The owner of a credential id, from its lookup item. */
export interface PasskeyOwner {
  userId: string;
  factorId: string;
}

export interface StoredRecoveryCodes {
  salt: string;
  /** Hashes of the codes not used yet. */
  hashes: string[];
  issuedAt: string;
}

/** Everything of one user's second factors, from one read. */
export interface FactorSet {
  factors: StoredFactor[];
  /** Absent when no set was issued, or the last factor took it away. */
  recovery: StoredRecoveryCodes | undefined;
}

export interface PendingFactor {
  userId: string;
  factorId: string;
  type: FactorType;
  name: string;
  secret: string;
  createdAt: string;
  expiresAt: EpochSeconds;
}

export const factorsKey = (userId: string) => `FACTORS#${userId}`;
export const pendingFactorKey = (userId: string, factorId: string) => `FACTOR_PENDING#${userId}#${factorId}`;
/** Hashed: a credential id may be up to 1023 bytes, and is not ours to put in a key as is. */
export const passkeyKey = (credentialId: string) => `PASSKEY#${createHash('sha256').update(credentialId).digest('base64url')}`;

/** The owner named by a PASSKEY# item (read by the caller's own batch). */
export function passkeyOwnerOf(item: Record<string, unknown> | undefined): PasskeyOwner | undefined {
  if (!item || typeof item.userId !== 'string' || typeof item.factorId !== 'string') return undefined;
  return { userId: item.userId, factorId: item.factorId };
}

function conditionFailed(err: unknown): boolean {
  return errorName(err) === 'ConditionalCheckFailedException';
}

function toFactor(id: string, value: unknown): StoredFactor | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const f = value as Record<string, unknown>;
  const base = {
    id,
    name: String(f.name ?? ''),
    createdAt: String(f.createdAt),
    confirmedAt: String(f.confirmedAt),
    lastUsedAt: typeof f.lastUsedAt === 'string' ? f.lastUsedAt : undefined,
  };
  if (f.type === 'totp' && typeof f.secret === 'string' && typeof f.lastStep === 'number') {
    return { ...base, type: 'totp', secret: f.secret, lastStep: f.lastStep };
  }
  if (f.type === 'passkey' && typeof f.credentialId === 'string' && typeof f.publicKey === 'string' && typeof f.counter === 'number') {
    return {
      ...base,
      type: 'passkey',
      credentialId: f.credentialId,
      publicKey: f.publicKey,
      counter: f.counter,
      transports: Array.isArray(f.transports) ? f.transports.map(String) : [],
      deviceType: f.deviceType === 'multiDevice' ? 'multiDevice' : 'singleDevice',
      backedUp: f.backedUp === true,
    };
  }
  return undefined;
}

/** The passkeys among a user's factors. */
export const passkeysOf = (set: FactorSet): PasskeyFactor[] => set.factors.filter((f): f is PasskeyFactor => f.type === 'passkey');

/** The factor set stored in a FACTORS#<userId> item (read by get(), or by a caller's own batch). */
export function factorSetOf(item: Record<string, unknown> | undefined): FactorSet {
  const map = item?.factors && typeof item.factors === 'object' ? (item.factors as Record<string, unknown>) : {};
  const factors = Object.entries(map)
    .map(([id, value]) => toFactor(id, value))
    .filter((f): f is StoredFactor => f !== undefined)
    .sort((a, b) => a.confirmedAt.localeCompare(b.confirmedAt) || a.id.localeCompare(b.id));
  const codes = item?.recoveryCodes;
  const recovery =
    typeof item?.recoverySalt === 'string'
      ? {
          salt: item.recoverySalt,
          // The document client reads a string set as a Set; an emptied set is removed by DynamoDB.
          hashes: codes instanceof Set ? [...codes].map(String) : [],
          issuedAt: String(item.recoveryIssuedAt),
        }
      : undefined;
  return { factors, recovery };
}

export class FactorsRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** The user's confirmed factors and recovery codes (consistent read: the login decision rests on it). */
  async get(userId: string): Promise<FactorSet> {
    const out = await dynamo(() => this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: factorsKey(userId) }, ConsistentRead: true })));
    return factorSetOf(out.Item);
  }

  /**
   * A new, unconfirmed factor: the pending item, and the user's factors item if it has none yet
   * (so a confirmation always finds the `factors` map to add to).
   */
  createPendingItems(pending: PendingFactor): TransactWriteItem[] {
    return [
      {
        Put: {
          TableName: this.table,
          Item: { pk: pendingFactorKey(pending.userId, pending.factorId), ...pending },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.table,
          Key: { pk: factorsKey(pending.userId) },
          UpdateExpression: 'SET #factors = if_not_exists(#factors, :empty), userId = :userId',
          ExpressionAttributeNames: { '#factors': 'factors' },
          ExpressionAttributeValues: { ':empty': {}, ':userId': pending.userId },
        },
      },
    ];
  }

  async createPending(pending: PendingFactor): Promise<void> {
    await dynamo(() => this.doc.send(new TransactWriteCommand({ TransactItems: this.createPendingItems(pending) })));
  }

  /** The owner's pending enrolment, unless it expired. */
  async findPending(userId: string, factorId: string, now: Date): Promise<PendingFactor | undefined> {
    const out = await dynamo(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: pendingFactorKey(userId, factorId) }, ConsistentRead: true })),
    );
    const item = out.Item;
    if (!item || item.userId !== userId || item.type !== 'totp' || typeof item.secret !== 'string') return undefined;
    const expiresAt = Number(item.expiresAt);
    if (!(expiresAt > epochSeconds(now))) return undefined;
    return {
      userId,
      factorId,
      type: item.type,
      name: String(item.name ?? ''),
      secret: item.secret,
      createdAt: String(item.createdAt),
      expiresAt,
    };
  }

  /**
   * Confirms an enrolment whose code `step` was just checked: the pending item goes (it must
   * still be there and unexpired) and the factor joins the confirmed ones with `lastStep = step`,
   * so the confirming code cannot sign in afterwards.
   *
   * `recovery` is given exactly when this is the user's first factor: the set is stored in the
   * same write, with the condition that the user has no confirmed factor; without it, the
   * condition is that the user has one. A confirmation that guessed wrong (a parallel one
   * committed first) fails and is read again.
   */
  confirmItems(pending: PendingFactor, input: { step: number; now: Date; recovery?: RecoveryCodeSet | undefined }): TransactWriteItem[] {
    const at = input.now.toISOString();
    const factor = {
      type: pending.type,
      name: pending.name,
      secret: pending.secret,
      createdAt: pending.createdAt,
      confirmedAt: at,
      lastStep: input.step,
    };
    const values: Record<string, unknown> = { ':factor': factor, ':max': MAX_FACTORS, ':zero': 0 };
    let update = 'SET #factors.#fid = :factor';
    let condition = 'attribute_exists(#factors) AND attribute_not_exists(#factors.#fid) AND size(#factors) < :max AND ';
    if (input.recovery) {
      update += ', recoverySalt = :salt, recoveryCodes = :codes, recoveryIssuedAt = :at REMOVE recoveryUsedAt';
      condition += 'size(#factors) = :zero';
      Object.assign(values, { ':salt': input.recovery.salt, ':codes': new Set(input.recovery.hashes), ':at': at });
    } else {
      condition += 'size(#factors) > :zero';
    }
    return [
      {
        Delete: {
          TableName: this.table,
          Key: { pk: pendingFactorKey(pending.userId, pending.factorId) },
          ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
          ExpressionAttributeValues: { ':now': epochSeconds(input.now) },
        },
      },
      {
        Update: {
          TableName: this.table,
          Key: { pk: factorsKey(pending.userId) },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#factors': 'factors', '#fid': pending.factorId },
          ExpressionAttributeValues: values,
        },
      },
    ];
  }

  /**
   * Records `step` as the factor's last accepted step, only if it is greater than the stored one:
   * the write that makes a TOTP code single use.
   */
  acceptTotpStepItem(userId: string, factorId: string, step: number, now: Date): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: factorsKey(userId) },
        UpdateExpression: 'SET #factors.#fid.lastStep = :step, #factors.#fid.lastUsedAt = :at',
        ConditionExpression: '#factors.#fid.#type = :totp AND #factors.#fid.lastStep < :step',
        ExpressionAttributeNames: { '#factors': 'factors', '#fid': factorId, '#type': 'type' },
        ExpressionAttributeValues: { ':step': step, ':at': now.toISOString(), ':totp': 'totp' },
      },
    };
  }

  /** {@link acceptTotpStepItem} on its own. False: the step (or a later one) was already used, or the factor is gone. */
  async acceptTotpStep(userId: string, factorId: string, step: number, now: Date): Promise<boolean> {
    return this.conditionalUpdate(this.acceptTotpStepItem(userId, factorId, step, now));
  }

  /**
   * Stores a re-sealed secret (sealed under the current key) in place of the one that was read,
   * only if that one is still stored: a parallel re-seal or a deletion wins, and nothing is lost
   * either way. Best effort: false when the condition refused it.
   */
  async reseal(userId: string, factorId: string, expected: string, replacement: string): Promise<boolean> {
    return this.conditionalUpdate({
      Update: {
        TableName: this.table,
        Key: { pk: factorsKey(userId) },
        UpdateExpression: 'SET #factors.#fid.secret = :replacement',
        ConditionExpression: '#factors.#fid.secret = :expected',
        ExpressionAttributeNames: { '#factors': 'factors', '#fid': factorId },
        ExpressionAttributeValues: { ':replacement': replacement, ':expected': expected },
      },
    });
  }

  /**
   * Adds a passkey just verified, and its lookup item (the credential id must not belong to anyone
   * yet). `first` says the caller read no confirmed factor: the map is created (or an emptied one
   * replaced) on that condition; otherwise the condition is that the user still has one, so a
   * registration that guessed wrong about being first (and so a credential change) fails and is
   * read again, as a TOTP confirmation does. No recovery codes are issued here: the contract's
   * answer has no place for them (`POST /auth/mfa/recovery-codes` issues a set).
   */
  addPasskeyItems(userId: string, passkey: NewPasskey, input: { first: boolean; now: Date }): TransactWriteItem[] {
    const at = input.now.toISOString();
    const { id, ...stored } = passkey;
    const factor = { ...stored, type: 'passkey', confirmedAt: at };
    const names: Record<string, string> = { '#factors': 'factors' };
    const values: Record<string, unknown> = { ':userId': userId };
    let update: string;
    let condition: string;
    if (input.first) {
      update = 'SET #factors = :map, userId = :userId';
      condition = 'attribute_not_exists(#factors) OR size(#factors) = :zero';
      Object.assign(values, { ':map': { [id]: factor }, ':zero': 0 });
    } else {
      update = 'SET #factors.#fid = :factor, userId = :userId';
      condition = 'attribute_exists(#factors) AND attribute_not_exists(#factors.#fid) AND size(#factors) > :zero AND size(#factors) < :max';
      names['#fid'] = id;
      Object.assign(values, { ':factor': factor, ':zero': 0, ':max': MAX_FACTORS });
    }
    return [
      {
        Put: {
          TableName: this.table,
          Item: { pk: passkeyKey(passkey.credentialId), userId, factorId: id, createdAt: at },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.table,
          Key: { pk: factorsKey(userId) },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
    ];
  }

  /**
   * Records an assertion's signature counter on the passkey, only if it went forward (or stays 0
   * on an authenticator that keeps no counter): with the check in lib/passkeys/webauthn.ts, the
   * refusal of a cloned authenticator, here decided by DynamoDB so that two assertions racing
   * with one counter value cannot both pass. The passkey must still be there.
   */
  acceptPasskeyItem(userId: string, factorId: string, counter: number, now: Date): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: factorsKey(userId) },
        UpdateExpression: 'SET #factors.#fid.#counter = :counter, #factors.#fid.lastUsedAt = :at',
        ConditionExpression: `#factors.#fid.#type = :passkey AND ${counter > 0 ? '#factors.#fid.#counter < :counter' : '#factors.#fid.#counter = :counter'}`,
        ExpressionAttributeNames: { '#factors': 'factors', '#fid': factorId, '#type': 'type', '#counter': 'counter' },
        ExpressionAttributeValues: { ':counter': counter, ':at': now.toISOString(), ':passkey': 'passkey' },
      },
    };
  }

  /** The lookup item of a passkey, removed with it. */
  passkeyLookupDeleteItem(credentialId: string, userId: string): TransactWriteItem {
    return {
      Delete: {
        TableName: this.table,
        Key: { pk: passkeyKey(credentialId) },
        ConditionExpression: 'userId = :userId',
        ExpressionAttributeValues: { ':userId': userId },
      },
    };
  }

  /**
   * Removes a factor of this user. `last` says the caller read it as the user's only factor: the
   * recovery codes go with it, and the condition requires that it still is the only one; without
   * `last`, that another one remains. The factor must exist in THIS user's item, so another
   * user's factor id fails the condition (answer 404 after reading again). `keepingAnyOf`: factor
   * ids the caller counted on remaining (the passkeys an account without a password or identity
   * signs in with); at least one of them must still be there, whatever else the item holds.
   */
  deleteItem(userId: string, factorId: string, options: { last: boolean; keepingAnyOf?: readonly string[] }): TransactWriteItem {
    const kept = options.keepingAnyOf ?? [];
    const keptNames = Object.fromEntries(kept.map((id, i) => [`#kept${i}`, id]));
    const keptCondition = kept.length ? ` AND (${kept.map((_, i) => `attribute_exists(#factors.#kept${i})`).join(' OR ')})` : '';
    return {
      Update: {
        TableName: this.table,
        Key: { pk: factorsKey(userId) },
        UpdateExpression: options.last
          ? 'REMOVE #factors.#fid, recoverySalt, recoveryCodes, recoveryIssuedAt, recoveryUsedAt'
          : 'REMOVE #factors.#fid',
        ConditionExpression: `attribute_exists(#factors.#fid) AND size(#factors) ${options.last ? '=' : '>'} :one${keptCondition}`,
        ExpressionAttributeNames: { '#factors': 'factors', '#fid': factorId, ...keptNames },
        ExpressionAttributeValues: { ':one': 1 },
      },
    };
  }

  /** Replaces the recovery-code set (every old code stops working), for a user with a confirmed factor. */
  replaceRecoveryCodesItem(userId: string, set: RecoveryCodeSet, now: Date): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: factorsKey(userId) },
        UpdateExpression: 'SET recoverySalt = :salt, recoveryCodes = :codes, recoveryIssuedAt = :at REMOVE recoveryUsedAt',
        ConditionExpression: 'size(#factors) > :zero',
        ExpressionAttributeNames: { '#factors': 'factors' },
        ExpressionAttributeValues: { ':salt': set.salt, ':codes': new Set(set.hashes), ':at': now.toISOString(), ':zero': 0 },
      },
    };
  }

  /**
   * Uses one recovery code: its hash leaves the set, only if the set of this salt still holds it.
   * `salt` is the one read with the set the code was hashed for.
   */
  consumeRecoveryCodeItem(userId: string, salt: string, hash: string, now: Date): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: factorsKey(userId) },
        UpdateExpression: 'DELETE recoveryCodes :hashes SET recoveryUsedAt = :at',
        ConditionExpression: 'recoverySalt = :salt AND contains(recoveryCodes, :hash)',
        ExpressionAttributeValues: { ':hashes': new Set([hash]), ':hash': hash, ':salt': salt, ':at': now.toISOString() },
      },
    };
  }

  /** {@link consumeRecoveryCodeItem} on its own. False: not a code of the current set, or already used. */
  async consumeRecoveryCode(userId: string, salt: string, hash: string, now: Date): Promise<boolean> {
    return this.conditionalUpdate(this.consumeRecoveryCodeItem(userId, salt, hash, now));
  }

  /**
   * Condition for a sign-in that opens a session on a password alone: the user has no confirmed
   * factor at commit time, so a factor confirmed while the password was being checked makes the
   * sign-in fail instead of opening a single-factor session.
   */
  noFactorsCheckItem(userId: string): TransactWriteItem {
    return {
      ConditionCheck: {
        TableName: this.table,
        Key: { pk: factorsKey(userId) },
        ConditionExpression: 'attribute_not_exists(#factors) OR size(#factors) = :zero',
        ExpressionAttributeNames: { '#factors': 'factors' },
        ExpressionAttributeValues: { ':zero': 0 },
      },
    };
  }

  /** The factors item of a deleted user (UsersRepository.deleteItems writes the same delete; pending enrolments expire by TTL and are bound to the user id). */
  deleteAllItems(userId: string): TransactWriteItem[] {
    return [{ Delete: { TableName: this.table, Key: { pk: factorsKey(userId) } } }];
  }

  private async conditionalUpdate(item: TransactWriteItem): Promise<boolean> {
    const update = item.Update;
    if (!update) throw new Error('not an update');
    try {
      await this.doc.send(new UpdateCommand(update));
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      return dynamo(() => Promise.reject(err));
    }
  }
}
