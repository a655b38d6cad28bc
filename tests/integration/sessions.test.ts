/**
 * The sessions module (lib/sessions.ts) against DynamoDB Local: the per-user cap, revoking one,
 * all and all-but-one session, transaction items that revoke sessions together with a caller's
 * own write, and what happens past DynamoDB's 100-item transaction cap.
 */
import { authenticationOf } from '../../lib/authentication';
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { MAX_TRANSACTION_ITEMS, part, parts } from '../../lib/repositories/transactions';
import type { RefreshTokenRecord, SessionRecord } from '../../lib/repositories/sessions';
import { listSessions, openSession, revokeSession, revokeUserSessions, userSessionRevocationItems } from '../../lib/sessions';
import { hashSecret, newRefreshToken } from '../../lib/tokens/refresh-token';
import { passwordLogin as login } from '../helpers/deps';
import { register } from '../../lib/usecases/register';
import { testClock, testDeps, uniqueEmail } from '../helpers/deps';
import { injectFault, throttling } from '../helpers/faults';

const PASSWORD = 'correct horse battery';
const origin = { ip: '203.0.113.9', userAgent: 'sessions-test' };
type Ctx = ReturnType<typeof testDeps>;

/** Writes `count` active sessions of `userId` straight into the table (bypassing the cap). */
async function seedSessions(ctx: Ctx, userId: string, count: number): Promise<string[]> {
  const now = ctx.clock.now();
  const sids: string[] = [];
  const nowSeconds = Math.floor(now.getTime() / 1000);
  for (let start = 0; start < count; start += 50) {
    const items = [];
    for (let i = start; i < Math.min(count, start + 50); i += 1) {
      const session: SessionRecord = {
        sid: randomUUID(), userId, createdAt: new Date(now.getTime() + i).toISOString(), lastUsedAt: now.toISOString(),
        expiresAt: nowSeconds + 3600 + i, userAgent: `agent-${i}`, ip: '192.0.2.1', revokedAt: undefined,
      };
      const t = newRefreshToken();
      const token: RefreshTokenRecord = {
        tokenId: t.id, sid: session.sid, userId, secretHash: hashSecret(t.secret), issuedAt: session.createdAt,
        expiresAt: nowSeconds + 600, sessionExpiresAt: session.expiresAt, consumedAt: undefined, successorId: undefined, email: 'x@example.com', roles: ['user'],
      };
      items.push(...ctx.deps.sessions.newSessionItems(session, token));
      sids.push(session.sid);
    }
    await ctx.deps.transactions.write(parts('session', items));
  }
  return sids;
}

async function revokedOf(ctx: Ctx, sids: string[]): Promise<string[]> {
  const sessions = await ctx.deps.sessions.getSessions(sids);
  return sessions.filter((s) => s.revokedAt !== undefined).map((s) => s.sid);
}

describe('the per-user session cap', () => {
  it('revokes the oldest session, on its own item, when a login opens one past MAX_SESSIONS_PER_USER', async () => {
    const clock = testClock();
    const ctx = testDeps({ env: { MAX_SESSIONS_PER_USER: '3' }, clock });
    const email = uniqueEmail('cap');
    const first = await register(ctx.deps, { email, password: PASSWORD, name: undefined }, origin);
    const [oldest] = await ctx.deps.sessions.listActiveSessionIds(first.user.id, clock.now());
    for (let i = 0; i < 2; i += 1) {
      clock.advance(1000);
      await login(ctx.deps, { email, password: PASSWORD }, origin);
    }
    expect(await ctx.deps.sessions.listActiveSessionIds(first.user.id, clock.now())).toHaveLength(3);
    clock.advance(1000);
    await login(ctx.deps, { email, password: PASSWORD }, origin);
    const active = await ctx.deps.sessions.listActiveSessionIds(first.user.id, clock.now());
    expect(active).toHaveLength(3);
    expect(active).not.toContain(oldest);
    expect(await ctx.deps.sessions.getSession(oldest!)).toMatchObject({ revokedAt: expect.any(String), revokedReason: 'session_limit' });
  });

  it('refuses a cap above 50, which would not leave room in a transaction', async () => {
    expect(() => testDeps({ env: { MAX_SESSIONS_PER_USER: '51' } })).toThrow(/MAX_SESSIONS_PER_USER/);
  });
});

describe('revoking', () => {
  it('revokes one session of its owner only: another user naming it changes nothing', async () => {
    const ctx = testDeps();
    const owner = randomUUID();
    const [sid] = await seedSessions(ctx, owner, 1);
    expect(await revokeSession(ctx.deps, sid!, ctx.clock.now(), 'session_deleted', { userId: randomUUID() })).toBe(false);
    expect(await revokedOf(ctx, [sid!])).toEqual([]);
    expect(await revokeSession(ctx.deps, sid!, ctx.clock.now(), 'session_deleted', { userId: owner })).toBe(true);
    expect(await ctx.deps.sessions.getSession(sid!)).toMatchObject({ revokedAt: expect.any(String), revokedReason: 'session_deleted' });
    expect(await revokeSession(ctx.deps, sid!, ctx.clock.now(), 'session_deleted', { userId: owner })).toBe(false);
  });

  it('revokes all of a user\'s sessions, or all but one, and no one else\'s', async () => {
    const ctx = testDeps();
    const user = randomUUID();
    const bystander = await seedSessions(ctx, randomUUID(), 2);
    const sids = await seedSessions(ctx, user, 5);
    const kept = sids[2]!;
    expect((await revokeUserSessions(ctx.deps, user, ctx.clock.now(), 'logout_others', { except: kept })).sort()).toEqual(sids.filter((s) => s !== kept).sort());
    expect(await ctx.deps.sessions.listActiveSessionIds(user, ctx.clock.now())).toEqual([kept]);
    await revokeUserSessions(ctx.deps, user, ctx.clock.now(), 'logout_global');
    expect((await revokedOf(ctx, sids)).sort()).toEqual([...sids].sort());
    expect(await revokedOf(ctx, bystander)).toEqual([]);
  });

  it('revokes a session the index does not list yet when it is named in include', async () => {
    const ctx = testDeps();
    const user = randomUUID();
    // A session item without the `owner` attribute is invisible to the byOwner index, like one
    // the index has not caught up with.
    const sid = randomUUID();
    await ctx.doc.send(new PutCommand({ TableName: ctx.config.sessionsTable, Item: { pk: `SESSION#${sid}`, sid, userId: user, expiresAt: Math.floor(Date.now() / 1000) + 600 } }));
    expect(await revokeUserSessions(ctx.deps, user, ctx.clock.now(), 'logout_global', { include: [sid] })).toEqual([sid]);
    expect(await revokedOf(ctx, [sid])).toEqual([sid]);
  });
});

describe('revocation items for a caller\'s transaction', () => {
  /** The caller's own write: a marker item, conditional so a test can make it fail. */
  const marker = (ctx: Ctx, id: string, mustNotExist = true) =>
    part('marker', {
      Put: { TableName: ctx.config.usersTable, Item: { pk: `TEST#${id}` }, ...(mustNotExist ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}) },
    });

  it('revokes every other session in the same transaction as the caller\'s write', async () => {
    const ctx = testDeps();
    const user = randomUUID();
    const sids = await seedSessions(ctx, user, 4);
    const { items, sessionIds } = await userSessionRevocationItems(ctx.deps, user, ctx.clock.now(), 'password_changed', { except: sids[0], tracked: [] });
    expect(sessionIds.sort()).toEqual(sids.slice(1).sort());
    expect(await revokedOf(ctx, sids)).toEqual([]);
    await ctx.deps.transactions.write([marker(ctx, randomUUID()), ...items]);
    expect((await revokedOf(ctx, sids)).sort()).toEqual(sids.slice(1).sort());
  });

  it('revokes nothing when the caller\'s transaction fails (all or nothing within the cap)', async () => {
    const ctx = testDeps();
    const user = randomUUID();
    const sids = await seedSessions(ctx, user, 50);
    const taken = randomUUID();
    await ctx.deps.transactions.write([marker(ctx, taken, false)]);
    const { items } = await userSessionRevocationItems(ctx.deps, user, ctx.clock.now(), 'password_reset', { tracked: [] });
    expect(items).toHaveLength(50);
    await expect(ctx.deps.transactions.write([marker(ctx, taken), ...items])).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(await revokedOf(ctx, sids)).toEqual([]);
  });

  it('past the room, revokes the overflow first in its own transactions and hands back only what fits', async () => {
    const ctx = testDeps();
    const user = randomUUID();
    const sids = await seedSessions(ctx, user, 130);
    const { items, sessionIds } = await userSessionRevocationItems(ctx.deps, user, ctx.clock.now(), 'account_deleted', { room: 40, tracked: [] });
    expect(sessionIds).toHaveLength(130);
    expect(items).toHaveLength(40);
    // The overflow is already revoked; the caller's transaction failing leaves exactly it revoked.
    const early = await revokedOf(ctx, sids);
    expect(early).toHaveLength(90);
    const taken = randomUUID();
    await ctx.deps.transactions.write([marker(ctx, taken, false)]);
    await expect(ctx.deps.transactions.write([marker(ctx, taken), ...items])).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(await revokedOf(ctx, sids)).toHaveLength(90);
    // A retry lists only the 40 still active and finishes the job.
    const retry = await userSessionRevocationItems(ctx.deps, user, ctx.clock.now(), 'account_deleted', { room: 40, tracked: [] });
    expect(retry.sessionIds).toHaveLength(40);
    await ctx.deps.transactions.write([marker(ctx, randomUUID()), ...retry.items]);
    expect(await revokedOf(ctx, sids)).toHaveLength(130);
  });

  it('refuses to write a transaction of more than 100 items instead of splitting it silently', async () => {
    const ctx = testDeps();
    const items = Array.from({ length: MAX_TRANSACTION_ITEMS + 1 }, () => marker(ctx, randomUUID()));
    await expect(ctx.deps.transactions.write(items)).rejects.toThrow(/at most 100 items/);
  });
});

describe('revoking past 100 sessions at once', () => {
  it('revokes all 130 sessions of a user (logout global past the cap)', async () => {
    const ctx = testDeps();
    const user = randomUUID();
    const sids = await seedSessions(ctx, user, 130);
    expect(await revokeUserSessions(ctx.deps, user, ctx.clock.now(), 'logout_global')).toHaveLength(130);
    expect(await revokedOf(ctx, sids)).toHaveLength(130);
    expect(await ctx.deps.sessions.listActiveSessionIds(user, ctx.clock.now())).toEqual([]);
  });

  it('on a failure part-way, leaves the overflow revoked (never fewer than before) and answers 503; a retry finishes', async () => {
    const ctx = testDeps();
    const user = randomUUID();
    const sids = await seedSessions(ctx, user, 130);
    injectFault(ctx.doc, { command: 'TransactWriteItemsCommand', error: throttling, skip: 1 });
    await expect(revokeUserSessions(ctx.deps, user, ctx.clock.now(), 'logout_global')).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(await revokedOf(ctx, sids)).toHaveLength(30);
    await revokeUserSessions(ctx.deps, user, ctx.clock.now(), 'logout_global');
    expect(await revokedOf(ctx, sids)).toHaveLength(130);
  });
});

describe('listing', () => {
  it('lists a user\'s active sessions newest first with what the API shows, leaving out revoked and expired ones', async () => {
    const clock = testClock();
    const ctx = testDeps({ clock });
    const user = randomUUID();
    const sids = await seedSessions(ctx, user, 3);
    await revokeSession(ctx.deps, sids[1]!, clock.now(), 'session_deleted');
    const listed = await listSessions(ctx.deps, user, clock.now());
    expect(listed.map((s) => s.sid)).toEqual([sids[2], sids[0]]);
    expect(listed[0]).toMatchObject({ userId: user, userAgent: 'agent-2', ip: '192.0.2.1', createdAt: expect.any(String), lastUsedAt: expect.any(String) });
    clock.advance(3700 * 1000);
    expect(await listSessions(ctx.deps, user, clock.now())).toEqual([]);
  });

  it('opens a session whose items the caller writes, with a working access token', async () => {
    const ctx = testDeps();
    const user = { id: randomUUID(), email: uniqueEmail('open'), roles: ['user'] };
    const opened = await openSession(ctx.deps, user, origin, ctx.clock.now(), authenticationOf(['pwd'], ctx.clock.now()));
    expect(await ctx.deps.sessions.getSession(opened.sid)).toBeUndefined();
    await ctx.deps.transactions.write(opened.items);
    expect(await ctx.deps.sessions.getSession(opened.sid)).toMatchObject({ userId: user.id, ip: origin.ip, userAgent: origin.userAgent });
    expect(opened.tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
  });
});

describe('stored times', () => {
  it('reads a refresh token consumed by an earlier version (consumedAt in epoch ms) as an ISO instant', async () => {
    const ctx = testDeps();
    const [sid] = await seedSessions(ctx, randomUUID(), 1);
    const tokenId = `legacy-${randomUUID()}`;
    const consumedAt = Date.UTC(2026, 0, 1, 12);
    await ctx.doc.send(new PutCommand({ TableName: ctx.config.sessionsTable, Item: { pk: `TOKEN#${tokenId}`, tokenId, sid, userId: 'u', secretHash: 'x', consumedAt, expiresAt: 2_000_000_000, sessionExpiresAt: 2_000_000_000, email: 'a@example.com', roles: [] } }));
    expect((await ctx.deps.sessions.getToken(tokenId))?.consumedAt).toBe('2026-01-01T12:00:00.000Z');
  });
});
