/**
 * User administration (lib/usecases/user-admin.ts, what `npm run users` runs) against DynamoDB
 * Local, with the real login and refresh use cases: what an operator's change does to the user's
 * tokens. Each attack has its own test.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { verifyAccessToken } from '../../lib/tokens/access-token';
import { accessSettings } from '../../lib/tokens/access-settings';
import { passwordLogin as login } from '../helpers/deps';
import { refresh } from '../../lib/usecases/refresh';
import { register } from '../../lib/usecases/register';
import { hashOneTimeToken } from '../../lib/tokens/one-time-token';
import { verifyEmail } from '../../lib/usecases/email-verification';
import { forgotPassword, resetPassword } from '../../lib/usecases/password';
import { deleteUser, disableUser, enableUser, listUsers, setRoles, showUser } from '../../lib/usecases/user-admin';
import { issued, testDeps, uniqueEmail } from '../helpers/deps';
import { latestToken } from '../helpers/mail';

const meta = { ip: '203.0.113.40', userAgent: 'vitest/1.0' };
const PASSWORD = 'correct horse battery';
type Ctx = ReturnType<typeof testDeps>;

async function signedUp(ctx: Ctx, tag = 'admin') {
  const email = uniqueEmail(tag);
  const result = await register(ctx.deps, { email, password: PASSWORD, name: 'Ada' }, meta);
  return { email, id: result.user.id, refreshToken: result.refreshToken };
}

const claimsOf = (ctx: Ctx, accessToken: string) => verifyAccessToken(ctx.deps.keys, accessSettings(ctx.config), accessToken, ctx.deps.clock());
const tokenIdOf = (refreshToken: string) => refreshToken.split('.')[0]!;

describe('roles', () => {
  it('a role removed by an admin is gone from the next refreshed token', async () => {
    const ctx = testDeps();
    const { email, refreshToken } = await signedUp(ctx);
    await setRoles(ctx.deps, email, ['user', 'admin']);
    const promoted = await refresh(ctx.deps, refreshToken);
    expect((await claimsOf(ctx, promoted.accessToken)).roles).toEqual(['user', 'admin']);

    await setRoles(ctx.deps, email, ['user']);
    const demoted = await refresh(ctx.deps, promoted.refreshToken);
    const claims = await claimsOf(ctx, demoted.accessToken);
    expect(claims.roles).toEqual(['user']);
    expect(claims.scope?.split(' ')).not.toContain('role:admin');
  });

  it('refuses role names that would break the authorizer context or the scope, and changes nothing', async () => {
    const ctx = testDeps();
    const { id } = await signedUp(ctx);
    for (const bad of [['admin,root'], ['two words'], ['"quoted"'], ['x'.repeat(65)], Array.from({ length: 21 }, (_, i) => `r${i}`)]) {
      await expect(setRoles(ctx.deps, id, bad)).rejects.toMatchObject({ code: 'invalid_request' });
    }
    expect((await showUser(ctx.deps, id)).roles).toEqual(['user']);
  });

  it('trims and de-duplicates roles, and allows none', async () => {
    const ctx = testDeps();
    const { id } = await signedUp(ctx);
    await expect(setRoles(ctx.deps, id, [' admin', 'admin', 'billing:read'])).resolves.toMatchObject({ roles: ['admin', 'billing:read'] });
    await expect(setRoles(ctx.deps, id, [])).resolves.toMatchObject({ roles: [] });
  });
});

describe('disabling', () => {
  it('a disabled user\'s refresh token is refused, and every session is revoked in the transaction that disables', async () => {
    const ctx = testDeps();
    const { email, id, refreshToken } = await signedUp(ctx);
    const second = await login(ctx.deps, { email, password: PASSWORD }, meta);
    const result = await disableUser(ctx.deps, email);
    expect(result).toMatchObject({ id, revokedSessions: 2, disabledAt: expect.any(String) });
    await expect(refresh(ctx.deps, refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    await expect(refresh(ctx.deps, second.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    const sids = await Promise.all([refreshToken, second.refreshToken].map(async (t) => (await ctx.deps.sessions.getToken(tokenIdOf(t)))!.sid));
    const sessions = await ctx.deps.sessions.getSessions(sids);
    expect(sessions.map((s) => (s as { revokedReason?: string }).revokedReason)).toEqual(['account_disabled', 'account_disabled']);
  });

  it('a disabled user\'s refresh token is refused even when only the flag was set (no session revoked)', async () => {
    const ctx = testDeps();
    const { id, refreshToken } = await signedUp(ctx);
    await ctx.doc.send(
      new UpdateCommand({ TableName: ctx.config.usersTable, Key: { pk: `USER#${id}` }, UpdateExpression: 'SET disabledAt = :at', ExpressionAttributeValues: { ':at': new Date().toISOString() } }),
    );
    await expect(refresh(ctx.deps, refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });

  it('a disabled user signing in with the right password gets the wrong-password answer, counted as a failure', async () => {
    const ctx = testDeps({ env: { LOGIN_MAX_FAILURES: '2' } });
    const { email } = await signedUp(ctx);
    await disableUser(ctx.deps, email);
    const right = await login(ctx.deps, { email, password: PASSWORD }, meta).catch((e: unknown) => e);
    const wrong = await login(ctx.deps, { email, password: 'not the password' }, meta).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: 'invalid_credentials' });
    expect(right).toMatchObject({ code: 'invalid_credentials', message: (wrong as Error).message });
    // Both counted: the third attempt is throttled, exactly as after two wrong passwords.
    await expect(login(ctx.deps, { email, password: PASSWORD }, meta)).rejects.toMatchObject({ code: 'too_many_attempts' });
  });

  it('a login racing the disabling of its account gets no session', async () => {
    const ctx = testDeps();
    const { email, id } = await signedUp(ctx);
    // The account is disabled after this login read the user and checked the password.
    const users = Object.create(ctx.deps.users) as typeof ctx.deps.users;
    users.findForSignIn = async (userId, alsoRead) => {
      const found = await ctx.deps.users.findForSignIn(userId, alsoRead);
      await disableUser(ctx.deps, id);
      return found;
    };
    await expect(login({ ...ctx.deps, users }, { email, password: PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(await ctx.deps.sessions.listActiveSessionIds(id, new Date())).toEqual([]);
  });

  it('a login with the old password racing a password reset opens no session', async () => {
    const ctx = testDeps();
    const { email, id } = await signedUp(ctx);
    // The reset commits a new hash after this login read the user and checked the OLD password.
    const users = Object.create(ctx.deps.users) as typeof ctx.deps.users;
    users.findForSignIn = async (userId, alsoRead) => {
      const found = await ctx.deps.users.findForSignIn(userId, alsoRead);
      await ctx.doc.send(
        new UpdateCommand({
          TableName: ctx.config.usersTable,
          Key: { pk: `USER#${id}` },
          UpdateExpression: 'SET passwordHash = :replacement',
          ExpressionAttributeValues: { ':replacement': '$2b$04$abcdefghijklmnopqrstuuJ6Mpxm8f2tR1m4B2gdKX0Gm7b2jzKfe' },
        }),
      );
      return found;
    };
    await expect(login({ ...ctx.deps, users }, { email, password: PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    const sessions = await ctx.deps.sessions.listActiveSessionIds(id, new Date());
    // Only the session registration opened, which the reset itself would revoke.
    expect(sessions).toHaveLength(1);
  });

  it('an enabled account signs in again, and the sessions the disabling revoked stay revoked', async () => {
    const ctx = testDeps();
    const { email, refreshToken } = await signedUp(ctx);
    await disableUser(ctx.deps, email);
    await expect(enableUser(ctx.deps, email)).resolves.toMatchObject({ disabledAt: null });
    await expect(login(ctx.deps, { email, password: PASSWORD }, meta)).resolves.toEqual(issued(email));
    await expect(refresh(ctx.deps, refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });
});

describe('deleting', () => {
  it('a deleted user\'s refresh token cannot mint an access token, and the email registers again as someone new', async () => {
    const ctx = testDeps();
    const { email, id, refreshToken } = await signedUp(ctx);
    await expect(deleteUser(ctx.deps, id)).resolves.toEqual({ id, email, revokedSessions: 1 });
    expect(await ctx.deps.users.findById(id, { consistent: true })).toBeUndefined();
    expect(await ctx.deps.users.findByEmail(email)).toBeUndefined();
    const sid = (await ctx.deps.sessions.getToken(tokenIdOf(refreshToken)))!.sid;
    expect(await ctx.deps.sessions.getSession(sid)).toMatchObject({ revokedAt: expect.any(String) });
    await expect(refresh(ctx.deps, refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    const again = await register(ctx.deps, { email, password: PASSWORD, name: undefined }, meta);
    expect(again.user.id).not.toBe(id);
    await expect(refresh(ctx.deps, refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });

  it('answers not_found for an unknown user and writes nothing', async () => {
    const ctx = testDeps();
    await expect(deleteUser(ctx.deps, uniqueEmail('nobody'))).rejects.toMatchObject({ code: 'not_found' });
    await expect(disableUser(ctx.deps, 'no-such-id')).rejects.toMatchObject({ code: 'not_found' });
    await expect(setRoles(ctx.deps, 'no-such-id', ['user'])).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('showing and listing', () => {
  it('shows a user by email (any case) or id, with its state and active sessions, never the password hash', async () => {
    const ctx = testDeps();
    const { email, id } = await signedUp(ctx);
    const byEmail = await showUser(ctx.deps, email.toUpperCase());
    expect(byEmail).toEqual({
      id, email, name: 'Ada', roles: ['user'], emailVerified: false, createdAt: expect.any(String), disabledAt: null, activeSessions: 1,
    });
    expect(await showUser(ctx.deps, id)).toEqual(byEmail);
    expect(JSON.stringify(byEmail)).not.toMatch(/\$2[aby]\$|passwordHash/);
  });

  it('lists every user across pages, without hashes', async () => {
    const ctx = testDeps();
    const mine = new Set<string>();
    for (let i = 0; i < 3; i += 1) mine.add((await signedUp(ctx, 'listed')).id);
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listUsers(ctx.deps, { limit: 2, cursor });
      for (const u of page.users) {
        expect(seen.has(u.id)).toBe(false);
        seen.add(u.id);
      }
      expect(JSON.stringify(page.users)).not.toMatch(/\$2[aby]\$|passwordHash/);
      cursor = page.next;
      pages += 1;
    } while (cursor);
    expect(pages).toBeGreaterThan(1);
    for (const id of mine) expect(seen.has(id)).toBe(true);
  });

  it('refuses a cursor that is not one it printed', async () => {
    const ctx = testDeps();
    await expect(listUsers(ctx.deps, { limit: 2, cursor: 'bm9wZQ' })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('pending links of a disabled account', () => {
  const NEW_PASSWORD = 'an attacker password';

  async function withLinks(ctx: Ctx) {
    const user = await signedUp(ctx, 'disabled-links');
    await forgotPassword(ctx.deps, { email: user.email }, meta);
    return { ...user, reset: await latestToken(user.email, 'reset-password'), verify: await latestToken(user.email, 'verify-email') };
  }

  it('attack: the reset link of a disabled account is refused (invalid_token) and the email stays unverified', async () => {
    const ctx = testDeps({ env: { FORGOT_MIN_RESPONSE_MS: '0' } });
    const user = await withLinks(ctx);
    await disableUser(ctx.deps, user.email);
    // Deleted with the disabling, in its transaction.
    expect(await ctx.deps.tokens.find('reset', hashOneTimeToken('reset', user.reset))).toBeUndefined();
    expect(await ctx.deps.tokens.find('verify', hashOneTimeToken('verify', user.verify))).toBeUndefined();
    await expect(resetPassword(ctx.deps, { token: user.reset, newPassword: NEW_PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(verifyEmail(ctx.deps, user.verify, meta)).rejects.toMatchObject({ code: 'invalid_token' });
    expect(await showUser(ctx.deps, user.id)).toMatchObject({ emailVerified: false });
    // Enabled again, the account has its own password, not the attacker's, and no live link.
    await enableUser(ctx.deps, user.id);
    await expect(login(ctx.deps, { email: user.email, password: NEW_PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    await expect(resetPassword(ctx.deps, { token: user.reset, newPassword: NEW_PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_token' });
    expect((await login(ctx.deps, { email: user.email, password: PASSWORD }, meta)).user.id).toBe(user.id);
  });

  it('attack: a reset link still pointed at when the account is disabled mid-reset is refused by the condition on the user item', async () => {
    const ctx = testDeps({ env: { FORGOT_MIN_RESPONSE_MS: '0' } });
    const user = await withLinks(ctx);
    // The disabling lands between the reset's read of the user and its transaction; a direct
    // write, so the link itself survives and only the reset's own condition stands in the way.
    const name = `disable-mid-reset-${Math.random()}`;
    ctx.doc.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') {
          ctx.doc.middlewareStack.remove(name);
          await ctx.doc.send(new UpdateCommand({ TableName: ctx.config.usersTable, Key: { pk: `USER#${user.id}` }, UpdateExpression: 'SET disabledAt = :at', ExpressionAttributeValues: { ':at': new Date().toISOString() } }));
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    await expect(resetPassword(ctx.deps, { token: user.reset, newPassword: NEW_PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_token' });
    expect(await showUser(ctx.deps, user.id)).toMatchObject({ emailVerified: false });
    expect(await ctx.deps.tokens.find('reset', hashOneTimeToken('reset', user.reset))).toBeDefined();
    // Still refused once disabled, before any write.
    await expect(resetPassword(ctx.deps, { token: user.reset, newPassword: NEW_PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(verifyEmail(ctx.deps, user.verify, meta)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('a disabled account is sent no new reset link', async () => {
    const ctx = testDeps({ env: { FORGOT_MIN_RESPONSE_MS: '0' } });
    const user = await signedUp(ctx, 'disabled-forgot');
    await disableUser(ctx.deps, user.id);
    await forgotPassword(ctx.deps, { email: user.email }, meta);
    expect((await ctx.deps.users.findById(user.id))?.resetTokenHash).toBeUndefined();
  });
});
