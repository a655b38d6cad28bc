import type { Caller } from '../caller';
/**
 * The caller's own sessions: list them, end one.
 *
 * A session id names a session only to its owner. Another user's id, an unknown id, an ended or
 * expired session and an id that cannot be a session id all answer the same `not_found`, so the
 * endpoint tells nobody which ids exist. The listing carries what a user recognises a device by
 * (when it signed in, when it was last used, its user agent and IP) and never any token material.
 */
import { notFound } from '../errors';
import { part } from '../repositories/transactions';
import type { SecurityEventsRepository } from '../repositories/security-events';
import type { RequestMeta } from './deps';
import { listSessions, revokeSession, type SessionDeps } from '../sessions';

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  ip: string | null;
  /** The session of the access token making this request. */
  current: boolean;
}

/** Session ids are UUIDs (randomUUID); anything else cannot name a session. */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The caller's active sessions, the current one first, then the most recently used. */
export async function mySessions(deps: Pick<SessionDeps, 'sessions' | 'clock'>, caller: Pick<Caller, 'userId' | 'sessionId'>): Promise<SessionView[]> {
  const sessions = await listSessions(deps, caller.userId, deps.clock());
  return sessions
    .map((s) => ({
      id: s.sid,
      createdAt: s.createdAt,
      lastUsedAt: s.lastUsedAt,
      userAgent: s.userAgent ?? null,
      ip: s.ip ?? null,
      current: s.sid === caller.sessionId,
    }))
    .sort((a, b) => Number(b.current) - Number(a.current) || (a.lastUsedAt < b.lastUsedAt ? 1 : a.lastUsedAt > b.lastUsedAt ? -1 : 0));
}

/**
 * Ends one of the caller's sessions, the current one included (its access token is then refused
 * by the authorizer within the revocation bound, and its refresh token at once).
 */
export async function endMySession(
  deps: Pick<SessionDeps, 'sessions' | 'clock'> & { events: Pick<SecurityEventsRepository, 'putItem'> },
  caller: Pick<Caller, 'userId' | 'sessionId'>,
  id: string | undefined,
  meta: RequestMeta,
): Promise<void> {
  if (id === undefined || !SESSION_ID.test(id)) throw notFound();
  // One conditional write (with its security event): it revokes only an active session of this
  // user, so there is no read-then-write window and no way to learn about another user's session.
  const now = deps.clock();
  const event = deps.events.putItem({ userId: caller.userId, type: 'session_revoked', ip: meta.ip, userAgent: meta.userAgent, sessionId: id }, now);
  const revoked = await revokeSession(deps, id, now, 'session_deleted', { userId: caller.userId, also: [part('event', event)] });
  if (!revoked) throw notFound();
}
