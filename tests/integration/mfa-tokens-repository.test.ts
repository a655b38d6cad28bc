/**
 * The mfaToken store on DynamoDB Local: single use, 5 minutes, bound to its user and to the
 * password check, dead after 5 wrong codes. Each rule attacked with parallel requests.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { hashMfaToken } from '../../lib/mfa/mfa-token';
import { cancellationCodes, createDocumentClient } from '../../lib/repositories/dynamo';
import { MFA_TOKEN_MAX_ATTEMPTS, MFA_TOKEN_TTL_SECONDS, MfaTokensRepository, mfaTokenKey } from '../../lib/repositories/mfa-tokens';
import { testConfig } from '../helpers/deps';

const config = testConfig();
const doc = createDocumentClient({ endpoint: config.dynamodbEndpoint });
const tokens = new MfaTokensRepository(doc, config.usersTable);
const T0 = new Date('2026-03-01T12:00:00Z');
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

async function issued(userId: string = randomUUID(), binding: string = randomUUID()) {
  const token = await tokens.issue({ userId, email: 'a@example.com', binding, methods: ['pwd'], knownDevice: false, now: T0 });
  return { token, userId, binding };
}

describe('MfaTokensRepository', () => {
  it('issues a 256-bit token, stores only its hash, and reserves attempts on it', async () => {
    const { token, userId, binding } = await issued();
    expect(token).toMatch(/^[\w-]{43}$/);
    const raw = await doc.send(new GetCommand({ TableName: config.usersTable, Key: { pk: mfaTokenKey(hashMfaToken(token)) } }));
    expect(raw.Item).toMatchObject({ userId, binding, methods: ['pwd'], attempts: 0, expiresAt: Math.floor(T0.getTime() / 1000) + 300 });
    expect(JSON.stringify(raw.Item)).not.toContain(token);
    expect(await tokens.reserveAttempt(token, later(1))).toMatchObject({ userId, binding, methods: ['pwd'], attempts: 1 });
  });

  it('attack: an mfaToken reused: of 20 parallel uses exactly one completes the sign-in, and none after', async () => {
    const { token, userId, binding } = await issued();
    const results = await Promise.all(Array.from({ length: 20 }, () => tokens.consume(token, { userId, binding }, later(5))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await tokens.consume(token, { userId, binding }, later(6))).toBe(false);
    expect(await tokens.reserveAttempt(token, later(7))).toBeUndefined();
  });

  it('attack: an mfaToken reused inside the session transaction: exactly one of 20 commits', async () => {
    const { token, userId, binding } = await issued();
    const commit = async () => {
      const session = { Put: { TableName: config.usersTable, Item: { pk: `TEST#${randomUUID()}`, expiresAt: 0 } } };
      for (let attempt = 0; ; attempt += 1) {
        try {
          await doc.send(new TransactWriteCommand({ TransactItems: [tokens.consumeItem(token, { userId, binding }, later(5)), session] }));
          return true;
        } catch (err) {
          const codes = cancellationCodes(err);
          if (codes.includes('ConditionalCheckFailed')) return false;
          if (codes.includes('TransactionConflict') && attempt < 20) continue;
          throw err;
        }
      }
    };
    const results = await Promise.all(Array.from({ length: 20 }, commit));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('attack: 6 wrong codes on one mfaToken: the sixth attempt, and any after it, is refused before a code is checked', async () => {
    const { token } = await issued();
    for (let i = 1; i <= MFA_TOKEN_MAX_ATTEMPTS; i += 1) {
      expect(await tokens.reserveAttempt(token, later(i))).toMatchObject({ attempts: i });
    }
    expect(await tokens.reserveAttempt(token, later(10))).toBeUndefined();
    // Dead for good: the verify flow checks no code, right or wrong, without a reserved attempt.
    expect(await tokens.reserveAttempt(token, later(11))).toBeUndefined();
    expect((await doc.send(new GetCommand({ TableName: config.usersTable, Key: { pk: mfaTokenKey(hashMfaToken(token)) } }))).Item?.attempts).toBe(5);
  });

  it('attack: 20 parallel codes on one mfaToken: at most 5 are ever checked', async () => {
    const { token } = await issued();
    const results = await Promise.all(Array.from({ length: 20 }, () => tokens.reserveAttempt(token, later(2))));
    const reserved = results.filter((r) => r !== undefined);
    expect(reserved).toHaveLength(MFA_TOKEN_MAX_ATTEMPTS);
    expect(reserved.map((r) => r!.attempts).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it("attack: user A's mfaToken completed for user B is refused, and A's still works", async () => {
    const a = await issued();
    const b = await issued();
    expect(await tokens.consume(a.token, { userId: b.userId, binding: a.binding }, later(5))).toBe(false);
    expect(await tokens.consume(a.token, { userId: b.userId, binding: b.binding }, later(5))).toBe(false);
    expect(await tokens.consume(a.token, { userId: a.userId, binding: a.binding }, later(6))).toBe(true);
  });

  it('attack: an mfaToken made before a password change (another binding) is refused', async () => {
    const { token, userId } = await issued(randomUUID(), 'epoch-1');
    expect(await tokens.consume(token, { userId, binding: 'epoch-2' }, later(5))).toBe(false);
    expect(await tokens.consume(token, { userId, binding: 'epoch-1' }, later(6))).toBe(true);
  });

  it('refuses an mfaToken past its 5 minutes, though DynamoDB has not deleted it yet', async () => {
    const { token, userId, binding } = await issued();
    const expired = later(MFA_TOKEN_TTL_SECONDS);
    expect(await tokens.reserveAttempt(token, expired)).toBeUndefined();
    expect(await tokens.consume(token, { userId, binding }, expired)).toBe(false);
    expect(await tokens.consume(token, { userId, binding }, later(MFA_TOKEN_TTL_SECONDS - 1))).toBe(true);
  });

  it('refuses malformed and unknown tokens without a write', async () => {
    expect(await tokens.reserveAttempt('not-a-token', T0)).toBeUndefined();
    expect(await tokens.reserveAttempt('A'.repeat(43), T0)).toBeUndefined();
    const { token } = await issued();
    expect(await tokens.reserveAttempt(`${token.slice(0, 42)}${token.endsWith('A') ? 'B' : 'A'}`, T0)).toBeUndefined();
  });
});
