import type { Caller } from '../caller';
import { invalidRequest } from '../errors';
import type { SecurityEvent, SecurityEventsRepository } from '../repositories/security-events';
import type { Clock } from '../clock';

/** Events per page by default, and at most. */
export const EVENTS_PAGE = 20;
export const EVENTS_PAGE_MAX = 100;

/**
 * GET /auth/events: the caller's own security events, newest first, a page at a time. Only the
 * caller's: the query is keyed by the caller's id, and a cursor naming another user's position is
 * refused (lib/repositories/security-events.ts).
 */
export async function myEvents(
  deps: { events: Pick<SecurityEventsRepository, 'list'>; clock: Clock },
  caller: Pick<Caller, 'userId'>,
  query: { limit?: string | undefined; cursor?: string | undefined },
): Promise<{ events: SecurityEvent[]; next?: string }> {
  const limit = query.limit === undefined ? EVENTS_PAGE : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > EVENTS_PAGE_MAX || !/^\d+$/.test(query.limit ?? '1')) {
    throw invalidRequest([{ field: 'limit', message: `must be a whole number from 1 to ${EVENTS_PAGE_MAX}` }]);
  }
  const page = await deps.events.list(caller.userId, limit, deps.clock(), query.cursor);
  return page.next ? { events: page.events, next: page.next } : { events: page.events };
}
