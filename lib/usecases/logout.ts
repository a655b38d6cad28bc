import { invalidRequest, unauthorized } from '../errors';
import { log } from '../log';
import { verifyAccessToken, type AccessClaims } from '../tokens/access-token';
import { parseRefreshToken, secretMatches } from '../tokens/refresh-token';
import type { LogoutInput } from '../validation';
import { accessSettings, type Deps } from './deps';

/**
 * - `local`: revokes the session of the given refresh token (or, without one, the Bearer's own
 *   session). An unknown, malformed or already revoked refresh token still succeeds: logout is
 *   idempotent and must not become an oracle for which tokens exist.
 * - `global`: every session of the Bearer's user; `others`: all but the Bearer's own session.
 *   Both need a valid Bearer access token, checked here because /auth/logout has no authorizer.
 *
 * Access tokens already issued stay valid until they expire (ACCESS_TOKEN_TTL_SECONDS): logout
 * stops refreshes, it does not recall access tokens.
 */
export async function logout(deps: Deps, input: LogoutInput, bearer: string | undefined): Promise<void> {
  const now = deps.clock();
  if (input.scope === 'local') {
    if (input.refreshToken !== undefined) return logoutRefreshToken(deps, input.refreshToken, now);
    if (bearer === undefined) {
      throw invalidRequest([{ field: 'refreshToken', message: 'is required unless a Bearer access token is sent' }]);
    }
    const claims = await bearerClaims(deps, bearer);
    await revokeAll(deps, [claims.sid], now, 'logout', claims.sub);
    return;
  }
  if (bearer === undefined) throw unauthorized();
  const claims = await bearerClaims(deps, bearer);
  const active = await deps.sessions.listActiveSessionIds(claims.sub, now);
  const targets = input.scope === 'others' ? active.filter((sid) => sid !== claims.sid) : active;
  // `global` also covers the Bearer's own session even if the index has not caught up with it yet.
  if (input.scope === 'global' && !targets.includes(claims.sid)) targets.push(claims.sid);
  await revokeAll(deps, targets, now, `logout_${input.scope}`, claims.sub);
}

/**
 * A bad token is `unauthorized` (InvalidAccessToken); a key store outage stays `service_unavailable`.
 * An Authorization header without a Bearer token (another scheme, or malformed) counts as no token.
 */
function bearerClaims(deps: Deps, bearer: string): Promise<AccessClaims> {
  if (bearer === '') throw unauthorized();
  return verifyAccessToken(deps.keys, accessSettings(deps.config), bearer, deps.clock().getTime());
}

async function logoutRefreshToken(deps: Deps, value: string, now: Date): Promise<void> {
  const presented = parseRefreshToken(value);
  if (!presented) return;
  const record = await deps.sessions.getToken(presented.id);
  if (!record || !secretMatches(presented.secret, record.secretHash)) return;
  await revokeAll(deps, [record.sid], now, 'logout', record.userId);
}

async function revokeAll(deps: Deps, sids: string[], now: Date, reason: string, userId: string): Promise<void> {
  if (sids.length === 0) return;
  if (sids.length === 1) await deps.sessions.revoke(sids[0]!, now, reason);
  // Several sessions go in one transaction, so a failure part-way leaves none of them revoked.
  else await deps.sessions.revokeMany(sids, now, reason);
  log.info('sessions revoked', { event: 'session_revoked', reason, userId, sessionIds: sids });
}
