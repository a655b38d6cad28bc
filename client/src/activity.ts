import type { Session as SessionState } from './session.js';
import type { SecurityEventList, Session } from './types.js';

/** The user's sessions (signed-in devices) and security activity. */
export function activityApi(session: SessionState) {
  return {
    /** Active sessions; `current` marks this one. */
    sessions: async (): Promise<Session[]> => (await session.authed<{ sessions: Session[] }>({ method: 'GET', path: '/auth/sessions' })).sessions,

    /** Ends one of the user's sessions. */
    revokeSession: async (id: string): Promise<void> => {
      await session.authed({ method: 'DELETE', path: `/auth/sessions/${encodeURIComponent(id)}` });
    },

    /** Security events, newest first: `limit` per page (default 20, at most 100); pass `next` back as `cursor`. */
    events: (page: { limit?: number; cursor?: string } = {}): Promise<SecurityEventList> =>
      session.authed<SecurityEventList>({ method: 'GET', path: '/auth/events', query: { limit: page.limit, cursor: page.cursor } }),
  };
}
