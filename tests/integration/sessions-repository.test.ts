import { randomUUID } from 'node:crypto';
import { parts } from '../../lib/repositories/transactions';
import type { TransactWriteItem } from '../../lib/repositories/types';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors';
import type { RefreshTokenRecord, SessionRecord } from '../../lib/repositories/sessions';
import { hashSecret, newRefreshToken } from '../../lib/tokens/refresh-token';
import { testDeps } from '../helpers/deps';

const nowSeconds = () => Math.floor(Date.now() / 1000);

function session(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    sid: randomUUID(),
    userId,
    createdAt: new Date().toISOString(),
    lastUsedAt: new Date().toISOString(),
    expiresAt: nowSeconds() + 3600,
    userAgent: 'vitest',
    ip: '127.0.0.1',
    revokedAt: undefined,
    ...overrides,
  };
}

function token(s: SessionRecord): RefreshTokenRecord {
  const t = newRefreshToken();
  return {
    tokenId: t.id,
    sid: s.sid,
    userId: s.userId,
    secretHash: hashSecret(t.secret),
    issuedAt: new Date().toISOString(),
    expiresAt: nowSeconds() + 600,
    sessionExpiresAt: s.expiresAt,
    consumedAt: undefined,
    successorId: undefined,
    email: 'a@example.com',
    roles: ['user'],
  };
}

describe('SessionsRepository on DynamoDB Local', () => {
  const { deps } = testDeps();
  const repo = deps.sessions;
  const write = (items: TransactWriteItem[]) => deps.transactions.write(parts('test', items));

  it('stores a session with its first token and reads both back', async () => {
    const s = session(randomUUID());
    const t = token(s);
    await write(repo.newSessionItems(s, t));
    expect(await repo.getSession(s.sid)).toMatchObject({ sid: s.sid, userId: s.userId, userAgent: 'vitest', ip: '127.0.0.1' });
    expect(await repo.getToken(t.tokenId)).toMatchObject({ tokenId: t.tokenId, sid: s.sid, secretHash: t.secretHash });
  });

  it('rotates a token once: the second rotation of the same parent fails as already consumed', async () => {
    const s = session(randomUUID());
    const parent = token(s);
    await write(repo.newSessionItems(s, parent));
    await repo.rotate(parent, token(s), new Date());
    await expect(repo.rotate(parent, token(s), new Date())).rejects.toSatisfy((e) => e instanceof AppError && e.code === 'token_already_consumed');
    const stored = await repo.getToken(parent.tokenId);
    expect(stored?.consumedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('lets exactly one of 20 concurrent rotations of one token write a successor', async () => {
    const s = session(randomUUID());
    const parent = token(s);
    await write(repo.newSessionItems(s, parent));
    const successors = Array.from({ length: 20 }, () => token(s));
    const results = await Promise.allSettled(successors.map((succ) => repo.rotate(parent, succ, new Date())));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const written = await Promise.all(successors.map((succ) => repo.getToken(succ.tokenId)));
    expect(written.filter(Boolean)).toHaveLength(1);
    expect((await repo.getToken(parent.tokenId))?.successorId).toBe(written.find(Boolean)?.tokenId);
  });

  it('refuses to rotate inside a revoked session and leaves the parent unconsumed', async () => {
    const s = session(randomUUID());
    const parent = token(s);
    await write(repo.newSessionItems(s, parent));
    expect(await repo.revoke(s.sid, new Date(), 'test')).toBe(true);
    const succ = token(s);
    await expect(repo.rotate(parent, succ, new Date())).rejects.toSatisfy((e) => e instanceof AppError && e.code === 'session_not_active');
    expect((await repo.getToken(parent.tokenId))?.consumedAt).toBeUndefined();
    expect(await repo.getToken(succ.tokenId)).toBeUndefined();
  });

  it('refuses to rotate past the session absolute expiry even before TTL deletes it', async () => {
    const s = session(randomUUID(), { expiresAt: nowSeconds() - 5 });
    const parent = token(s);
    await write(repo.newSessionItems(s, parent));
    await expect(repo.rotate(parent, token(s), new Date())).rejects.toSatisfy((e) => e instanceof AppError && e.code === 'session_not_active');
  });

  it('revokes idempotently and lists only live sessions of a user', async () => {
    const userId = randomUUID();
    const live = session(userId);
    const revoked = session(userId);
    const expired = session(userId, { expiresAt: nowSeconds() - 1 });
    for (const s of [live, revoked, expired]) await write(repo.newSessionItems(s, token(s)));
    expect(await repo.revoke(revoked.sid, new Date(), 'test')).toBe(true);
    expect(await repo.revoke(revoked.sid, new Date(), 'test')).toBe(false);
    expect(await repo.revoke(randomUUID(), new Date(), 'test')).toBe(false);
    expect(await repo.listActiveSessionIds(userId, new Date())).toEqual([live.sid]);
  });
});
