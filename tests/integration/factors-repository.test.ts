/**
 * Second factors and recovery codes on DynamoDB Local, with real sealed secrets and real codes.
 * Every "accepted once" rule is attacked with parallel requests: the conditions in
 * lib/repositories/factors.ts are what must decide, never an earlier read.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { epochSeconds } from '../../lib/clock';
import { KeyStore } from '../../lib/keys/key-store';
import { FileKeySource } from '../../lib/keys/sources';
import { newRecoveryCodes, recoveryCodeHash } from '../../lib/mfa/recovery-codes';
import { totpSecretBox } from '../../lib/mfa/secret-box';
import { checkTotp, newTotpSecret, totpCode, totpStep } from '../../lib/mfa/totp';
import { cancellationCodes, createDocumentClient } from '../../lib/repositories/dynamo';
import { FactorsRepository, PENDING_FACTOR_TTL_SECONDS, factorsKey, type PendingFactor, type StoredFactor, type TotpFactor } from '../../lib/repositories/factors';
import type { TransactWriteItem } from '../../lib/repositories/types';
import { testConfig } from '../helpers/deps';

/** The factor read back, which these tests made a TOTP one. */
function totp(factor: StoredFactor | undefined): TotpFactor {
  if (factor?.type !== 'totp') throw new Error(`expected a TOTP factor, got ${factor?.type}`);
  return factor;
}

const config = testConfig();
const doc = createDocumentClient({ endpoint: config.dynamodbEndpoint });
const factors = new FactorsRepository(doc, config.usersTable);
const keys = new KeyStore(new FileKeySource(config.signingKeysFile!), { alg: config.signingAlg });
const box = totpSecretBox(keys);
const T0 = new Date('2026-03-01T12:00:00Z');
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/**
 * Commits one transaction as the service does: a conflict with a parallel transaction on the
 * same item is retried, so each request ends either committed or refused by a condition.
 */
async function commit(items: TransactWriteItem[]): Promise<'committed' | 'refused'> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await doc.send(new TransactWriteCommand({ TransactItems: items }));
      return 'committed';
    } catch (err) {
      const codes = cancellationCodes(err);
      if (codes.includes('ConditionalCheckFailed')) return 'refused';
      if (codes.includes('TransactionConflict') && attempt < 20) {
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 50));
        continue;
      }
      throw err;
    }
  }
}

const count = (results: (boolean | string)[], value: boolean | string) => results.filter((r) => r === value).length;

async function enrol(userId: string, now = T0): Promise<{ pending: PendingFactor; secret: Buffer }> {
  const secret = newTotpSecret();
  const factorId = randomUUID();
  const pending: PendingFactor = {
    userId,
    factorId,
    type: 'totp',
    name: 'Authenticator app',
    secret: await box.seal(secret, { userId, factorId }),
    createdAt: now.toISOString(),
    expiresAt: epochSeconds(now) + PENDING_FACTOR_TTL_SECONDS,
  };
  await factors.createPending(pending);
  return { pending, secret };
}

/** Enrols and confirms a factor with the code of `now` (the first factor gets recovery codes). */
async function enrolConfirmed(userId: string, now = T0) {
  const { pending, secret } = await enrol(userId, now);
  const step = checkTotp(secret, totpCode(secret, totpStep(now)), now)!;
  const first = (await factors.get(userId)).factors.length === 0;
  const issued = first ? newRecoveryCodes() : undefined;
  expect(await commit(factors.confirmItems(pending, { step, now, recovery: issued?.set }))).toBe('committed');
  return { factorId: pending.factorId, secret, step, codes: issued?.codes ?? [], salt: issued?.set.salt };
}

describe('TOTP factors', () => {
  it('enrols, confirms and lists a factor whose sealed secret opens only for its owner and factor', async () => {
    const userId = randomUUID();
    const { pending, secret } = await enrol(userId);
    expect(await factors.findPending(userId, pending.factorId, T0)).toEqual(pending);
    expect((await factors.get(userId)).factors).toEqual([]);

    const step = checkTotp(secret, totpCode(secret, totpStep(T0)), T0)!;
    const issued = newRecoveryCodes();
    expect(await commit(factors.confirmItems(pending, { step, now: T0, recovery: issued.set }))).toBe('committed');

    const set = await factors.get(userId);
    expect(set.factors).toEqual([
      {
        id: pending.factorId,
        type: 'totp',
        name: 'Authenticator app',
        secret: pending.secret,
        lastStep: step,
        createdAt: T0.toISOString(),
        confirmedAt: T0.toISOString(),
        lastUsedAt: undefined,
      },
    ]);
    expect(set.recovery?.salt).toBe(issued.set.salt);
    expect(set.recovery?.hashes.sort()).toEqual([...issued.set.hashes].sort());
    expect(await factors.findPending(userId, pending.factorId, T0)).toBeUndefined();
    expect((await box.open(totp(set.factors[0]).secret, { userId, factorId: pending.factorId })).plaintext).toEqual(secret);
    // The stored item holds the sealed form only.
    const raw = await doc.send(new GetCommand({ TableName: config.usersTable, Key: { pk: factorsKey(userId) } }));
    expect(JSON.stringify(raw.Item)).not.toContain(secret.toString('base64url'));
    expect(JSON.stringify(raw.Item)).not.toContain(secret.toString('hex'));
  });

  it('attack: one TOTP code sent 20 times in parallel is accepted exactly once', async () => {
    const userId = randomUUID();
    const { factorId, secret } = await enrolConfirmed(userId);
    const now = later(90);
    const step = checkTotp(secret, totpCode(secret, totpStep(now)), now)!;
    const results = await Promise.all(Array.from({ length: 20 }, () => factors.acceptTotpStep(userId, factorId, step, now)));
    expect(count(results, true)).toBe(1);
    expect(count(results, false)).toBe(19);
    expect((await factors.get(userId)).factors[0]).toMatchObject({ lastStep: step, lastUsedAt: now.toISOString() });
  });

  it('attack: a replayed code, and a code of an older step, are refused after a newer one was accepted', async () => {
    const userId = randomUUID();
    const { factorId, secret } = await enrolConfirmed(userId);
    const now = later(300);
    const step = totpStep(now);
    expect(await factors.acceptTotpStep(userId, factorId, step, now)).toBe(true);
    expect(await factors.acceptTotpStep(userId, factorId, step, later(301))).toBe(false);
    expect(await factors.acceptTotpStep(userId, factorId, step - 1, later(302))).toBe(false);
    // The check itself already skips used steps when given the stored one; the write is what holds under races.
    const { lastStep } = totp((await factors.get(userId)).factors[0]);
    expect(checkTotp(secret, totpCode(secret, step - 1), now, { afterStep: lastStep })).toBeUndefined();
    expect(await factors.acceptTotpStep(userId, factorId, step + 1, later(310))).toBe(true);
  });

  it('attack: the confirming code cannot sign in afterwards (its step is the last used one)', async () => {
    const userId = randomUUID();
    const { factorId, step } = await enrolConfirmed(userId);
    expect(await factors.acceptTotpStep(userId, factorId, step, T0)).toBe(false);
  });

  it('attack: 20 parallel confirmations of one enrolment add exactly one factor', async () => {
    const userId = randomUUID();
    const { pending, secret } = await enrol(userId);
    const step = totpStep(T0);
    expect(checkTotp(secret, totpCode(secret, step), T0)).toBe(step);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => commit(factors.confirmItems(pending, { step, now: T0, recovery: newRecoveryCodes().set }))),
    );
    expect(count(results, 'committed')).toBe(1);
    expect(count(results, 'refused')).toBe(19);
    expect((await factors.get(userId)).factors).toHaveLength(1);
  });

  it('attack: 20 parallel confirmations of a second enrolment add exactly one factor (the enrolment is single use)', async () => {
    const userId = randomUUID();
    await enrolConfirmed(userId);
    // With a factor already there, the first-factor condition plays no part: only the enrolment's own do.
    const { pending } = await enrol(userId, later(60));
    const results = await Promise.all(Array.from({ length: 20 }, () => commit(factors.confirmItems(pending, { step: totpStep(later(60)), now: later(60) }))));
    expect(count(results, 'committed')).toBe(1);
    expect(count(results, 'refused')).toBe(19);
    expect((await factors.get(userId)).factors).toHaveLength(2);
  });

  it('attack: two enrolments confirmed in parallel as "first factor" store one recovery set', async () => {
    const userId = randomUUID();
    const a = await enrol(userId);
    const b = await enrol(userId);
    const sets = [newRecoveryCodes(), newRecoveryCodes()];
    const results = await Promise.all(
      [a, b].map((e, i) => commit(factors.confirmItems(e.pending, { step: totpStep(T0), now: T0, recovery: sets[i]!.set }))),
    );
    expect(count(results, 'committed')).toBe(1);
    const winner = results.indexOf('committed');
    expect((await factors.get(userId)).recovery?.salt).toBe(sets[winner]!.set.salt);
    // The loser, read again, is a second factor: it confirms without issuing codes.
    const loser = [a, b][1 - winner]!;
    expect(await commit(factors.confirmItems(loser.pending, { step: totpStep(T0), now: T0 }))).toBe('committed');
    const after = await factors.get(userId);
    expect(after.factors).toHaveLength(2);
    expect(after.recovery?.salt).toBe(sets[winner]!.set.salt);
  });

  it('refuses to confirm an expired enrolment, even while its item lingers before TTL deletion', async () => {
    const userId = randomUUID();
    const { pending } = await enrol(userId);
    const expired = later(PENDING_FACTOR_TTL_SECONDS);
    expect(await factors.findPending(userId, pending.factorId, expired)).toBeUndefined();
    expect(await commit(factors.confirmItems(pending, { step: totpStep(expired), now: expired, recovery: newRecoveryCodes().set }))).toBe('refused');
    expect((await factors.get(userId)).factors).toEqual([]);
  });

  it("attack: another user's enrolment is not found by its id", async () => {
    const owner = randomUUID();
    const { pending } = await enrol(owner);
    expect(await factors.findPending(randomUUID(), pending.factorId, T0)).toBeUndefined();
  });

  it("attack: deleting another user's factor by its id changes nothing (404)", async () => {
    const victim = randomUUID();
    const attacker = randomUUID();
    const { factorId } = await enrolConfirmed(victim);
    await enrolConfirmed(attacker);
    expect(await commit([factors.deleteItem(attacker, factorId, { last: true })])).toBe('refused');
    expect(await commit([factors.deleteItem(attacker, factorId, { last: false })])).toBe('refused');
    expect((await factors.get(victim)).factors.map((f) => f.id)).toEqual([factorId]);
    expect((await factors.get(attacker)).factors).toHaveLength(1);
  });

  it('removing the last factor takes the recovery codes; a removal that counted on another factor is refused', async () => {
    const userId = randomUUID();
    const first = await enrolConfirmed(userId);
    const second = await enrolConfirmed(userId, later(60));
    expect((await factors.get(userId)).factors.map((f) => f.id)).toEqual([first.factorId, second.factorId]);

    expect(await commit([factors.deleteItem(userId, first.factorId, { last: true })])).toBe('refused');
    expect(await commit([factors.deleteItem(userId, first.factorId, { last: false })])).toBe('committed');
    expect((await factors.get(userId)).recovery?.hashes).toHaveLength(10);

    expect(await commit([factors.deleteItem(userId, second.factorId, { last: false })])).toBe('refused');
    expect(await commit([factors.deleteItem(userId, second.factorId, { last: true })])).toBe('committed');
    expect(await factors.get(userId)).toEqual({ factors: [], recovery: undefined });
    expect(await factors.consumeRecoveryCode(userId, first.salt!, recoveryCodeHash(first.salt!, first.codes[0]!)!, later(120))).toBe(false);
  });

  it('attack: two parallel removals of the only two factors cannot both believe another one remains', async () => {
    const userId = randomUUID();
    const a = await enrolConfirmed(userId);
    const b = await enrolConfirmed(userId, later(60));
    const results = await Promise.all([a, b].map((f) => commit([factors.deleteItem(userId, f.factorId, { last: false })])));
    expect(count(results, 'committed')).toBe(1);
    const after = await factors.get(userId);
    expect(after.factors).toHaveLength(1);
    expect(after.recovery?.hashes).toHaveLength(10);
  });

  it('a password-only sign-in write is refused once a factor is confirmed (no single-factor session races enrolment)', async () => {
    const userId = randomUUID();
    const marker = () => ({ Put: { TableName: config.usersTable, Item: { pk: `TEST#${randomUUID()}`, expiresAt: epochSeconds(later(60)) } } });
    expect(await commit([factors.noFactorsCheckItem(userId), marker()])).toBe('committed');
    const { pending } = await enrol(userId);
    // An enrolment alone is not a factor yet.
    expect(await commit([factors.noFactorsCheckItem(userId), marker()])).toBe('committed');
    expect(await commit(factors.confirmItems(pending, { step: totpStep(T0), now: T0, recovery: newRecoveryCodes().set }))).toBe('committed');
    expect(await commit([factors.noFactorsCheckItem(userId), marker()])).toBe('refused');
  });

  it('re-seals a secret under the current key only if the stored one is still the one read', async () => {
    const userId = randomUUID();
    const { factorId, secret } = await enrolConfirmed(userId);
    const stored = totp((await factors.get(userId)).factors[0]).secret;
    const resealed = await box.seal(secret, { userId, factorId });
    expect(await factors.reseal(userId, factorId, 'v1.not.the.stored', resealed)).toBe(false);
    expect(await factors.reseal(userId, factorId, stored, resealed)).toBe(true);
    expect(await factors.reseal(userId, factorId, stored, await box.seal(secret, { userId, factorId }))).toBe(false);
    expect(totp((await factors.get(userId)).factors[0]).secret).toBe(resealed);
  });

  it('deletes everything of a user with the account', async () => {
    const userId = randomUUID();
    await enrolConfirmed(userId);
    expect(await commit(factors.deleteAllItems(userId))).toBe('committed');
    expect(await factors.get(userId)).toEqual({ factors: [], recovery: undefined });
  });
});

describe('recovery codes', () => {
  it('attack: one recovery code sent 20 times in parallel is accepted exactly once, and never again', async () => {
    const userId = randomUUID();
    const { codes, salt } = await enrolConfirmed(userId);
    const hash = recoveryCodeHash(salt!, codes[3]!)!;
    const results = await Promise.all(Array.from({ length: 20 }, () => factors.consumeRecoveryCode(userId, salt!, hash, later(10))));
    expect(count(results, true)).toBe(1);
    expect(await factors.consumeRecoveryCode(userId, salt!, hash, later(20))).toBe(false);
    const left = (await factors.get(userId)).recovery!;
    expect(left.hashes).toHaveLength(9);
    expect(left.hashes).not.toContain(hash);
    // The others still work, each once.
    expect(await factors.consumeRecoveryCode(userId, salt!, recoveryCodeHash(salt!, codes[4]!)!, later(30))).toBe(true);
  });

  it('attack: a code of the replaced set is refused after regeneration', async () => {
    const userId = randomUUID();
    const old = await enrolConfirmed(userId);
    const fresh = newRecoveryCodes();
    expect(await commit([factors.replaceRecoveryCodesItem(userId, fresh.set, later(10))])).toBe('committed');
    // Hashed with the old salt (a request that read the set before the regeneration) or with the new one.
    expect(await factors.consumeRecoveryCode(userId, old.salt!, recoveryCodeHash(old.salt!, old.codes[0]!)!, later(20))).toBe(false);
    expect(await factors.consumeRecoveryCode(userId, fresh.set.salt, recoveryCodeHash(fresh.set.salt, old.codes[0]!)!, later(20))).toBe(false);
    expect(await factors.consumeRecoveryCode(userId, fresh.set.salt, recoveryCodeHash(fresh.set.salt, fresh.codes[0]!)!, later(30))).toBe(true);
  });

  it('binds each use to the set it was hashed for: a hash presented with another set\'s salt is refused', async () => {
    const userId = randomUUID();
    const { codes, salt } = await enrolConfirmed(userId);
    const fresh = newRecoveryCodes();
    const hash = recoveryCodeHash(salt!, codes[0]!)!;
    expect(await commit([factors.replaceRecoveryCodesItem(userId, fresh.set, later(10))])).toBe('committed');
    // A hash of the new set under the old salt: the set's salt must match, not only the hash.
    expect(await factors.consumeRecoveryCode(userId, salt!, fresh.set.hashes[0]!, later(20))).toBe(false);
    expect(await factors.consumeRecoveryCode(userId, salt!, hash, later(20))).toBe(false);
  });

  it('issues no recovery codes to a user without a confirmed factor', async () => {
    const userId = randomUUID();
    await enrol(userId);
    expect(await commit([factors.replaceRecoveryCodesItem(userId, newRecoveryCodes().set, T0)])).toBe('refused');
    expect((await factors.get(userId)).recovery).toBeUndefined();
  });
});

describe('sealed secrets in the table', () => {
  it('attack: a sealed secret copied onto another factor of the same user does not open', async () => {
    const userId = randomUUID();
    const a = await enrolConfirmed(userId);
    const b = await enrolConfirmed(userId, later(60));
    const stored = await factors.get(userId);
    const sealedA = totp(stored.factors.find((f) => f.id === a.factorId)).secret;
    // Someone with write access to the table swaps A's ciphertext into B.
    const raw = await doc.send(new GetCommand({ TableName: config.usersTable, Key: { pk: factorsKey(userId) } }));
    raw.Item!.factors[b.factorId].secret = sealedA;
    await doc.send(new PutCommand({ TableName: config.usersTable, Item: raw.Item }));
    const moved = totp((await factors.get(userId)).factors.find((f) => f.id === b.factorId)).secret;
    await expect(box.open(moved, { userId, factorId: b.factorId })).rejects.toMatchObject({ reason: 'forged' });
  });
});
