/**
 * The caller's own sessions (lib/usecases/user-sessions.ts) against DynamoDB Local: what the
 * listing shows, and that ending a session works only on the caller's own active sessions.
 */
import { describe, expect, it } from 'vitest';
import { passwordLogin as login } from '../helpers/deps';
import { register } from '../../lib/usecases/register';
import { endMySession, mySessions } from '../../lib/usecases/user-sessions';
import { testDeps, uniqueEmail } from '../helpers/deps';

const PASSWORD = 'correct horse battery';
const origin = { ip: '203.0.113.9', userAgent: 'user-sessions-test' };
const sidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;

async function signedIn(ctx: ReturnType<typeof testDeps>, email = uniqueEmail('mine')) {
  const first = await register(ctx.deps, { email, password: PASSWORD, name: undefined }, origin);
  const second = await login(ctx.deps, { email, password: PASSWORD }, { ...origin, ip: '198.51.100.4' });
  return { userId: first.user.id, first: sidOf(first.accessToken), second: sidOf(second.accessToken) };
}

describe('mySessions', () => {
  it('lists the caller\'s active sessions, the current one first and marked, with what identifies a device and nothing else', async () => {
    const ctx = testDeps();
    const me = await signedIn(ctx);
    await signedIn(ctx); // someone else
    const listed = await mySessions(ctx.deps, { userId: me.userId, sessionId: me.second });
    expect(listed.map((s) => [s.id, s.current])).toEqual([[me.second, true], [me.first, false]]);
    expect(listed[0]).toEqual({ id: me.second, createdAt: expect.any(String), lastUsedAt: expect.any(String), userAgent: 'user-sessions-test', ip: '198.51.100.4', current: true });
  });
});

const META = { ip: '198.51.100.4', userAgent: 'user-sessions-test' };

describe('endMySession', () => {
  it('ends one of the caller\'s sessions, which then leaves the listing', async () => {
    const ctx = testDeps();
    const me = await signedIn(ctx);
    await endMySession(ctx.deps, { userId: me.userId, sessionId: me.first }, me.second, META);
    expect((await ctx.deps.sessions.getSession(me.second))?.revokedAt).toEqual(expect.any(String));
    expect((await mySessions(ctx.deps, { userId: me.userId, sessionId: me.first })).map((s) => s.id)).toEqual([me.first]);
  });

  it('attack: ending another user\'s session by its id answers not_found and leaves it active', async () => {
    const ctx = testDeps();
    const attacker = await signedIn(ctx);
    const victim = await signedIn(ctx);
    await expect(endMySession(ctx.deps, { userId: attacker.userId, sessionId: attacker.first }, victim.first, META)).rejects.toMatchObject({ code: 'not_found' });
    expect((await ctx.deps.sessions.getSession(victim.first))?.revokedAt).toBeUndefined();
  });

  it('answers not_found for an unknown, an already ended and a malformed id', async () => {
    const ctx = testDeps();
    const me = await signedIn(ctx);
    const caller = { userId: me.userId, sessionId: me.first };
    await endMySession(ctx.deps, caller, me.second, META);
    for (const id of ['00000000-0000-4000-8000-000000000000', me.second, 'SESSION#x', '../x', '', undefined]) {
      await expect(endMySession(ctx.deps, caller, id, META)).rejects.toMatchObject({ code: 'not_found' });
    }
  });
});
