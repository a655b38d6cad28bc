import { randomUUID } from 'node:crypto';
import type { RefreshTokenRecord, SessionRecord } from '../repositories/sessions';
import type { TransactWriteItem } from '../repositories/types';
import type { UserRecord } from '../repositories/users';
import { signAccessToken } from '../tokens/access-token';
import { hashSecret, newRefreshToken, type RefreshToken } from '../tokens/refresh-token';
import { accessSettings, type Deps, type RequestMeta, type TokenResponse } from './deps';

export const USER_AGENT_MAX = 512;

export interface PublicUser {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
  emailVerified: boolean;
  createdAt: string;
}

/** The user as the API shows it: never the password hash. */
export function publicUser(user: UserRecord): PublicUser {
  return {
    id: user.id,
    email: user.email,
    name: user.name ?? null,
    roles: user.roles,
    emailVerified: user.emailVerified,
    createdAt: user.createdAt,
  };
}

export interface TokenOwner {
  sid: string;
  userId: string;
  email: string;
  roles: string[];
  sessionExpiresAt: number;
}

/** A refresh token record expiring after its own TTL but never after the session's end. */
export function tokenRecord(token: RefreshToken, owner: TokenOwner, now: Date, ttlSeconds: number): RefreshTokenRecord {
  const expiresAt = Math.min(Math.floor(now.getTime() / 1000) + ttlSeconds, owner.sessionExpiresAt);
  return {
    tokenId: token.id,
    sid: owner.sid,
    userId: owner.userId,
    secretHash: hashSecret(token.secret),
    issuedAt: now.toISOString(),
    expiresAt,
    sessionExpiresAt: owner.sessionExpiresAt,
    consumedAt: undefined,
    successorId: undefined,
    email: owner.email,
    roles: owner.roles,
  };
}

export async function tokenResponse(
  deps: Deps,
  subject: { userId: string; sessionId: string; email: string; roles: string[]; emailVerified?: boolean },
  refreshToken: string,
  now: Date,
): Promise<TokenResponse> {
  const accessToken = await signAccessToken(deps.keys, accessSettings(deps.config), subject, now.getTime());
  return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: deps.config.accessTokenTtlSeconds };
}

export interface PreparedSession {
  items: TransactWriteItem[];
  tokens: TokenResponse;
  sid: string;
}

/**
 * Builds a new session with its first refresh token and signs the access token, without writing.
 * Signing happens before any write so a key failure leaves nothing behind; the caller then writes
 * `items` in a single transaction.
 */
export async function prepareSession(deps: Deps, user: UserRecord, meta: RequestMeta, now: Date): Promise<PreparedSession> {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const sessionExpiresAt = nowSeconds + deps.config.sessionMaxAgeSeconds;
  const session: SessionRecord = {
    sid: randomUUID(),
    userId: user.id,
    createdAt: now.toISOString(),
    lastUsedAt: now.toISOString(),
    expiresAt: sessionExpiresAt,
    userAgent: meta.userAgent?.slice(0, USER_AGENT_MAX),
    ip: meta.ip,
    revokedAt: undefined,
  };
  const refresh = newRefreshToken();
  const record = tokenRecord(
    refresh,
    { sid: session.sid, userId: user.id, email: user.email, roles: user.roles, sessionExpiresAt },
    now,
    deps.config.refreshTokenTtlSeconds,
  );
  const tokens = await tokenResponse(
    deps,
    { userId: user.id, sessionId: session.sid, email: user.email, roles: user.roles, emailVerified: user.emailVerified },
    refresh.value,
    now,
  );
  return { items: deps.sessions.newSessionItems(session, record), tokens, sid: session.sid };
}
