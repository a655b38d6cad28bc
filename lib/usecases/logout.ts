import { hasCode, invalidRequest, unauthorized } from '../errors';
import { trackedSessions } from '../repositories/users';
import { isActive, revokeSession, revokeUserSessions, sessionOfRefreshToken } from '../sessions';
import { verifyAccessToken, type AccessClaims } from '../tokens/access-token';
import { parseRefreshToken } from '../tokens/refresh-token';
import type { LogoutInput } from '../validation';
import { accessSettings } from '../tokens/access-settings';
import type { Deps, RequestMeta } from './deps';
import { part } from '../repositories/transactions';

/**
 * - `local`: revokes the session of the given refresh token (or, without one, the Bearer's own
 *   session). An unknown, malformed or already revoked refresh token still succeeds: logout is
 *   idempotent and must not become an oracle for which tokens exist.
 * - `global`: every session of the Bearer's user; `others`: all but the Bearer's own session.
 *   Both need a valid Bearer access token whose session is still active, checked here because
 *   /auth/logout has no authorizer.
 *
 * Revocation is written on each session item, which the authorizer reads: the sessions' access
 * tokens stop working within its cache bound.
 */
export async function logout(deps: Deps, input: LogoutInput, bearer: string | undefined, meta: RequestMeta = { ip: undefined, userAgent: undefined }): Promise<void> {
  const now = deps.clock();
  // Each logout's security event is written with its revocation (nothing revoked, no event).
  const event = (userId: string, sessionId: string | undefined, detail?: string) => [
    part('event', deps.events.putItem({ userId, type: 'logout', ip: meta.ip, userAgent: meta.userAgent, sessionId, detail }, now)),
  ];
  if (input.scope === 'local') {
    if (input.refreshToken !== undefined) {
      const session = await sessionOfRefreshToken(deps, input.refreshToken);
      if (session) await revokeSession(deps, session.sid, now, 'logout', { userId: session.userId, also: event(session.userId, session.sid) });
      return;
    }
    if (bearer === undefined) {
      throw invalidRequest([{ field: 'refreshToken', message: 'is required unless a Bearer access token is sent' }]);
    }
    const claims = await bearerClaims(deps, bearer, now);
    await revokeSession(deps, claims.sid, now, 'logout', { userId: claims.sub, also: event(claims.sub, claims.sid) });
    return;
  }
  if (bearer === undefined) throw unauthorized();
  const claims = await bearerClaims(deps, bearer, now);
  // A signature alone is not enough to end other sessions: the token's own session must still be
  // live, so a token of a session already logged out (still within its lifetime) cannot do it.
  const own = await deps.sessions.getSession(claims.sid);
  if (!isActive(own, now) || own.userId !== claims.sub) throw unauthorized();
  // The sessions the user item names (a session opened a moment ago included), beside the index's.
  const user = await deps.users.findById(claims.sub, { consistent: true });
  const tracked = user ? trackedSessions(user, now).map((s) => s.sid) : [];
  await revokeUserSessions(
    deps,
    claims.sub,
    now,
    input.scope === 'global' ? 'logout_global' : 'logout_others',
    // `global` also covers the Bearer's own session even if the index has not caught up with it yet.
    input.scope === 'global'
      ? { include: [claims.sid], tracked, also: event(claims.sub, claims.sid, 'global') }
      : { except: claims.sid, tracked, also: event(claims.sub, claims.sid, 'others') },
  );
}

/**
 * A bad token is `unauthorized` (InvalidAccessToken); a key store outage stays `service_unavailable`.
 * An Authorization header without a Bearer token (another scheme, or malformed) counts as no token.
 */
function bearerClaims(deps: Deps, bearer: string, now: Date): Promise<AccessClaims> {
  if (bearer === '') throw unauthorized();
  return verifyAccessToken(deps.keys, accessSettings(deps.config), bearer, now);
}

/**
 * POST /oauth2/revoke (RFC 7009): a local logout of the token's session, whichever kind of token.
 * - A refresh token (told apart by its form, whatever `token_type_hint` says): its session is
 *   revoked, exactly as `logout` with that token.
 * - An access token: its session is revoked too, as `logout` with it as the Bearer does. RFC 7009
 *   §2.1 allows revoking the grant behind an access token, and answering `unsupported_token_type`
 *   instead would leave a client holding only an access token no way to end its session. The
 *   token is verified first (signature, issuer, audience, lifetime), so only a holder of a valid
 *   token of the session can end it, as with /auth/logout.
 * An unknown, malformed, expired or already revoked token changes nothing and still succeeds
 * (§2.2): the answer is no oracle for which tokens exist. A dependency failure is not swallowed:
 * the client must retry (§2.2.1, 503).
 */
export async function revokeToken(deps: Deps, token: string, meta: RequestMeta = { ip: undefined, userAgent: undefined }): Promise<void> {
  if (parseRefreshToken(token)) return logout(deps, { refreshToken: token, scope: 'local' }, undefined, meta);
  try {
    await logout(deps, { refreshToken: undefined, scope: 'local' }, token, meta);
  } catch (err) {
    if (!hasCode(err, 'unauthorized')) throw err;
  }
}
