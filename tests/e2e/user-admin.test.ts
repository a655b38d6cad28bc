/**
 * What an operator's `npm run users` change does to a signed-in user, over HTTP on the shared
 * gateway: the CLI's functions (lib/usecases/user-admin.ts) change the same tables the gateway
 * reads. Each attack has its own test.
 */
import { describe, expect, it } from 'vitest';
import { deleteUser, disableUser, enableUser, setRoles, showUser } from '../../lib/usecases/user-admin';
import { testDeps, uniqueEmail } from '../helpers/deps';
import { bearer, call, expectDenied, post } from '../helpers/http';
import { latestToken } from '../helpers/mail';

const PASSWORD = 'correct horse battery';
/** The authorizer's default live cache (AUTHORIZER_LIVE_CACHE_SECONDS, 3 s) and some slack. */
const PAST_THE_LIVE_CACHE_MS = 3_500;
const ctx = testDeps();
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function register() {
  const email = uniqueEmail('operator-e2e');
  const answer = await post('/auth/register', { email, password: PASSWORD });
  expect(answer.status).toBe(201);
  return { email, id: answer.body.user.id as string, accessToken: answer.body.accessToken as string, refreshToken: answer.body.refreshToken as string };
}

describe('operator changes over HTTP', () => {
  it('a role removed by an admin is gone from the next refreshed token', async () => {
    const user = await register();
    await setRoles(ctx.deps, user.email, ['user', 'admin']);
    const promoted = await post('/auth/refresh', { refreshToken: user.refreshToken });
    expect(promoted.status).toBe(200);
    expect(claimsOf(promoted.body.accessToken)).toMatchObject({ roles: ['user', 'admin'] });
    await setRoles(ctx.deps, user.email, ['user']);
    const demoted = await post('/auth/refresh', { refreshToken: promoted.body.refreshToken });
    expect(demoted.status).toBe(200);
    expect(claimsOf(demoted.body.accessToken)).toMatchObject({ roles: ['user'], scope: 'role:user' });
  });

  it('a disabled user\'s refresh token is refused, its access token stops working, and its login answers like a wrong password', async () => {
    const user = await register();
    expect((await call('GET', '/auth/me', { headers: bearer(user.accessToken) })).status).toBe(200);
    await disableUser(ctx.deps, user.email);
    const refreshed = await post('/auth/refresh', { refreshToken: user.refreshToken });
    expect(refreshed.status).toBe(401);
    expect(refreshed.body.error.code).toBe('invalid_refresh_token');
    const right = await post('/auth/login', { email: user.email, password: PASSWORD });
    const wrong = await post('/auth/login', { email: user.email, password: 'not the password' });
    expect(right.status).toBe(401);
    expect(right.body).toEqual(wrong.body);
    await sleep(PAST_THE_LIVE_CACHE_MS);
    expectDenied(await call('GET', '/auth/me', { headers: bearer(user.accessToken) }), 'a disabled user\'s session');
  });

  it('a deleted user\'s refresh token cannot mint an access token, and the email registers again', async () => {
    const user = await register();
    await deleteUser(ctx.deps, user.id);
    const refreshed = await post('/auth/refresh', { refreshToken: user.refreshToken });
    expect(refreshed.status).toBe(401);
    expect(refreshed.body.error.code).toBe('invalid_refresh_token');
    const again = await post('/auth/register', { email: user.email, password: PASSWORD });
    expect(again.status).toBe(201);
    expect(again.body.user.id).not.toBe(user.id);
  });

  it('attack: the reset link of a disabled account is refused (400 invalid_token) and the email stays unverified', async () => {
    const user = await register();
    expect((await post('/auth/password/forgot', { email: user.email })).status).toBe(202);
    const token = await latestToken(user.email, 'reset-password');
    await disableUser(ctx.deps, user.email);
    const reset = await post('/auth/password/reset', { token, newPassword: 'an attacker password' });
    expect(reset.status).toBe(400);
    expect(reset.body.error.code).toBe('invalid_token');
    expect(await showUser(ctx.deps, user.id)).toMatchObject({ emailVerified: false });
    // Enabled again, the account still has its own password.
    await enableUser(ctx.deps, user.id);
    expect((await post('/auth/login', { email: user.email, password: 'an attacker password' })).status).toBe(401);
    expect((await post('/auth/login', { email: user.email, password: PASSWORD })).status).toBe(200);
  });
});
