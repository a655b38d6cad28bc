/**
 * Security properties of the use cases against DynamoDB Local, one attack or defence per test.
 */
import { withRequestId } from '../../lib/log';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import bcrypt from 'bcryptjs';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { SecretsManagerKeySource } from '../../lib/keys/secrets-manager-source';
import { costOf } from '../../lib/passwords';
import { passwordAttemptKeys } from '../../lib/throttle/password-attempts';
import { passwordLogin as login } from '../helpers/deps';
import { logout } from '../../lib/usecases/logout';
import { refresh } from '../../lib/usecases/refresh';
import { register } from '../../lib/usecases/register';
import { parseLogin } from '../../lib/validation';
import { issued, testClock, testDeps, uniqueEmail } from '../helpers/deps';

const meta = { ip: '192.0.2.10', userAgent: 'security' };
const PASSWORD = 'correct horse battery';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('brute force', () => {
  it('counts every one of 50 concurrent wrong logins', async () => {
    const { deps } = testDeps({ env: { LOGIN_MAX_FAILURES: '1000' } });
    const email = uniqueEmail('brute');
    await register(deps, { email, password: PASSWORD, name: undefined }, meta);
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => login(deps, { email, password: 'wrong password' }, meta)));
    expect(results.every((r) => r.status === 'rejected' && r.reason.code === 'invalid_credentials')).toBe(true);
    expect((await deps.loginAttempts.get(passwordAttemptKeys({ email, ip: meta.ip })[0]!))?.failures).toBe(50);
  });

  it('an unknown email runs a real bcrypt compare against a valid hash of the configured cost', async () => {
    const { deps } = testDeps({ env: { BCRYPT_COST: '6' } });
    const compare = vi.spyOn(bcrypt, 'compare');
    await expect(login(deps, { email: uniqueEmail('nobody'), password: PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(compare).toHaveBeenCalledTimes(1);
    const hash = compare.mock.calls[0]![1] as string;
    expect(costOf(hash)).toBe(6);
    expect(bcrypt.getRounds(hash)).toBe(6);
    expect(hash).toMatch(/^\$2b\$06\$[./A-Za-z0-9]{53}$/);
  });

  it('attack: bcrypt key cycling: a NUL-cycled password does not sign in, even past validation', async () => {
    const { deps } = testDeps();
    const email = uniqueEmail('nul');
    await register(deps, { email, password: 'abcdefgh', name: undefined }, meta);
    // bcrypt's key is the bytes and a NUL, repeated: this is the key of `abcdefgh` itself.
    const cycled = 'abcdefgh\u0000abcdefgh';
    expect(() => parseLogin({ email, password: cycled })).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    // A caller that skipped validation still gets no session: such a password never verifies.
    await expect(login(deps, { email, password: cycled }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    await expect(register(deps, { email: uniqueEmail('nul'), password: cycled, name: undefined }, meta)).rejects.toThrow(/control character/);
    await expect(login(deps, { email, password: 'abcdefgh' }, meta)).resolves.toEqual(issued(email));
  });
});

describe('races', () => {
  it('logout racing refresh leaves no usable refresh token', async () => {
    const { deps } = testDeps();
    const first = await register(deps, { email: uniqueEmail('race'), password: PASSWORD, name: undefined }, meta);
    const [refreshed] = await Promise.allSettled([
      refresh(deps, first.refreshToken),
      logout(deps, { refreshToken: first.refreshToken, scope: 'local' }, undefined),
    ]);
    const candidates = [first.refreshToken];
    if (refreshed.status === 'fulfilled') candidates.push(refreshed.value.refreshToken);
    for (const token of candidates) {
      await expect(refresh(deps, token)).rejects.toMatchObject({ code: expect.stringMatching(/invalid_refresh_token|refresh_token_reused/) });
    }
  });
});

describe('key set failures', () => {
  const secret = () => readFileSync(inject('keysFile'), 'utf8');
  for (const [label, setup] of [
    ['the secret is missing', (m: ReturnType<typeof mockClient>) => m.on(GetSecretValueCommand).rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }))],
    ['access is denied', (m: ReturnType<typeof mockClient>) => m.on(GetSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))],
    ['the secret is malformed', (m: ReturnType<typeof mockClient>) => m.on(GetSecretValueCommand).resolves({ SecretString: '{"keys": "nope"' })],
    ['the secret is empty', (m: ReturnType<typeof mockClient>) => m.on(GetSecretValueCommand).resolves({ SecretString: '' })],
    ['the refresh key is weak', (m: ReturnType<typeof mockClient>) => m.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ...JSON.parse(secret()), refreshTokenKey: 'c2hvcnQ' }) })],
  ] as const) {
    it(`refuses to sign when ${label}, writes nothing, logs why, and does not cache the failure`, async () => {
      const sm = mockClient(SecretsManagerClient);
      setup(sm as never);
      const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      const { deps } = testDeps({ keySource: new SecretsManagerKeySource(new SecretsManagerClient({}), 'auth/keys') });
      const email = uniqueEmail('keys');
      await expect(register(deps, { email, password: PASSWORD, name: undefined }, meta)).rejects.toMatchObject({ code: 'service_unavailable' });
      expect(await deps.users.findByEmail(email)).toBeUndefined();
      expect(logged.mock.calls.map((c) => String(c[0])).join('\n')).toContain('cannot load the signing key set');
      // Once the secret is fixed, the next request works: the failure was not cached.
      sm.reset();
      sm.on(GetSecretValueCommand).resolves({ SecretString: secret() });
      await expect(register(deps, { email, password: PASSWORD, name: undefined }, meta)).resolves.toEqual(issued(email));
      sm.restore();
    });
  }
});

describe('security logs', () => {
  it('record failures, throttling, reuse and revocation with ids, and never a token, password or hash', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
    vi.spyOn(console, 'log').mockImplementation(capture);
    vi.spyOn(console, 'error').mockImplementation(capture);
    vi.stubEnv('LOG_LEVEL', 'debug');
    const clock = testClock();
    const { deps } = testDeps({ clock });
    const email = uniqueEmail('logs');
    const first = await register(deps, { email, password: PASSWORD, name: undefined }, meta);
    for (let i = 0; i < 5; i += 1) {
      // As the HTTP middleware does for a request: every line of the login carries its id.
      await expect(withRequestId('req-1', () => login(deps, { email, password: 'wrong password 1' }, meta))).rejects.toMatchObject({ code: 'invalid_credentials' });
    }
    await expect(login(deps, { email, password: PASSWORD }, meta)).rejects.toMatchObject({ code: 'too_many_attempts' });
    clock.advance(60_000);
    const second = await login(deps, { email, password: PASSWORD }, meta);
    const rotated = await refresh(deps, second.refreshToken);
    clock.advance(60_000);
    await expect(refresh(deps, second.refreshToken)).rejects.toMatchObject({ code: 'refresh_token_reused' });
    await logout(deps, { refreshToken: first.refreshToken, scope: 'local' }, undefined);
    vi.unstubAllEnvs();

    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const kinds = new Set(events.map((e) => e.event));
    for (const kind of ['login_failed', 'login_throttled', 'refresh_token_reused', 'session_revoked']) expect(kinds).toContain(kind);
    const reuse = events.find((e) => e.event === 'refresh_token_reused')!;
    expect(reuse).toMatchObject({ userId: first.user.id, sessionId: expect.any(String) });
    expect(events.find((e) => e.event === 'login_failed')).toMatchObject({ requestId: 'req-1', userId: first.user.id });
    const all = lines.join('\n');
    for (const secretValue of [PASSWORD, 'wrong password 1', first.refreshToken, first.accessToken, second.refreshToken, rotated.refreshToken, rotated.accessToken]) {
      expect(all).not.toContain(secretValue);
    }
    expect(all).not.toMatch(/\$2[aby]\$\d\d\$/);
    expect(all).not.toContain(first.refreshToken.split('.')[1]!);
  });
});

describe('account enumeration', () => {
  it('an unknown email makes the same DynamoDB requests as a wrong password for a known one', async () => {
    const { deps, doc } = testDeps();
    const email = uniqueEmail('enum');
    await register(deps, { email, password: PASSWORD, name: undefined }, meta);
    const commands: string[] = [];
    doc.middlewareStack.add((next, context) => async (args) => {
      commands.push(String(context.commandName));
      return next(args);
    }, { step: 'initialize', name: 'recordCommands' });
    // The failed-login event is sent without being awaited: let it start before counting.
    const settle = () => new Promise((r) => setTimeout(r, 200));
    await expect(login(deps, { email, password: 'wrong password' }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    await settle();
    const known = commands.splice(0);
    await expect(login(deps, { email: uniqueEmail('ghost'), password: 'wrong password' }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    await settle();
    // The per-source reservation and the user and factors read run side by side: compare as multisets.
    expect([...commands].sort()).toEqual([...known].sort());
    // The event write too: a known account's stores the event, an unknown one's stores nothing.
    expect([...known].sort()).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand', 'PutItemCommand', 'UpdateItemCommand', 'UpdateItemCommand']);
  });
});
