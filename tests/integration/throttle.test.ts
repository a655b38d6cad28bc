/**
 * Password-guessing attacks on login against DynamoDB Local, one attack per test: parallel
 * guesses, successes that would erase failures, lockout of the owner, unregistered emails,
 * unknown and rotating sources.
 */
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CONCURRENT_ATTEMPT_GUARD_MS, passwordAttemptKeys, reservePasswordAttempt } from '../../lib/throttle/password-attempts';
import { passwordLogin as login } from '../helpers/deps';
import { register } from '../../lib/usecases/register';
import { testClock, testDeps, uniqueEmail, type TestClock } from '../helpers/deps';

const PASSWORD = 'correct horse battery';
const WRONG = 'wrong password';
const attacker = { ip: '203.0.113.66', userAgent: 'attacker' };
const owner = { ip: '198.51.100.20', userAgent: 'owner' };

afterEach(() => {
  vi.restoreAllMocks();
});

async function account(options: { env?: Record<string, string>; clock?: TestClock } = {}) {
  const { deps } = testDeps(options);
  const email = uniqueEmail('throttle');
  const created = await register(deps, { email, password: PASSWORD, name: undefined }, owner);
  return { deps, email, userId: created.user.id };
}

/** The HTTP status each outcome maps to; any other error fails the test. */
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 200,
    (e: { code?: string }) => (e.code === 'invalid_credentials' ? 401 : e.code === 'too_many_attempts' ? 429 : Promise.reject(e)),
  );

const sourceCounter = (deps: ReturnType<typeof testDeps>['deps'], email: string, ip: string | undefined) =>
  deps.loginAttempts.get(passwordAttemptKeys({ email, ip })[0]!);

describe('parallel guessing', () => {
  it('20 parallel wrong passwords: at most 5 are checked, the other 15 answer 429', async () => {
    const { deps, email } = await account();
    const compare = vi.spyOn(bcrypt, 'compare');
    const statuses = await Promise.all(Array.from({ length: 20 }, () => outcome(login(deps, { email, password: WRONG }, attacker))));
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect(compare).toHaveBeenCalledTimes(5);
    expect((await sourceCounter(deps, email, attacker.ip))?.failures).toBe(5);
  });

  it('a right password racing 11 wrong ones never erases their failures', async () => {
    const { deps, email } = await account();
    const wave = [
      ...Array.from({ length: 11 }, () => outcome(login(deps, { email, password: WRONG }, attacker))),
      outcome(login(deps, { email, password: PASSWORD }, attacker)),
    ];
    const statuses = await Promise.all(wave);
    const checkedWrong = statuses.slice(0, 11).filter((s) => s === 401).length;
    expect(checkedWrong).toBeLessThanOrEqual(5);
    // Every checked wrong password is still counted after the wave, whatever the right one did.
    expect((await sourceCounter(deps, email, attacker.ip))?.failures).toBe(checkedWrong);
    // When the right one got a slot, its give-back can free exactly one more guess, no more.
    const next = await Promise.all(Array.from({ length: 5 }, () => outcome(login(deps, { email, password: WRONG }, attacker))));
    expect(checkedWrong + next.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
  });

  it('a success never erases failures reserved while its own password was being checked', async () => {
    const { deps, email, userId } = await account();
    const now = new Date();
    const subject = { email, accountId: userId, ip: attacker.ip };
    const right = await reservePasswordAttempt(deps, subject, now);
    for (let i = 0; i < 4; i += 1) await reservePasswordAttempt(deps, subject, now);
    await right.succeeded();
    expect((await sourceCounter(deps, email, attacker.ip))?.failures).toBe(4);
    expect((await deps.loginAttempts.get(passwordAttemptKeys(subject)[1]!))?.failures).toBe(4);
  });

  it('a success that starts after earlier failures finished forgives them; one racing them only gives back its own slot', async () => {
    const clock = testClock();
    const { deps, email } = await account({ clock });
    for (let i = 0; i < 3; i += 1) expect(await outcome(login(deps, { email, password: WRONG }, owner))).toBe(401);
    clock.advance(1_000);
    expect(await outcome(login(deps, { email, password: PASSWORD }, owner))).toBe(200);
    expect((await sourceCounter(deps, email, owner.ip))?.failures).toBe(3);
    clock.advance(CONCURRENT_ATTEMPT_GUARD_MS + 1_000);
    expect(await outcome(login(deps, { email, password: PASSWORD }, owner))).toBe(200);
    expect(await sourceCounter(deps, email, owner.ip)).toBeUndefined();
  });
});

describe('lockout of the owner', () => {
  it('an attacker hammering from one address does not lock out the owner signing in from another', async () => {
    const { deps, email } = await account();
    for (let wave = 0; wave < 3; wave += 1) {
      await Promise.all(Array.from({ length: 10 }, () => outcome(login(deps, { email, password: WRONG }, attacker))));
    }
    expect(await outcome(login(deps, { email, password: PASSWORD }, attacker))).toBe(429);
    expect(await outcome(login(deps, { email, password: PASSWORD }, owner))).toBe(200);
  });

  it('after the back-off, one address gets one guess per wait however many it sends at once', async () => {
    const clock = testClock();
    const { deps, email } = await account({ clock });
    await Promise.all(Array.from({ length: 5 }, () => outcome(login(deps, { email, password: WRONG }, attacker))));
    for (const wait of [1, 2, 4]) {
      expect(await outcome(login(deps, { email, password: WRONG }, attacker))).toBe(429);
      clock.advance(wait * 1000);
      const wave = await Promise.all(Array.from({ length: 10 }, () => outcome(login(deps, { email, password: WRONG }, attacker))));
      expect(wave.filter((s) => s === 401)).toHaveLength(1);
    }
  });

  it('attackers with many addresses hit the per-account ceiling; new sources are then refused until the window ends', async () => {
    const clock = testClock();
    const { deps, email } = await account({ clock, env: { LOGIN_ACCOUNT_MAX_FAILURES: '10' } });
    const bots = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
    for (const ip of bots) await Promise.all(Array.from({ length: 5 }, () => outcome(login(deps, { email, password: WRONG }, { ip, userAgent: 'bot' }))));
    const refused = await login(deps, { email, password: PASSWORD }, owner).catch((e) => e);
    expect(refused).toMatchObject({ code: 'too_many_attempts' });
    expect(refused.retryAfterSeconds).toBeGreaterThan(3000);
    // The refused attempt gave its per-source slot back: the owner's own bucket is untouched.
    expect(await sourceCounter(deps, email, owner.ip)).toMatchObject({ failures: 0 });
    clock.advance(3600 * 1000);
    expect(await outcome(login(deps, { email, password: PASSWORD }, owner))).toBe(200);
  });
});

describe('the owner\'s device allowance', () => {
  it('attack: 25 sources hold the account at its ceiling; the owner still signs in from a device that signed in before', async () => {
    const { deps, email } = await account();
    // The owner signed in from this device earlier and kept its device token.
    const earlier = await login(deps, { email, password: PASSWORD }, owner);
    expect(earlier.deviceToken).toMatch(/^[\w-]{43}$/);
    // 25 sources, 5 guesses each: 125 failures, past the ceiling of 100.
    const bots = Array.from({ length: 25 }, (_, i) => `192.0.2.${i + 1}`);
    for (const ip of bots) await Promise.all(Array.from({ length: 5 }, () => outcome(login(deps, { email, password: WRONG }, { ip, userAgent: 'bot' }))));
    // The ceiling holds for everyone else, the owner from a new place included...
    expect(await outcome(login(deps, { email, password: PASSWORD }, { ip: '198.51.100.99', userAgent: 'new place' }))).toBe(429);
    // ...but not for the owner's known device, which is answered as usual and needs no new token.
    const signedIn = await login(deps, { email, password: PASSWORD, deviceToken: earlier.deviceToken }, owner);
    expect(signedIn.user.email).toBe(email);
    expect(signedIn.deviceToken).toBeUndefined();
  });

  it('attack: a stolen device token is worth one source\'s allowance, then backs off like any source', async () => {
    const { deps, email } = await account();
    const { deviceToken } = await login(deps, { email, password: PASSWORD }, owner);
    const statuses = await Promise.all(Array.from({ length: 12 }, () => outcome(login(deps, { email, password: WRONG, deviceToken }, attacker))));
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });

  it('attack: a device token of another account buys no allowance on this one', async () => {
    const victim = await account({ env: { LOGIN_ACCOUNT_MAX_FAILURES: '10' } });
    const other = await register(victim.deps, { email: uniqueEmail('other'), password: PASSWORD, name: undefined }, attacker);
    const { deviceToken } = await login(victim.deps, { email: other.user.email, password: PASSWORD }, attacker);
    for (const ip of ['192.0.2.1', '192.0.2.2']) await Promise.all(Array.from({ length: 5 }, () => outcome(login(victim.deps, { email: victim.email, password: WRONG }, { ip, userAgent: 'bot' }))));
    // The ceiling (10) is reached; the foreign device token is treated as no token at all.
    expect(await outcome(login(victim.deps, { email: victim.email, password: PASSWORD, deviceToken }, attacker))).toBe(429);
  });
});

describe('emails nobody holds', () => {
  it('failures against an unregistered email do not throttle its future owner', async () => {
    const { deps } = testDeps();
    const email = uniqueEmail('future');
    const before = await Promise.all(Array.from({ length: 8 }, () => outcome(login(deps, { email, password: WRONG }, owner))));
    expect(before.filter((s) => s === 429)).toHaveLength(3);
    await register(deps, { email, password: PASSWORD, name: undefined }, owner);
    expect(await outcome(login(deps, { email, password: PASSWORD }, owner))).toBe(200);
  });

  it('an unknown email is throttled exactly like a known one, so 429 does not reveal which exist', async () => {
    const { deps, email } = await account();
    const ghost = uniqueEmail('ghost');
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      known.push(await outcome(login(deps, { email, password: WRONG }, attacker)));
      unknown.push(await outcome(login(deps, { email: ghost, password: WRONG }, attacker)));
    }
    expect(unknown).toEqual(known);
    expect(known).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });
});

describe('sources', () => {
  it('requests without a known source IP share one bucket instead of going unlimited', async () => {
    const { deps, email } = await account();
    const nowhere = { ip: undefined, userAgent: 'x' };
    const statuses = await Promise.all(Array.from({ length: 8 }, () => outcome(login(deps, { email, password: WRONG }, nowhere))));
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    expect((await sourceCounter(deps, email, undefined))?.failures).toBe(5);
  });

  it('the per-IP login limit counts requests without a known source IP in one shared bucket', async () => {
    const { deps } = testDeps({ env: { LOGIN_IP_LIMIT_PER_MINUTE: '3' } });
    // A fixed minute of its own, so other tests' unknown-source logins do not share this window.
    const clock = testClock(Date.UTC(2031, 0, 1, 0, 0, 5));
    deps.clock = clock.now;
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push(await outcome(login(deps, { email: uniqueEmail('spray'), password: WRONG }, { ip: undefined, userAgent: 'x' })));
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('an IPv6 attacker rotating addresses inside one /64 is one source', async () => {
    const { deps, email } = await account();
    const statuses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => outcome(login(deps, { email, password: WRONG }, { ip: `2001:db8:1:2::${(i + 1).toString(16)}`, userAgent: 'v6' }))),
    );
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
  });
});

describe('reuse by other password checks', () => {
  it('reservePasswordAttempt reads its own counters and refuses the 6th wrong attempt for a known account', async () => {
    const { deps, email, userId } = await account();
    const now = new Date();
    for (let i = 0; i < 5; i += 1) await reservePasswordAttempt(deps, { email, accountId: userId, ip: attacker.ip }, now);
    await expect(reservePasswordAttempt(deps, { email, accountId: userId, ip: attacker.ip }, now)).rejects.toMatchObject({ code: 'too_many_attempts' });
    // The owner elsewhere is unaffected, and a success gives its slot back.
    const attempt = await reservePasswordAttempt(deps, { email, accountId: userId, ip: owner.ip }, now);
    await attempt.succeeded();
    expect(await sourceCounter(deps, email, owner.ip)).toBeUndefined();
  });
});
