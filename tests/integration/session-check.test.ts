/**
 * The authorizer's session check against DynamoDB Local, through the same signed-fetch reader as
 * production: verdicts, the per-container cache and its bounds, and failing closed when DynamoDB
 * cannot be read. Time is a test clock; DynamoDB faults come from a proxy in front of it.
 */
import { parts } from '../../lib/repositories/transactions';
import { systemClock } from '../../lib/clock';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { authorize, type AuthorizerDeps } from '../../lib/authorizer';
import { SessionCheck, SessionCheckUnavailable } from '../../lib/revocation/session-check';
import { SignedFetchSessionReader } from '../../lib/revocation/session-reader';
import type { SessionRecord } from '../../lib/repositories/sessions';
import { signAccessToken } from '../../lib/tokens/access-token';
import { newRefreshToken, hashSecret } from '../../lib/tokens/refresh-token';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { testDeps } from '../helpers/deps';

const { deps, config } = testDeps();
const repo = deps.sessions;
const LIVE_MS = 3000;
const STALE_MS = 5000;
let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy(inject('dynamoEndpoint'));
});
afterAll(async () => {
  await proxy.close();
});

async function newSession(overrides: Partial<SessionRecord> = {}): Promise<SessionRecord> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const s: SessionRecord = {
    sid: randomUUID(),
    userId: randomUUID(),
    createdAt: new Date().toISOString(),
    lastUsedAt: new Date().toISOString(),
    expiresAt: nowSeconds + 3600,
    userAgent: 'vitest',
    ip: '127.0.0.1',
    revokedAt: undefined,
    ...overrides,
  };
  const t = newRefreshToken();
  await deps.transactions.write(
    parts('session', repo.newSessionItems(s, {
      tokenId: t.id, sid: s.sid, userId: s.userId, secretHash: hashSecret(t.secret), issuedAt: s.createdAt,
      expiresAt: nowSeconds + 600, sessionExpiresAt: s.expiresAt, consumedAt: undefined, successorId: undefined, email: 'a@example.com', roles: ['user'],
    })),
  );
  return s;
}

function checker(endpoint = proxy.url) {
  let now = Date.now();
  const check = new SessionCheck(new SignedFetchSessionReader({ table: config.sessionsTable, endpoint, timeoutMs: 2000 }), { liveCacheMs: LIVE_MS, staleMs: STALE_MS, clock: () => new Date(now) });
  return { check, advance: (ms: number) => void (now += ms) };
}

const exp = () => Math.floor(Date.now() / 1000) + 900;

describe('SessionCheck with the signed-fetch reader on DynamoDB Local', () => {
  it('answers live for an active session and caches it for the live window only', async () => {
    const s = await newSession();
    const { check, advance } = checker();
    expect(await check.verdict(s.sid, s.userId, exp())).toBe('live');
    expect(await check.verdict(s.sid, s.userId, exp())).toBe('live');
    expect(check.stats).toMatchObject({ reads: 1, cacheHits: 1 });
    advance(LIVE_MS);
    expect(await check.verdict(s.sid, s.userId, exp())).toBe('live');
    expect(check.stats.reads).toBe(2);
  });

  it('refuses a revoked session once the live window has passed, and keeps refusing without reading again', async () => {
    const s = await newSession();
    const { check, advance } = checker();
    expect(await check.verdict(s.sid, s.userId, exp())).toBe('live');
    await repo.revoke(s.sid, new Date(), 'logout');
    advance(LIVE_MS);
    expect(await check.verdict(s.sid, s.userId, exp())).toBe('revoked');
    advance(60_000);
    expect(await check.verdict(s.sid, s.userId, exp())).toBe('revoked');
    expect(check.stats.reads).toBe(2);
  });

  it('refuses an unknown session after a strongly consistent second read', async () => {
    const { check } = checker();
    const before = proxy.requests.get('GetItem') ?? 0;
    expect(await check.verdict(randomUUID(), randomUUID(), exp())).toBe('unknown');
    expect(check.stats).toMatchObject({ reads: 1, consistentReads: 1 });
    expect((proxy.requests.get('GetItem') ?? 0) - before).toBe(2);
  });

  it('refuses a token whose sid belongs to another user (a sid pasted into a forged-looking but signed token)', async () => {
    const s = await newSession();
    const { check } = checker();
    expect(await check.verdict(s.sid, randomUUID(), exp())).toBe('foreign');
  });

  it('attack: a token naming another user with a sid whose live state is cached is refused (the cache answers for the owner only)', async () => {
    const s = await newSession();
    const { check } = checker();
    expect(await check.verdict(s.sid, s.userId, exp())).toBe('live');
    expect(await check.verdict(s.sid, randomUUID(), exp())).toBe('foreign');
    // The owner's own token is still served from the same cached entry.
    expect(await check.verdict(s.sid, s.userId, exp())).toBe('live');
    expect(check.stats).toMatchObject({ reads: 1, cacheHits: 2 });
  });

  it("attack: a token naming another user sent together with the owner's shares the read but not the verdict", async () => {
    const s = await newSession();
    const { check } = checker();
    const [owner, other] = await Promise.all([check.verdict(s.sid, s.userId, exp()), check.verdict(s.sid, randomUUID(), exp())]);
    expect([owner, other]).toEqual(['live', 'foreign']);
    expect(check.stats.reads).toBe(1);
  });

  it('refuses a session past its absolute lifetime even before TTL deletes it', async () => {
    const s = await newSession({ expiresAt: Math.floor(Date.now() / 1000) - 5 });
    const { check } = checker();
    expect(await check.verdict(s.sid, s.userId, exp())).toBe('expired');
  });

  it('fails closed when DynamoDB is unreachable and nothing was seen live', async () => {
    const s = await newSession();
    const { check } = checker('http://127.0.0.1:9');
    await expect(check.verdict(s.sid, s.userId, exp())).rejects.toBeInstanceOf(SessionCheckUnavailable);
  });

  for (const mode of ['error', 'throttle'] as const) {
    it(`on DynamoDB ${mode === 'error' ? 'errors' : 'throttling'}, honours a live state seen within the stale window, then denies`, async () => {
      const s = await newSession();
      const fresh = await newSession();
      const { check, advance } = checker();
      expect(await check.verdict(s.sid, s.userId, exp())).toBe('live');
      proxy.mode = mode;
      try {
        advance(LIVE_MS);
        expect(await check.verdict(s.sid, s.userId, exp())).toBe('live-stale');
        await expect(check.verdict(fresh.sid, fresh.userId, exp())).rejects.toBeInstanceOf(SessionCheckUnavailable);
        advance(STALE_MS - LIVE_MS);
        await expect(check.verdict(s.sid, s.userId, exp())).rejects.toBeInstanceOf(SessionCheckUnavailable);
      } finally {
        proxy.mode = 'pass';
      }
      expect(await check.verdict(s.sid, s.userId, exp())).toBe('live');
    });
  }

  it('tries a throttled GetItem once more and uses its answer: one throttling neither denies nor falls back to a stale state', async () => {
    const revoked = await newSession({ revokedAt: new Date().toISOString() });
    const live = await newSession();
    const { check } = checker();
    const before = proxy.requests.get('GetItem') ?? 0;
    proxy.throttleNext = 1;
    expect(await check.verdict(live.sid, live.userId, exp())).toBe('live');
    expect((proxy.requests.get('GetItem') ?? 0) - before).toBe(2);
    proxy.throttleNext = 1;
    expect(await check.verdict(revoked.sid, revoked.userId, exp())).toBe('revoked');
    expect(proxy.throttleNext).toBe(0);
  });

  it('race: a logout landing between a throttled re-read and its retry is seen by the retry, not bridged by the cached live state', async () => {
    const s = await newSession();
    const { check, advance } = checker();
    expect(await check.verdict(s.sid, s.userId, exp())).toBe('live');
    advance(LIVE_MS);
    proxy.throttleNext = 1;
    proxy.beforeThrottle = async () => {
      await repo.revoke(s.sid, new Date(), 'logout');
    };
    try {
      expect(await check.verdict(s.sid, s.userId, exp())).toBe('revoked');
    } finally {
      proxy.beforeThrottle = undefined;
    }
    expect(proxy.throttleNext).toBe(0);
  });

  it('reads each session once per live window when many authorizations arrive together', async () => {
    const s = await newSession();
    const { check } = checker();
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => check.verdict(s.sid, s.userId, exp())));
    expect(new Set(verdicts)).toEqual(new Set(['live']));
    expect(check.stats.reads).toBe(1);
  });

  it('keeps its cache bounded', async () => {
    const { check } = checker();
    const small = new SessionCheck(new SignedFetchSessionReader({ table: config.sessionsTable, endpoint: proxy.url }), { liveCacheMs: LIVE_MS, staleMs: STALE_MS, maxEntries: 10 });
    for (let i = 0; i < 25; i += 1) await small.verdict(randomUUID(), 'u', exp());
    expect((small as unknown as { entries: Map<string, unknown> }).entries.size).toBeLessThanOrEqual(10);
    expect(check.stats.reads).toBe(0);
  });
});

describe('the authorizer with the session check', () => {
  const settings = { issuer: config.issuer, audience: config.audience, alg: config.signingAlg, ttlSeconds: config.accessTokenTtlSeconds };
  const event = (token: string) => ({ version: '2.0', type: 'REQUEST', routeArn: 'arn:aws:execute-api:us-east-1:1:a/$default/GET/x', headers: { authorization: `Bearer ${token}` } });
  const restEvent = (token: string) => ({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: 'arn:aws:execute-api:us-east-1:1:a/prod/GET/x' });

  async function setup() {
    const s = await newSession();
    const token = await signAccessToken(deps.keys, settings, { userId: s.userId, sessionId: s.sid, email: 'a@example.com', roles: ['user'] }, new Date(Date.now()));
    const { check, advance } = checker();
    const authorizerDeps: AuthorizerDeps = { keys: deps.keys, settings, clock: systemClock, sessions: check };
    return { s, token, advance, authorizerDeps };
  }

  it('refuses the access token of a revoked session (a logged-out token replayed) once the live window has passed', async () => {
    const { s, token, advance, authorizerDeps } = await setup();
    expect(await authorize(authorizerDeps, event(token) as never)).toMatchObject({ isAuthorized: true });
    await repo.revoke(s.sid, new Date(), 'logout');
    advance(LIVE_MS);
    expect(await authorize(authorizerDeps, event(token) as never)).toEqual({ isAuthorized: false });
    await expect(authorize(authorizerDeps, restEvent(token) as never)).rejects.toThrow(/^Unauthorized$/);
  });

  it("attack: another user's token carrying a sid the authorizer just saw live is refused", async () => {
    const { s, token, authorizerDeps } = await setup();
    expect(await authorize(authorizerDeps, event(token) as never)).toMatchObject({ isAuthorized: true });
    const other = await signAccessToken(deps.keys, settings, { userId: randomUUID(), sessionId: s.sid, email: 'b@example.com', roles: ['admin'] }, new Date(Date.now()));
    expect(await authorize(authorizerDeps, event(other) as never)).toEqual({ isAuthorized: false });
    await expect(authorize(authorizerDeps, restEvent(other) as never)).rejects.toThrow(/^Unauthorized$/);
    expect(await authorize(authorizerDeps, event(token) as never)).toMatchObject({ isAuthorized: true });
  });

  it('attack: a token of a live session whose exp is a year after its iat is refused', async () => {
    const { s, authorizerDeps } = await setup();
    const longLived = await signAccessToken(deps.keys, { ...settings, ttlSeconds: 365 * 86_400 }, { userId: s.userId, sessionId: s.sid, email: 'a@example.com', roles: ['user'] }, new Date(Date.now()));
    expect(await authorize(authorizerDeps, event(longLived) as never)).toEqual({ isAuthorized: false });
    await expect(authorize(authorizerDeps, restEvent(longLived) as never)).rejects.toThrow(/^Unauthorized$/);
  });

  it('fails closed with an error log when session state cannot be read, and never throws anything but Unauthorized', async () => {
    const { token, authorizerDeps } = await setup();
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a) => void lines.push(a.join(' ')));
    proxy.mode = 'error';
    try {
      expect(await authorize(authorizerDeps, event(token) as never)).toEqual({ isAuthorized: false });
      await expect(authorize(authorizerDeps, restEvent(token) as never)).rejects.toThrow(/^Unauthorized$/);
    } finally {
      proxy.mode = 'pass';
      vi.restoreAllMocks();
    }
    const logged = lines.map((l) => JSON.parse(l) as { level: string; event: string });
    expect(logged.some((l) => l.level === 'error' && l.event === 'authorizer_unavailable')).toBe(true);
    expect(lines.join('\n')).not.toContain(token.split('.')[2]!.slice(0, 20));
  });

  it('serves a recent live state during a DynamoDB fault with a warning, within the stale window only', async () => {
    const { token, advance, authorizerDeps } = await setup();
    expect(await authorize(authorizerDeps, event(token) as never)).toMatchObject({ isAuthorized: true });
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a) => void lines.push(a.join(' ')));
    proxy.mode = 'error';
    try {
      advance(LIVE_MS);
      expect(await authorize(authorizerDeps, event(token) as never)).toMatchObject({ isAuthorized: true });
      advance(STALE_MS - LIVE_MS);
      expect(await authorize(authorizerDeps, event(token) as never)).toEqual({ isAuthorized: false });
    } finally {
      proxy.mode = 'pass';
      vi.restoreAllMocks();
    }
    expect(lines.some((l) => l.includes('authorizer_stale_allow'))).toBe(true);
  });
});
