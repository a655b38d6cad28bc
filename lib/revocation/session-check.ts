/**
 * Whether the session behind an access token is still live, as the authorizer asks it after the
 * signature check. This is what makes a logout (or any other revocation) reach access tokens
 * within seconds instead of at their `exp`.
 *
 * Per container, what was read is cached by `sid`, with the session's owner:
 * - "live" for `liveCacheMs` (3 s by default): a revocation is seen at most that long after it is
 *   readable, plus the gateway's own result cache in front of the authorizer;
 * - "revoked" (or unknown, expired) until the presented token's `exp`: a revocation is final, and
 *   that token can never be valid again anyway.
 * A token whose `sub` is not the session's owner is refused ("foreign") whether the state was just
 * read or comes from the cache: a cached "live" answers for its owner only.
 *
 * When DynamoDB cannot be read, a "live" seen at most `staleMs` ago is still honoured (so a blip
 * does not log everyone out), and anything else is refused: the check fails closed.
 *
 * A session missing from an eventually consistent read is re-read once with a strongly
 * consistent read, so a session created a moment ago is not refused by a lagging replica.
 */
import { systemClock, type Clock } from '../clock';
import type { SessionReader } from './session-reader';

export type SessionVerdict = 'live' | 'live-stale' | 'revoked' | 'unknown' | 'expired' | 'foreign';

export interface SessionCheckSettings {
  liveCacheMs: number;
  staleMs: number;
  /** Cache entries per container; the oldest are dropped past it. */
  maxEntries?: number;
  /** Defaults to the system clock; tests move their own. */
  clock?: Clock;
}

/** DynamoDB could not be read and no recent "live" covers the session: the caller must deny. */
export class SessionCheckUnavailable extends Error {
  constructor(options: { cause?: unknown } = {}) {
    super('session state unavailable', options);
    this.name = 'SessionCheckUnavailable';
  }
}

/**
 * What the container remembers of one session, whoever presented it: its owner and its state.
 * A session's owner never changes, so the verdict for a token naming another user (`foreign`) is
 * decided from the entry, never handed the owner's cached `live`.
 */
type Entry =
  | { live: true; owner: string; checkedAt: number }
  | { live: false; owner: string | undefined; until: number; verdict: Exclude<SessionVerdict, 'live' | 'live-stale'> };

export interface SessionCheckStats {
  reads: number;
  consistentReads: number;
  cacheHits: number;
}

export class SessionCheck {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly maxEntries: number;
  private readonly clock: Clock;
  readonly stats: SessionCheckStats = { reads: 0, consistentReads: 0, cacheHits: 0 };

  constructor(
    private readonly reader: SessionReader,
    private readonly settings: SessionCheckSettings,
  ) {
    this.clock = settings.clock ?? systemClock;
    this.maxEntries = settings.maxEntries ?? 20_000;
  }

  /**
   * The verdict for session `sid` of user `sub`, presented in a token expiring at `tokenExp`
   * (epoch seconds). A cached answer comes back as a plain value, without a promise: this runs in
   * front of every request, and most are answered from the cache. Otherwise a promise, rejected
   * with {@link SessionCheckUnavailable} when it cannot decide.
   */
  verdict(sid: string, sub: string, tokenExp: number): SessionVerdict | Promise<SessionVerdict> {
    const now = this.clock().getTime();
    const cached = this.entries.get(sid);
    if (cached && (cached.live ? now - cached.checkedAt < this.settings.liveCacheMs : now < cached.until)) {
      this.stats.cacheHits += 1;
      return judge(cached, sub);
    }
    return this.verdictAfterRead(sid, sub, tokenExp, now, cached);
  }

  private async verdictAfterRead(sid: string, sub: string, tokenExp: number, now: number, cached: Entry | undefined): Promise<SessionVerdict> {
    let fresh: Entry;
    try {
      fresh = await this.lookup(sid, tokenExp);
    } catch (err) {
      if (cached?.live && cached.owner === sub && now - cached.checkedAt < this.settings.staleMs) return 'live-stale';
      throw new SessionCheckUnavailable({ cause: err });
    }
    return judge(fresh, sub);
  }

  /** Drops every cached state (tests). */
  clear(): void {
    this.entries.clear();
  }

  /** One read per session at a time; every caller judges the shared result against its own `sub`. */
  private lookup(sid: string, tokenExp: number): Promise<Entry> {
    let pending = this.inflight.get(sid);
    if (!pending) {
      pending = this.read(sid, tokenExp).finally(() => this.inflight.delete(sid));
      this.inflight.set(sid, pending);
    }
    return pending;
  }

  private async read(sid: string, tokenExp: number): Promise<Entry> {
    this.stats.reads += 1;
    let state = await this.reader.read(sid, false);
    if (!state.found) {
      this.stats.consistentReads += 1;
      state = await this.reader.read(sid, true);
    }
    const nowMs = this.clock().getTime();
    // Kept a minute past exp so a token still inside the verifier's clock tolerance stays refused.
    const until = tokenExp * 1000 + 60_000;
    let entry: Entry;
    if (!state.found) entry = { live: false, owner: undefined, until, verdict: 'unknown' };
    // A session item without an owner is refused to everyone.
    else if (state.userId === undefined) entry = { live: false, owner: undefined, until, verdict: 'foreign' };
    else if (state.revoked) entry = { live: false, owner: state.userId, until, verdict: 'revoked' };
    else if (state.expiresAt === undefined || state.expiresAt * 1000 <= nowMs) entry = { live: false, owner: state.userId, until, verdict: 'expired' };
    else entry = { live: true, owner: state.userId, checkedAt: nowMs };
    this.remember(sid, entry);
    return entry;
  }

  private remember(sid: string, entry: Entry): void {
    this.entries.delete(sid); // re-insert at the end: Map order is our age order
    this.entries.set(sid, entry);
    if (this.entries.size > this.maxEntries) {
      const drop = Math.ceil(this.maxEntries / 10);
      let i = 0;
      for (const key of this.entries.keys()) {
        if (i++ >= drop) break;
        this.entries.delete(key);
      }
    }
  }
}

/** The verdict an entry gives the token of user `sub`: another user's session is `foreign`, whatever its state. */
function judge(entry: Entry, sub: string): SessionVerdict {
  if (entry.owner !== undefined && entry.owner !== sub) return 'foreign';
  return entry.live ? 'live' : entry.verdict;
}
