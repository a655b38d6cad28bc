/**
 * Throttling of password checks (login, and any endpoint that asks for the current password).
 *
 *   const attempt = await reservePasswordAttempt(deps, { email, accountId, ip }, now);
 *   if (!(await verifyPassword(password, hash))) throw invalidCredentials(); // already counted
 *   ...write what the success writes...
 *   await attempt.succeeded();                                            // never throws
 *
 * Each attempt is reserved BEFORE the password is checked, by a conditional write that refuses
 * past the allowance (see LoginAttemptsRepository), so of any number of parallel wrong passwords
 * no more than the allowance are checked; the rest answer 429 `too_many_attempts`. A reservation
 * counts as a failure until the attempt succeeds; a success gives back only its own reservation,
 * so it never erases failures that raced it.
 *
 * Two buckets per attempt, so failures from one client cannot lock the owner out elsewhere:
 * - per account and source (IPv4 address, IPv6 /64, or one shared bucket for requests without a
 *   known source): LOGIN_MAX_FAILURES attempts, then each further one waits
 *   LOGIN_BACKOFF_BASE_SECONDS * 2^(n - max) after the latest, up to LOGIN_BACKOFF_MAX_SECONDS;
 *   forgotten 24 h after the latest failure, or by a success that started after every earlier
 *   failure had finished;
 * - per account, all sources together: LOGIN_ACCOUNT_MAX_FAILURES within
 *   LOGIN_ACCOUNT_WINDOW_SECONDS, a ceiling only an attacker with many addresses reaches.
 * An attempt from a known device (one that signed in to this account before and presents its
 * device token, lib/tokens/device-token.ts) is reserved in that device's own bucket instead of
 * both, with the per-source policy: the owner keeps a few guesses of their own while attackers
 * hold the account at its ceiling, and a stolen device token is worth one source's allowance.
 * Counters belong to the account holding the email when they were written: failures against an
 * email nobody holds do not follow it into a later registration.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { tooManyAttempts } from '../errors';
import { sourceKey } from '../source-key';
import { describeError, log } from '../log';
import {
  attemptCounterKey,
  NO_ACCOUNT,
  toAttemptCounter,
  type AttemptCounter,
  type LoginAttemptsRepository,
  type Reservation,
} from '../repositories/login-attempts';

/** How long a per-source counter is remembered after its latest failure. */
export const FAILURE_MEMORY_SECONDS = 24 * 3600;
/**
 * A success forgives earlier failures only if the latest of them began this long before it:
 * longer than any function timeout, so every failure it forgives had finished.
 */
export const CONCURRENT_ATTEMPT_GUARD_MS = 30_000;

export interface ThrottleDeps {
  config: Config;
  loginAttempts: LoginAttemptsRepository;
}

export interface PasswordAttemptSubject {
  /** The normalised email the password is checked for. */
  email: string;
  /** Id of the user holding that email, or undefined when nobody does. */
  accountId: string | undefined;
  /** Client IP (see lib/http/client-ip.ts); undefined falls into the shared unknown bucket. */
  ip: string | undefined;
  /**
   * The id of a device that signed in to this account before and proved it (a genuine device
   * token of this account): its attempts count in a bucket of its own, and not against the
   * per-account ceiling, so the owner is not locked out by failures from elsewhere.
   */
  device?: string | undefined;
}

export interface PasswordAttempt {
  /** Call after a correct password: gives the reservation back. Never throws. */
  succeeded(): Promise<void>;
}

interface Bucket {
  kind: 'source' | 'account';
  pk: string;
}

const deviceBucket = (email: string, device: string): Bucket => ({ kind: 'source', pk: attemptCounterKey(`dev:${device}`, email) });

/**
 * The buckets an attempt is reserved in: its source's and the account's ceiling; or, from a known
 * device, that device's alone (the same per-source policy: LOGIN_MAX_FAILURES, then back-off).
 */
function buckets(subject: Pick<PasswordAttemptSubject, 'email' | 'ip' | 'device'>): Bucket[] {
  if (subject.device) return [deviceBucket(subject.email, subject.device)];
  return [
    { kind: 'source', pk: attemptCounterKey(`src:${sourceKey(subject.ip)}`, subject.email) },
    { kind: 'account', pk: attemptCounterKey('account', subject.email) },
  ];
}

/**
 * Keys of the counters an attempt may read, so a caller can fetch them with its own batch: the
 * source's and the account's, and the presented device's (`device`, not yet known to be genuine).
 */
export function passwordAttemptKeys(subject: Pick<PasswordAttemptSubject, 'email' | 'ip' | 'device'>): string[] {
  const keys = buckets({ ...subject, device: undefined }).map((b) => b.pk);
  if (subject.device) keys.push(deviceBucket(subject.email, subject.device).pk);
  return keys;
}

export function backoffSeconds(config: Config, failures: number): number {
  const exponent = Math.min(Math.max(failures - config.loginMaxFailures, 0), 30);
  return Math.min(config.loginBackoffBaseSeconds * 2 ** exponent, config.loginBackoffMaxSeconds);
}

type Plan = { reserve: Reservation; expiresAt: number | undefined } | { refuseMs: number };

/** What to do with a bucket, given its counter as last read. Pure: the policy depends on nothing else (its effects are tested against DynamoDB Local in tests/integration/throttle.test.ts). */
export function planReservation(
  kind: Bucket['kind'],
  counter: AttemptCounter | undefined,
  account: string,
  config: Config,
  nowMs: number,
): Plan {
  const nowSeconds = Math.floor(nowMs / 1000);
  const live = counter && counter.expiresAt > nowSeconds && counter.account === account;
  if (kind === 'source') {
    const expiresAt = nowSeconds + FAILURE_MEMORY_SECONDS;
    if (!live) return { reserve: { kind: 'start' }, expiresAt };
    if (counter.failures < config.loginMaxFailures) return { reserve: { kind: 'count', allowance: config.loginMaxFailures }, expiresAt };
    const waitMs = counter.lastAt + backoffSeconds(config, counter.failures) * 1000 - nowMs;
    if (waitMs > 0) return { refuseMs: waitMs };
    return { reserve: { kind: 'after', seenId: counter.lastId }, expiresAt };
  }
  if (!live) return { reserve: { kind: 'start' }, expiresAt: nowSeconds + config.loginAccountWindowSeconds };
  if (counter.failures < config.loginAccountMaxFailures) {
    return { reserve: { kind: 'count', allowance: config.loginAccountMaxFailures }, expiresAt: undefined };
  }
  return { refuseMs: counter.expiresAt * 1000 - nowMs };
}

/** Retry-After for a reservation a racing request beat us to; we did not see the new state. */
function racedRetryMs(kind: Bucket['kind'], counter: AttemptCounter | undefined, config: Config, nowMs: number): number {
  if (kind === 'account') return counter ? counter.expiresAt * 1000 - nowMs : config.loginAccountWindowSeconds * 1000;
  return backoffSeconds(config, (counter?.failures ?? config.loginMaxFailures - 1) + 1) * 1000;
}

/** Reserves one attempt in one bucket; returns the reservation id, or the wait when refused. */
async function reserveIn(
  deps: ThrottleDeps,
  bucket: Bucket,
  counter: AttemptCounter | undefined,
  account: string,
  nowMs: number,
): Promise<{ id: string } | { refuseMs: number }> {
  let plan = planReservation(bucket.kind, counter, account, deps.config, nowMs);
  const id = randomUUID();
  for (let attempt = 0; attempt < 2; attempt += 1) {
    if ('refuseMs' in plan) return plan;
    const reserved = await deps.loginAttempts.reserve({ pk: bucket.pk, account, reservation: plan.reserve, id, nowMs, expiresAt: plan.expiresAt });
    if (reserved) return { id };
    // Someone started the counter between our read and our write: count within it instead.
    if (plan.reserve.kind !== 'start') break;
    const allowance = bucket.kind === 'source' ? deps.config.loginMaxFailures : deps.config.loginAccountMaxFailures;
    plan = { reserve: { kind: 'count', allowance }, expiresAt: bucket.kind === 'source' ? plan.expiresAt : undefined };
  }
  return { refuseMs: racedRetryMs(bucket.kind, counter, deps.config, nowMs) };
}

/**
 * Reserves a password check for `subject`, or throws 429 `too_many_attempts` (with Retry-After).
 * `read` may carry the counters already fetched under {@link passwordAttemptKeys} (login reads
 * them in its one BatchGetItem); without it they are read here.
 */
export async function reservePasswordAttempt(
  deps: ThrottleDeps,
  subject: PasswordAttemptSubject,
  now: Date,
  read?: ReadonlyMap<string, Record<string, unknown>>,
): Promise<PasswordAttempt> {
  const nowMs = now.getTime();
  const account = subject.accountId ?? NO_ACCOUNT;
  const [source, perAccount] = buckets(subject) as [Bucket, Bucket | undefined];
  const items = read ?? (await deps.loginAttempts.getMany([source.pk, ...(perAccount ? [perAccount.pk] : [])]));
  const refused = (bucket: Bucket, waitMs: number) => {
    log.warn('password attempt throttled', {
      event: 'login_throttled',
      bucket: bucket.kind,
      userId: subject.accountId,
    });
    return tooManyAttempts(waitMs / 1000);
  };

  // The per-source bucket first: an attacker refused there never touches the account's ceiling.
  const sourceCounter = toAttemptCounter(items.get(source.pk));
  const inSource = await reserveIn(deps, source, sourceCounter, account, nowMs);
  if ('refuseMs' in inSource) throw refused(source, inSource.refuseMs);
  if (perAccount) {
    const inAccount = await reserveIn(deps, perAccount, toAttemptCounter(items.get(perAccount.pk)), account, nowMs);
    if ('refuseMs' in inAccount) {
      await deps.loginAttempts.refund(source.pk, account);
      throw refused(perAccount, inAccount.refuseMs);
    }
  }

  return {
    async succeeded() {
      const results = await Promise.allSettled([
        deps.loginAttempts
          .forgive(source.pk, inSource.id, nowMs - CONCURRENT_ATTEMPT_GUARD_MS)
          .then((forgiven) => (forgiven ? undefined : deps.loginAttempts.refund(source.pk, account))),
        ...(perAccount ? [deps.loginAttempts.refund(perAccount.pk, account)] : []),
      ]);
      // The caller's success stands; a counter left one too high only errs on the safe side.
      for (const r of results) {
        if (r.status === 'rejected') log.warn('could not give back a password attempt', { error: describeError(r.reason) });
      }
    },
  };
}
