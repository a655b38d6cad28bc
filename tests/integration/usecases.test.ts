import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { SESSIONS_BY_OWNER_INDEX } from '../../infra/tables.js';
import { SecretsManagerKeySource } from '../../lib/keys/secrets-manager-source';
import { verifyAccessToken } from '../../lib/tokens/access-token';
import { parseRefreshToken } from '../../lib/tokens/refresh-token';
import { accessSettings } from '../../lib/tokens/access-settings';
import { passwordAttemptKeys } from '../../lib/throttle/password-attempts';
import { passwordLogin as login } from '../helpers/deps';
import { logout, revokeToken } from '../../lib/usecases/logout';
import { me } from '../../lib/usecases/me';
import { refresh } from '../../lib/usecases/refresh';
import { register } from '../../lib/usecases/register';
import { issued, testClock, testDeps, uniqueEmail } from '../helpers/deps';

const meta = { ip: '203.0.113.7', userAgent: 'vitest/1.0' };
const PASSWORD = 'correct horse battery';

async function signUp(deps: ReturnType<typeof testDeps>['deps'], email = uniqueEmail()) {
  return register(deps, { email, password: PASSWORD, name: 'Ada' }, meta);
}

describe('register', () => {
  it('creates the user with default roles and opens a session with working tokens', async () => {
    const { deps, doc, config } = testDeps();
    const result = await signUp(deps);
    expect(result.user).toMatchObject({ roles: ['user'], emailVerified: false, name: 'Ada' });
    expect(result).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    const claims = await verifyAccessToken(deps.keys, accessSettings(config), result.accessToken, deps.clock());
    expect(claims).toMatchObject({ sub: result.user.id, email: result.user.email, roles: ['user'] });
    const session = await deps.sessions.getSession(claims.sid);
    expect(session).toMatchObject({ userId: result.user.id, ip: meta.ip, userAgent: meta.userAgent });
    const stored = await doc.send(new GetCommand({ TableName: config.usersTable, Key: { pk: `USER#${result.user.id}` } }));
    expect(stored.Item?.passwordHash).toMatch(/^\$2[aby]\$04\$/);
    expect(JSON.stringify(result)).not.toContain('passwordHash');
  });

  it('answers 503 and writes nothing when Secrets Manager fails', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const { deps } = testDeps({ keySource: new SecretsManagerKeySource(new SecretsManagerClient({}), 'keys') });
    const email = uniqueEmail('nokeys');
    await expect(signUp(deps, email)).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(await deps.users.findByEmail(email)).toBeUndefined();
    sm.restore();
  });

  it('signs with keys fetched from Secrets Manager once, however many requests follow', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).resolves({ SecretString: readFileSync(inject('keysFile'), 'utf8') });
    const { deps } = testDeps({ keySource: new SecretsManagerKeySource(new SecretsManagerClient({}), 'keys') });
    await signUp(deps);
    await signUp(deps);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    sm.restore();
  });
});

describe('login', () => {
  it('opens a new session and records where it came from', async () => {
    const { deps } = testDeps();
    const { user } = await signUp(deps);
    const result = await login(deps, { email: user.email, password: PASSWORD }, { ip: '198.51.100.1', userAgent: 'curl/8' });
    expect(result.user.id).toBe(user.id);
    const claims = await verifyAccessToken(deps.keys, accessSettings(deps.config), result.accessToken, deps.clock());
    expect(await deps.sessions.getSession(claims.sid)).toMatchObject({ ip: '198.51.100.1', userAgent: 'curl/8' });
  });

  it('answers the same invalid_credentials for an unknown email and a wrong password', async () => {
    const { deps } = testDeps();
    const { user } = await signUp(deps);
    const wrong = await login(deps, { email: user.email, password: 'wrong password' }, meta).catch((e) => e);
    const unknown = await login(deps, { email: uniqueEmail('ghost'), password: PASSWORD }, meta).catch((e) => e);
    expect([wrong.constructor, wrong.code, wrong.message, wrong.details]).toEqual([unknown.constructor, unknown.code, unknown.message, unknown.details]);
    expect(wrong.code).toBe('invalid_credentials');
  });

  it('throttles after 5 failures, refuses even the right password during the wait, and forgives them on a later success', async () => {
    const clock = testClock();
    const { deps } = testDeps({ clock });
    const { user } = await signUp(deps);
    for (let i = 0; i < 5; i += 1) {
      await expect(login(deps, { email: user.email, password: 'nope nope' }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    }
    const throttled = await login(deps, { email: user.email, password: PASSWORD }, meta).catch((e) => e);
    expect(throttled).toMatchObject({ code: 'too_many_attempts' });
    expect(throttled.retryAfterSeconds).toBe(1);
    clock.advance(60_000);
    await expect(login(deps, { email: user.email, password: PASSWORD }, meta)).resolves.toMatchObject({ user: { id: user.id } });
    expect(await deps.loginAttempts.get(passwordAttemptKeys({ email: user.email, ip: meta.ip })[0]!)).toBeUndefined();
  });

  it('doubles the wait with each further failure', async () => {
    const clock = testClock();
    const { deps } = testDeps({ clock });
    const { user } = await signUp(deps);
    for (let i = 0; i < 7; i += 1) {
      // A minute apart, past every back-off: each failure is counted, none is throttled.
      await expect(login(deps, { email: user.email, password: 'nope nope' }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
      clock.advance(60_000);
    }
    // 7 failures → 2^(7-5) = 4 s after the last one
    clock.advance(-60_000);
    const throttled = await login(deps, { email: user.email, password: PASSWORD }, meta).catch((e) => e);
    expect(throttled).toMatchObject({ code: 'too_many_attempts', retryAfterSeconds: 4 });
  });
});

describe('refresh', () => {
  it('rotates: returns a new refresh token and consumes the old one', async () => {
    const { deps } = testDeps();
    const first = await signUp(deps);
    const second = await refresh(deps, first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.tokenType).toBe('Bearer');
    const old = await deps.sessions.getToken(parseRefreshToken(first.refreshToken)!.id);
    expect(old?.consumedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(old?.successorId).toBe(parseRefreshToken(second.refreshToken)!.id);
    await expect(refresh(deps, second.refreshToken)).resolves.toEqual(issued());
  });

  it('answers a retry within the grace window with the same successor', async () => {
    const clock = testClock();
    const { deps } = testDeps({ clock });
    const first = await signUp(deps);
    const a = await refresh(deps, first.refreshToken);
    clock.advance(9_000);
    const b = await refresh(deps, first.refreshToken);
    expect(b.refreshToken).toBe(a.refreshToken);
  });

  it('revokes the whole session when a rotated token is reused after the grace window', async () => {
    const clock = testClock();
    const { deps } = testDeps({ clock });
    const first = await signUp(deps);
    const second = await refresh(deps, first.refreshToken);
    clock.advance(11_000);
    await expect(refresh(deps, first.refreshToken)).rejects.toMatchObject({ code: 'refresh_token_reused' });
    // The legitimate successor dies with the session.
    await expect(refresh(deps, second.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });

  it('yields one successor when 20 refreshes of one token race', async () => {
    const { deps } = testDeps();
    const first = await signUp(deps);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => refresh(deps, first.refreshToken)));
    const tokens = new Set(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.refreshToken] : [])));
    expect(tokens.size).toBe(1);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('rejects malformed, unknown and tampered tokens as invalid_refresh_token', async () => {
    const { deps } = testDeps();
    const first = await signUp(deps);
    const parsed = parseRefreshToken(first.refreshToken)!;
    const tampered = `${parsed.id}.${parsed.secret.slice(0, -1)}${parsed.secret.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of ['nope', first.accessToken, tampered, `${'A'.repeat(22)}.${'B'.repeat(43)}`]) {
      await expect(refresh(deps, bad)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    }
  });

  it('rejects a refresh token past its own expiry even if TTL has not deleted it', async () => {
    const clock = testClock();
    const { deps } = testDeps({ clock });
    const first = await signUp(deps);
    clock.advance(604_800_000 + 1000);
    await expect(refresh(deps, first.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });

  it('never extends the session past its absolute lifetime', async () => {
    const clock = testClock();
    const { deps } = testDeps({ clock, env: { SESSION_MAX_AGE_SECONDS: '3600', REFRESH_TOKEN_TTL_SECONDS: '3000' } });
    const first = await signUp(deps);
    clock.advance(2_000_000);
    const second = await refresh(deps, first.refreshToken);
    const record = await deps.sessions.getToken(parseRefreshToken(second.refreshToken)!.id);
    const session = await deps.sessions.getSession(record!.sid);
    expect(record!.expiresAt).toBe(session!.expiresAt);
    clock.advance(1_700_000);
    await expect(refresh(deps, second.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });
});

describe('logout', () => {
  it('local: revokes the session of the refresh token', async () => {
    const { deps } = testDeps();
    const first = await signUp(deps);
    await logout(deps, { refreshToken: first.refreshToken, scope: 'local' }, undefined);
    await expect(refresh(deps, first.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });

  it('local: succeeds quietly for unknown, malformed and already revoked tokens', async () => {
    const { deps } = testDeps();
    const first = await signUp(deps);
    await logout(deps, { refreshToken: first.refreshToken, scope: 'local' }, undefined);
    await expect(logout(deps, { refreshToken: first.refreshToken, scope: 'local' }, undefined)).resolves.toBeUndefined();
    await expect(logout(deps, { refreshToken: 'garbage', scope: 'local' }, undefined)).resolves.toBeUndefined();
    await expect(logout(deps, { refreshToken: `${'A'.repeat(22)}.${'B'.repeat(43)}`, scope: 'local' }, undefined)).resolves.toBeUndefined();
  });

  it('global: revokes every session of the bearer; others: all but the bearer own', async () => {
    const { deps } = testDeps();
    const a = await signUp(deps);
    const b = await login(deps, { email: a.user.email, password: PASSWORD }, meta);
    const c = await login(deps, { email: a.user.email, password: PASSWORD }, meta);
    await logout(deps, { refreshToken: undefined, scope: 'others' }, c.accessToken);
    await expect(refresh(deps, a.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    await expect(refresh(deps, b.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    const c2 = await refresh(deps, c.refreshToken);
    await logout(deps, { refreshToken: undefined, scope: 'global' }, c2.accessToken);
    await expect(refresh(deps, c2.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    const live = await deps.sessions.listActiveSessionIds(a.user.id, new Date());
    expect(live).toEqual([]);
  });

  it('global and others demand a valid bearer token', async () => {
    const { deps } = testDeps();
    const a = await signUp(deps);
    await expect(logout(deps, { refreshToken: a.refreshToken, scope: 'global' }, undefined)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(logout(deps, { refreshToken: undefined, scope: 'others' }, 'not-a-jwt')).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(refresh(deps, a.refreshToken)).resolves.toEqual(issued());
  });
});

describe('refresh grace window bound to the client', () => {
  it('a stolen refresh token replayed from another client within the grace window revokes the session instead of sharing the successor', async () => {
    const clock = testClock();
    const { deps } = testDeps({ clock });
    const first = await signUp(deps);
    const owner = await refresh(deps, first.refreshToken, { userAgent: 'ExampleApp/3.1 (iPhone)', ip: '198.51.100.7' });
    clock.advance(2_000);
    await expect(refresh(deps, first.refreshToken, { userAgent: 'curl/8.5', ip: '198.51.100.7' })).rejects.toMatchObject({ code: 'refresh_token_reused' });
    // The thief got nothing, and the owner's successor died with the session: both must sign in again.
    await expect(refresh(deps, owner.refreshToken, { userAgent: 'ExampleApp/3.1 (iPhone)' })).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });

  it('the same client retrying within the grace window gets the same successor, even from a new IP address', async () => {
    const clock = testClock();
    const { deps } = testDeps({ clock });
    const first = await signUp(deps);
    const a = await refresh(deps, first.refreshToken, { userAgent: 'ExampleApp/3.1 (iPhone)', ip: '198.51.100.7' });
    clock.advance(2_000);
    const b = await refresh(deps, first.refreshToken, { userAgent: 'ExampleApp/3.1 (iPhone)', ip: '203.0.113.99' });
    expect(b.refreshToken).toBe(a.refreshToken);
  });
});

describe('revokeToken (POST /oauth2/revoke)', () => {
  it('a refresh token ends its session', async () => {
    const { deps } = testDeps();
    const first = await signUp(deps);
    await revokeToken(deps, first.refreshToken, meta);
    await expect(refresh(deps, first.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });

  it('an access token ends its session too, once verified', async () => {
    const { deps } = testDeps();
    const first = await signUp(deps);
    const other = await signUp(deps);
    await revokeToken(deps, first.accessToken, meta);
    await expect(refresh(deps, first.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    await expect(refresh(deps, other.refreshToken)).resolves.toEqual(issued());
  });

  it('an expired access token, garbage or a forged signature changes nothing and still succeeds', async () => {
    const clock = testClock();
    const { deps } = testDeps({ clock });
    const first = await signUp(deps);
    const [header, payload] = first.accessToken.split('.') as [string, string];
    await expect(revokeToken(deps, `${header}.${payload}.${'A'.repeat(342)}`, meta)).resolves.toBeUndefined();
    await expect(revokeToken(deps, 'a.b.c', meta)).resolves.toBeUndefined();
    await expect(revokeToken(deps, 'garbage', meta)).resolves.toBeUndefined();
    const { refreshToken } = await refresh(deps, first.refreshToken);
    clock.advance((deps.config.accessTokenTtlSeconds + 60) * 1000);
    await expect(revokeToken(deps, first.accessToken, meta)).resolves.toBeUndefined();
    await expect(refresh(deps, refreshToken)).resolves.toEqual(issued());
  });

  it('does not answer success while the key store is down: the client must retry (RFC 7009 §2.2.1)', async () => {
    const { deps: working } = testDeps();
    const first = await signUp(working);
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    try {
      const { deps } = testDeps({ keySource: new SecretsManagerKeySource(new SecretsManagerClient({}), 'keys') });
      await expect(revokeToken(deps, first.accessToken, meta)).rejects.toMatchObject({ code: 'service_unavailable' });
    } finally {
      sm.restore();
    }
    await expect(refresh(working, first.refreshToken)).resolves.toEqual(issued());
  });
});

describe('logout with the token of an ended session', () => {
  it('others: the access token of an already logged-out session cannot end the user\'s other sessions', async () => {
    const { deps } = testDeps();
    const a = await signUp(deps);
    const b = await login(deps, { email: a.user.email, password: PASSWORD }, meta);
    await logout(deps, { refreshToken: a.refreshToken, scope: 'local' }, undefined);
    // a's access token still has a valid signature and exp; its session is over.
    await expect(logout(deps, { refreshToken: undefined, scope: 'others' }, a.accessToken)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(logout(deps, { refreshToken: undefined, scope: 'global' }, a.accessToken)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(refresh(deps, b.refreshToken)).resolves.toEqual(issued());
  });

  it('global: the access token of a session revoked by reuse detection is refused', async () => {
    const clock = testClock();
    const { deps } = testDeps({ clock });
    const a = await signUp(deps);
    const other = await login(deps, { email: a.user.email, password: PASSWORD }, meta);
    await refresh(deps, a.refreshToken);
    clock.advance(60_000);
    await expect(refresh(deps, a.refreshToken)).rejects.toMatchObject({ code: 'refresh_token_reused' });
    await expect(logout(deps, { refreshToken: undefined, scope: 'global' }, a.accessToken)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(refresh(deps, other.refreshToken)).resolves.toEqual(issued());
  });
});

describe('me', () => {
  it('returns the public user and never the hash', async () => {
    const { deps } = testDeps();
    const a = await signUp(deps);
    const user = await me(deps, a.user.id);
    // The public user plus its federated identities (none for a registration).
    expect(user).toEqual({ ...a.user, identities: [] });
    expect(Object.keys(user)).not.toContain('passwordHash');
  });
});

describe('sessions index', () => {
  it('indexes sessions (not tokens) by owner', async () => {
    const { deps, doc, config } = testDeps();
    const a = await signUp(deps);
    const out = await doc.send(
      new QueryCommand({
        TableName: config.sessionsTable,
        IndexName: SESSIONS_BY_OWNER_INDEX,
        KeyConditionExpression: '#o = :o',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':o': a.user.id },
      }),
    );
    expect(out.Items?.map((i) => String(i.pk).split('#')[0])).toEqual(['SESSION']);
  });
});

describe('per-IP limits', () => {
  it('answers too_many_attempts once a source IP exceeds its login limit, whatever the account', async () => {
    const { deps } = testDeps({ env: { LOGIN_IP_LIMIT_PER_MINUTE: '3' } });
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
    const { user } = await signUp(deps);
    for (let i = 0; i < 3; i += 1) {
      await expect(login(deps, { email: user.email, password: PASSWORD }, { ip, userAgent: 'x' })).resolves.toEqual(issued(user.email));
    }
    const limited = await login(deps, { email: uniqueEmail('other'), password: PASSWORD }, { ip, userAgent: 'x' }).catch((e) => e);
    expect(limited).toMatchObject({ code: 'too_many_attempts' });
    await expect(login(deps, { email: user.email, password: PASSWORD }, { ip: '192.0.2.1', userAgent: 'x' })).resolves.toEqual(issued(user.email));
  });

  it('limits registrations per source IP', async () => {
    const { deps } = testDeps({ env: { REGISTER_IP_LIMIT_PER_MINUTE: '2' } });
    const ip = `203.0.113.${Math.floor(Math.random() * 250)}`;
    await register(deps, { email: uniqueEmail(), password: PASSWORD, name: undefined }, { ip, userAgent: 'x' });
    await register(deps, { email: uniqueEmail(), password: PASSWORD, name: undefined }, { ip, userAgent: 'x' });
    const email = uniqueEmail('third');
    await expect(register(deps, { email, password: PASSWORD, name: undefined }, { ip, userAgent: 'x' })).rejects.toMatchObject({ code: 'too_many_attempts' });
    expect(await deps.users.findByEmail(email)).toBeUndefined();
  });
});

describe('password hash upgrade', () => {
  it('rehashes with the new cost on the first successful login after BCRYPT_COST rises', async () => {
    const { deps: old } = testDeps({ env: { BCRYPT_COST: '4' } });
    const { user } = await signUp(old);
    const { deps: raised } = testDeps({ env: { BCRYPT_COST: '5' } });
    await login(raised, { email: user.email, password: PASSWORD }, meta);
    const stored = await raised.users.findById(user.id);
    expect(stored?.passwordHash).toMatch(/^\$2[aby]\$05\$/);
    await expect(login(raised, { email: user.email, password: PASSWORD }, meta)).resolves.toEqual(issued(user.email));
  });
});
