import { hasCode, invalidRefreshToken, refreshTokenReused, serviceUnavailable } from '../errors';
import { log } from '../log';
import { isActive, type RefreshTokenRecord } from '../repositories/sessions';
import { deriveSuccessor, parseRefreshToken, secretMatches, type RefreshToken } from '../tokens/refresh-token';
import type { Deps, TokenResponse } from './deps';
import { tokenRecord, tokenResponse } from './sessions';

const MAX_ATTEMPTS = 4;

/**
 * Rotates a refresh token.
 *
 * 1. Read the presented token's record; unknown, wrong secret or expired → `invalid_refresh_token`.
 * 2. Unconsumed: consume it and store its derived successor in one conditional transaction that
 *    also requires a live session. If a concurrent refresh got there first, re-read and go to 3.
 * 3. Already consumed: within the grace window, answer with the same derived successor (a client
 *    retrying after a lost response). After it, someone is replaying an old token: revoke the
 *    whole session and answer `refresh_token_reused`.
 */
export async function refresh(deps: Deps, presentedValue: string): Promise<TokenResponse> {
  const presented = parseRefreshToken(presentedValue);
  if (!presented) throw invalidRefreshToken();
  const serverKey = await deps.keys.refreshKey();
  const successor = deriveSuccessor(serverKey, presented);

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const now = deps.clock();
    const record = await deps.sessions.getToken(presented.id);
    if (!record || !secretMatches(presented.secret, record.secretHash)) throw invalidRefreshToken();
    if (record.expiresAt <= Math.floor(now.getTime() / 1000)) throw invalidRefreshToken();

    if (record.consumedAt !== undefined) return replayed(deps, record, successor, now);

    // The successor gets a fresh token lifetime, capped by the session's absolute end:
    // rotation never extends a session.
    const successorRecord = tokenRecord(successor, { ...subjectOf(record), sid: record.sid, sessionExpiresAt: record.sessionExpiresAt }, now, deps.config.refreshTokenTtlSeconds);
    // Sign before writing: if the key store fails, the presented token stays unconsumed.
    const response = await tokenResponse(deps, subjectOf(record), successor.value, now);
    try {
      await deps.sessions.rotate(record, successorRecord, now);
      return response;
    } catch (err) {
      if (hasCode(err, 'session_not_active')) throw invalidRefreshToken(err);
      if (hasCode(err, 'token_already_consumed')) continue;
      throw err;
    }
  }
  throw serviceUnavailable(new Error('refresh kept conflicting with concurrent writes'));
}

async function replayed(deps: Deps, record: RefreshTokenRecord, successor: RefreshToken, now: Date): Promise<TokenResponse> {
  const graceMs = deps.config.refreshReuseGraceSeconds * 1000;
  const withinGrace = now.getTime() - (record.consumedAt ?? 0) <= graceMs;
  if (withinGrace && record.successorId === successor.id) {
    const session = await deps.sessions.getSession(record.sid);
    if (!isActive(session, now)) throw invalidRefreshToken();
    return tokenResponse(deps, subjectOf(record), successor.value, now);
  }
  const revoked = await deps.sessions.revoke(record.sid, now, 'refresh_token_reused');
  log.warn('refresh token reuse detected; session revoked', {
    event: 'refresh_token_reused',
    userId: record.userId,
    sessionId: record.sid,
    newlyRevoked: revoked,
  });
  throw refreshTokenReused();
}

function subjectOf(record: RefreshTokenRecord) {
  return { userId: record.userId, sessionId: record.sid, email: record.email, roles: record.roles };
}

