/**
 * Sessions: the one module that opens, rotates, lists and revokes them. Use cases call it; no
 * other code writes session or refresh-token items.
 *
 * A session (SESSION#<sid>, schema in infra/tables.js) has an absolute end; its refresh tokens
 * (TOKEN#<id>) rotate on every use, each successor derived from its parent so a retried refresh
 * gets the same answer. Revocation is written on the SESSION#<sid> item itself (`revokedAt`,
 * `revokedReason`): rotations check it in their condition, and the authorizer reads that item to
 * refuse the session's access tokens.
 *
 * Revoking many sessions, and the 100-item cap of DynamoDB transactions:
 * - A user holds at most `maxSessionsPerUser` (MAX_SESSIONS_PER_USER, 50 at most) active sessions:
 *   opening one more revokes the oldest (earliest absolute end) in the same transaction that
 *   opens it. So all of a user's sessions normally fit one transaction, with at least 50 items
 *   left for the caller's own writes (a password change, a reset, an account deletion).
 * - The cap is checked against the sessions the user item names (lib/sign-in.ts), as the login
 *   read it, so logins racing each other can briefly push a user past it. Whatever does not fit
 *   the caller's room is then revoked FIRST, in transactions of its own, and the rest rides in the
 *   caller's transaction. A failure in between leaves more sessions revoked, never fewer; the
 *   caller answers 503 and a retry finishes the job (revocation is idempotent).
 * - Revoking all of a user's sessions takes the sessions the user item names (`tracked`) and the
 *   byOwner index's (sessions opened before user items named them). The index is eventually
 *   consistent; callers that know a session id (logout's Bearer) pass it in `include`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { sameAuthentication, storedAuthentication, type Authentication } from './authentication';
import { epochSeconds, type Clock } from './clock';
import type { Config } from './config';
import { hasCode, invalidRefreshToken, refreshTokenReused, serviceUnavailable } from './errors';
import type { KeyStore } from './keys/key-store';
import { log } from './log';
import type { RefreshTokenRecord, SessionRecord, SessionsRepository } from './repositories/sessions';
import type { UsersRepository } from './repositories/users';
import type { SecurityEventsRepository } from './repositories/security-events';
import { MAX_TRANSACTION_ITEMS, part, parts, type TransactionPart, type TransactionWriter } from './repositories/transactions';
import { signAccessToken } from './tokens/access-token';
import { accessSettings } from './tokens/access-settings';
import { deriveSuccessor, hashSecret, newRefreshToken, parseRefreshToken, secretMatches, type RefreshToken } from './tokens/refresh-token';

/** What the sessions module needs; a use case's deps satisfy it. */
export interface SessionDeps {
  config: Config;
  sessions: SessionsRepository;
  transactions: TransactionWriter;
  keys: KeyStore;
  clock: Clock;
  /** Where a refresh checks (and, when they changed, reads) the user's current claims. */
  users: Pick<UsersRepository, 'claimsCheckItem' | 'findById'>;
  /** Security events (a reuse detection is recorded with its revocation). */
  events?: Pick<SecurityEventsRepository, 'putItem'>;
}

/** The claims an access token carries about its user, current at every refresh. */
interface Claims {
  email: string;
  roles: string[];
  emailVerified: boolean;
}

/** The user a session belongs to, and the claims its access tokens carry. */
export interface SessionSubject {
  id: string;
  email: string;
  roles: string[];
  emailVerified?: boolean;
}

/** Where a request came from, recorded on the session it opens. */
export interface SessionOrigin {
  ip: string | undefined;
  userAgent: string | undefined;
}

export interface TokenResponse {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** A session ready to be written: the caller commits `items` in its own transaction. */
export interface OpenedSession {
  sid: string;
  /** The session's absolute end (epoch seconds). */
  expiresAt: number;
  tokens: TokenResponse;
  /** The new session and its first refresh token, plus the revocation of any `displaced` session. */
  items: TransactionPart[];
  /** The user's oldest sessions this one pushes past `maxSessionsPerUser`, revoked by `items`. */
  displaced: string[];
}

/** Why a session was revoked, stored as `revokedReason` and logged. */
export type RevocationReason =
  | 'logout'
  | 'logout_global'
  | 'logout_others'
  | 'refresh_token_reused'
  | 'session_limit'
  | 'session_deleted'
  | 'password_changed'
  | 'password_reset'
  | 'email_changed'
  | 'account_deleted'
  | 'account_disabled'
  | 'factor_enabled'
  | 'factor_removed'
  | 'identity_linked'
  | 'identity_unlinked';

export function isActive(session: SessionRecord | undefined, now: Date): session is SessionRecord {
  return Boolean(session && !session.revokedAt && session.expiresAt > epochSeconds(now));
}

// ---------------------------------------------------------------------------------------------
// Issuing

/** User agents are stored (and listed) cut to this length. */
export const USER_AGENT_MAX = 512;

/**
 * Prepares a new session for `user` with its first refresh token, and signs its access token,
 * without writing. Signing comes first so a key failure leaves nothing behind. `active` lists the
 * user's sessions still within their absolute end (the user record names them): the oldest past
 * `maxSessionsPerUser` are revoked by the same items. The caller commits the items beside its own
 * write on the user (lib/sign-in.ts, or the registration creating the user). `authentication`
 * (lib/authentication.ts) is stored on the session and stated by every access token it issues.
 */
export async function openSession(
  deps: SessionDeps,
  user: SessionSubject,
  origin: SessionOrigin,
  now: Date,
  authentication: Authentication,
  active: readonly { sid: string; expiresAt: number }[] = [],
): Promise<OpenedSession> {
  const sessionExpiresAt = epochSeconds(now) + deps.config.sessionMaxAgeSeconds;
  const session: SessionRecord = {
    sid: randomUUID(),
    userId: user.id,
    createdAt: now.toISOString(),
    lastUsedAt: now.toISOString(),
    expiresAt: sessionExpiresAt,
    userAgent: origin.userAgent?.slice(0, USER_AGENT_MAX),
    ip: origin.ip,
    revokedAt: undefined,
    ...authentication,
  };
  const refresh = newRefreshToken();
  const owner = { sid: session.sid, userId: user.id, email: user.email, roles: user.roles, emailVerified: user.emailVerified === true, sessionExpiresAt };
  const record = tokenRecord(refresh, owner, authentication, now, deps.config.refreshTokenTtlSeconds);
  const tokens = await tokenResponse(
    deps,
    { userId: user.id, sessionId: session.sid, email: user.email, roles: user.roles, emailVerified: user.emailVerified, authentication },
    refresh.value,
    now,
  );
  const excess = active.length + 1 - deps.config.maxSessionsPerUser;
  const displaced = excess > 0 ? [...active].sort((a, b) => a.expiresAt - b.expiresAt).slice(0, excess).map((s) => s.sid) : [];
  const items = [
    ...parts('session', deps.sessions.newSessionItems(session, record)),
    ...parts('displaced', displaced.map((sid) => deps.sessions.revokeItem(sid, now, 'session_limit'))),
  ];
  return { sid: session.sid, expiresAt: sessionExpiresAt, tokens, items, displaced };
}

interface TokenOwner {
  sid: string;
  userId: string;
  email: string;
  roles: string[];
  emailVerified: boolean;
  sessionExpiresAt: number;
}

/** A refresh token record expiring after its own TTL but never after the session's end. */
function tokenRecord(token: RefreshToken, owner: TokenOwner, authentication: Authentication, now: Date, ttlSeconds: number): RefreshTokenRecord {
  return {
    ...authentication,
    tokenId: token.id,
    sid: owner.sid,
    userId: owner.userId,
    secretHash: hashSecret(token.secret),
    issuedAt: now.toISOString(),
    expiresAt: Math.min(epochSeconds(now) + ttlSeconds, owner.sessionExpiresAt),
    sessionExpiresAt: owner.sessionExpiresAt,
    consumedAt: undefined,
    successorId: undefined,
    email: owner.email,
    roles: owner.roles,
    emailVerified: owner.emailVerified,
  };
}

async function tokenResponse(
  deps: SessionDeps,
  subject: { userId: string; sessionId: string; email: string; roles: string[]; emailVerified?: boolean; authentication: Authentication },
  refreshToken: string,
  now: Date,
): Promise<TokenResponse> {
  const accessToken = await signAccessToken(deps.keys, accessSettings(deps.config), subject, now);
  return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: deps.config.accessTokenTtlSeconds };
}

/**
 * A new authentication for an open session (a reauthentication, or a first factor enabled from
 * it): the session keeps its id and absolute end, takes `authentication`, and gets a new refresh
 * token, all written by the returned items in the caller's transaction (label `session`: the
 * session is no longer this user's live session). Refresh tokens issued before stay usable and
 * carry the new authentication from their next rotation on: the authentication belongs to the
 * session, not to one token.
 */
export async function reauthenticatedSession(
  deps: SessionDeps,
  user: SessionSubject,
  sid: string,
  authentication: Authentication,
  now: Date,
): Promise<{ items: TransactionPart[]; tokens: TokenResponse } | undefined> {
  const session = await deps.sessions.getSession(sid);
  if (!isActive(session, now) || session.userId !== user.id) return undefined;
  const refresh = newRefreshToken();
  const owner = { sid, userId: user.id, email: user.email, roles: user.roles, emailVerified: user.emailVerified === true, sessionExpiresAt: session.expiresAt };
  const record = tokenRecord(refresh, owner, authentication, now, deps.config.refreshTokenTtlSeconds);
  const tokens = await tokenResponse(
    deps,
    { userId: user.id, sessionId: sid, email: user.email, roles: user.roles, emailVerified: user.emailVerified, authentication },
    refresh.value,
    now,
  );
  return { items: parts('session', deps.sessions.reauthenticationItems(sid, user.id, authentication, record, now)), tokens };
}

// ---------------------------------------------------------------------------------------------
// Rotating

/** Rotation attempts against concurrent writers before giving up with 503. */
const MAX_ROTATION_ATTEMPTS = 4;

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
export async function rotateRefreshToken(deps: SessionDeps, presentedValue: string, client: RotatingClient = {}): Promise<TokenResponse> {
  const fingerprint = clientFingerprint(client.userAgent);
  const presented = parseRefreshToken(presentedValue);
  if (!presented) throw invalidRefreshToken();
  const successor = deriveSuccessor(await deps.keys.refreshKey(), presented);

  let claims: Claims | undefined;
  let authentication: Authentication | undefined;
  for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt += 1) {
    const now = deps.clock();
    const record = await deps.sessions.getToken(presented.id);
    if (!record || !secretMatches(presented.secret, record.secretHash)) throw invalidRefreshToken();
    if (record.expiresAt <= epochSeconds(now)) throw invalidRefreshToken();

    if (record.consumedAt !== undefined) return replayed(deps, record, await successorOnRecord(deps, presented, record, successor), now, fingerprint, client);

    // Claims as of the token's issue; the rotation below commits only if the user still holds
    // them (so the usual refresh stays at two requests). Otherwise read the user and sign again.
    claims ??= snapshotOf(record) ?? (await currentClaims(deps, record.userId));
    // The session's authentication as of the token's issue, likewise checked by the rotation's
    // condition on the session item; a reauthentication since then moved it (read below).
    authentication ??= storedAuthentication(record);
    // The successor gets a fresh token lifetime, capped by the session's absolute end:
    // rotation never extends a session.
    const successorRecord = tokenRecord(successor, ownerOf(record, claims), authentication, now, deps.config.refreshTokenTtlSeconds);
    // Sign before writing: if the key store fails, the presented token stays unconsumed.
    const response = await tokenResponse(deps, subjectOf(record, claims, authentication), successor.value, now);
    try {
      await deps.sessions.rotate(record, successorRecord, now, deps.users.claimsCheckItem(record.userId, claims), fingerprint, authentication);
      return response;
    } catch (err) {
      if (hasCode(err, 'session_not_active')) {
        // Revoked or ended, or only its authentication moved (a reauthentication, a first
        // factor enabled): read the session to tell which, and sign again with what it holds.
        const session = await deps.sessions.getSession(record.sid);
        const current = storedAuthentication(session);
        if (!isActive(session, deps.clock()) || sameAuthentication(current, authentication)) throw invalidRefreshToken(err);
        authentication = current;
        continue;
      }
      if (hasCode(err, 'token_already_consumed')) continue;
      if (hasCode(err, 'subject_changed')) {
        claims = await currentClaims(deps, record.userId);
        continue;
      }
      throw err;
    }
  }
  throw serviceUnavailable(new Error('refresh kept conflicting with concurrent writes'));
}

/**
 * The successor the first use actually stored. It was derived with the HMAC key that container
 * held as current; around a key rotation that may be the set's next or previous key, so each is
 * tried before a mismatch counts as reuse.
 */
async function successorOnRecord(deps: SessionDeps, presented: RefreshToken, record: RefreshTokenRecord, derived: RefreshToken): Promise<RefreshToken> {
  if (record.successorId === derived.id) return derived;
  for (const key of await deps.keys.refreshKeys()) {
    const candidate = deriveSuccessor(key, presented);
    if (candidate.id === record.successorId) return candidate;
  }
  return derived;
}

async function replayed(deps: SessionDeps, record: RefreshTokenRecord, successor: RefreshToken, now: Date, fingerprint: string, client: RotatingClient): Promise<TokenResponse> {
  const graceMs = deps.config.refreshReuseGraceSeconds * 1000;
  const withinGrace = now.getTime() - new Date(record.consumedAt ?? 0).getTime() <= graceMs;
  // Only the client that consumed the token may retry it: a replay from another user agent
  // within the window is a copy of the token, treated as reuse. Tokens consumed before the
  // fingerprint was recorded carry none and keep the plain window.
  const sameClient = !record.consumedBy || record.consumedBy === fingerprint;
  if (withinGrace && sameClient && record.successorId === successor.id) {
    // The retry of a lost answer gets the same successor, but with the user as it is now: a user
    // deleted or disabled since the first use is refused here too, and claims are current.
    const [session, claims] = await Promise.all([deps.sessions.getSession(record.sid), currentClaims(deps, record.userId)]);
    if (!isActive(session, now)) throw invalidRefreshToken();
    return tokenResponse(deps, subjectOf(record, claims, storedAuthentication(session)), successor.value, now);
  }
  const event = deps.events?.putItem({ userId: record.userId, type: 'refresh_reuse_detected', ip: client.ip, userAgent: client.userAgent, sessionId: record.sid }, now);
  const revoked = event
    ? await deps.sessions.revokeWith(record.sid, now, 'refresh_token_reused', record.userId, [part('event', event)])
    : await deps.sessions.revoke(record.sid, now, 'refresh_token_reused');
  log.warn('refresh token reuse detected; session revoked', {
    event: 'refresh_token_reused',
    userId: record.userId,
    sessionId: record.sid,
    newlyRevoked: revoked,
    withinGrace,
  });
  throw refreshTokenReused();
}

/** Who presents a refresh token, as far as the grace window cares. */
export interface RotatingClient {
  userAgent?: string | undefined;
  /** Recorded on the security event of a reuse detection. */
  ip?: string | undefined;
}

/**
 * The user agent's hash, recorded when a token is consumed: a grace-window retry must come from
 * the same user agent. Not the IP address: a client whose response was lost has often just moved
 * between networks (Wi-Fi to mobile data), and a changed IP would revoke a legitimate session.
 */
export function clientFingerprint(userAgent: string | undefined): string {
  return createHash('sha256').update(`ua:${userAgent ?? ''}`).digest('base64url').slice(0, 22);
}

function subjectOf(record: RefreshTokenRecord, claims: Claims, authentication: Authentication) {
  return { userId: record.userId, sessionId: record.sid, ...claims, authentication };
}

function ownerOf(record: RefreshTokenRecord, claims: Claims): TokenOwner {
  return { sid: record.sid, userId: record.userId, ...claims, sessionExpiresAt: record.sessionExpiresAt };
}

/** The claims the token record was issued with, or undefined for records older than the snapshot. */
function snapshotOf(record: RefreshTokenRecord): Claims | undefined {
  if (typeof record.emailVerified !== 'boolean') return undefined;
  return { email: record.email, roles: record.roles, emailVerified: record.emailVerified };
}

/** The user's current claims; a deleted or disabled user has none, and its refresh fails. */
async function currentClaims(deps: SessionDeps, userId: string): Promise<Claims> {
  // Strongly consistent: this read follows a failed condition, and a stale copy would fail it again.
  const user = await deps.users.findById(userId, { consistent: true });
  if (!user || user.disabledAt) throw invalidRefreshToken(new Error(user ? 'user disabled' : 'user deleted'));
  return { email: user.email, roles: user.roles, emailVerified: user.emailVerified };
}

// ---------------------------------------------------------------------------------------------
// Listing

/** The user's active sessions, newest first (from the index, then each item read consistently). */
export async function listSessions(deps: Pick<SessionDeps, 'sessions'>, userId: string, now: Date): Promise<SessionRecord[]> {
  const ids = await deps.sessions.listActiveSessionIds(userId, now);
  const sessions = await deps.sessions.getSessions(ids);
  // The index may lag a revocation; the item itself is the truth.
  return sessions
    .filter((s) => s.userId === userId && isActive(s, now))
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

/** The refresh token's session, when the token is well-formed, known and its secret matches. */
export async function sessionOfRefreshToken(deps: Pick<SessionDeps, 'sessions'>, value: string): Promise<{ sid: string; userId: string } | undefined> {
  const presented = parseRefreshToken(value);
  if (!presented) return undefined;
  const record = await deps.sessions.getToken(presented.id);
  if (!record || !secretMatches(presented.secret, record.secretHash)) return undefined;
  return { sid: record.sid, userId: record.userId };
}

// ---------------------------------------------------------------------------------------------
// Revoking

/** What revoking needs: no keys, no configuration (the users CLI revokes too). */
export type RevokingDeps = Pick<SessionDeps, 'sessions' | 'transactions'>;

/**
 * Revokes one session. With `userId`, only that user's session (a request naming another user's
 * session id changes nothing); with `also` too, those items (a security event) are written in the
 * same transaction. True when this call revoked an active session.
 */
export async function revokeSession(
  deps: Pick<SessionDeps, 'sessions'>,
  sid: string,
  now: Date,
  reason: RevocationReason,
  options: { userId?: string; also?: TransactionPart[] } = {},
): Promise<boolean> {
  const revoked =
    options.also && options.userId !== undefined
      ? await deps.sessions.revokeWith(sid, now, reason, options.userId, options.also)
      : await deps.sessions.revoke(sid, now, reason, options.userId);
  if (revoked) log.info('sessions revoked', { event: 'session_revoked', reason, userId: options.userId, sessionIds: [sid] });
  return revoked;
}

export interface UserRevocation {
  /** Revoke every active session of the user except this one (logout `others`, password change). */
  except?: string;
  /** Sessions to revoke even if the index does not list them yet (logout `global`'s own session). */
  include?: string[];
}

/**
 * Revokes all of the user's active sessions (or all but `except`) now: logout `global` and
 * `others`. `tracked` adds the sessions the user record names (lib/repositories/users.ts), which
 * the byOwner index may not list yet. One transaction when they fit (always, within the per-user
 * cap); past that, see the module comment. Returns the ids.
 */
export async function revokeUserSessions(
  deps: RevokingDeps,
  userId: string,
  now: Date,
  reason: RevocationReason,
  options: UserRevocation & { tracked?: readonly string[]; also?: TransactionPart[] } = {},
): Promise<string[]> {
  const sids = await sessionsToRevoke(deps, userId, now, { ...options, include: [...(options.include ?? []), ...(options.tracked ?? [])] });
  const also = options.also ?? [];
  if (sids.length === 1 && also.length === 0) await deps.sessions.revoke(sids[0]!, now, reason);
  else if (sids.length > 0) {
    const { items } = await revocationPlan(deps, sids, now, reason, userId, MAX_TRANSACTION_ITEMS - also.length);
    await deps.transactions.write([...items, ...also]);
  }
  if (sids.length > 0) log.info('sessions revoked', { event: 'session_revoked', reason, userId, sessionIds: sids });
  return sids;
}

/**
 * Transaction items revoking the user's active sessions (or all but `except`), for the caller to
 * write with its own change (a password change, a reset, an account deletion) in ONE transaction:
 * the sessions the user record names (`tracked`) and, for sessions opened before records named
 * them, the byOwner index's. At most `room` items are returned; sessions past that (only possible
 * past the per-user cap) are revoked before this returns, in transactions of their own. Log
 * `sessionIds` once the caller's transaction commits.
 */
export async function userSessionRevocationItems(
  deps: RevokingDeps,
  userId: string,
  now: Date,
  reason: RevocationReason,
  options: UserRevocation & { tracked: readonly string[]; room?: number },
): Promise<{ items: TransactionPart[]; sessionIds: string[] }> {
  const sids = await sessionsToRevoke(deps, userId, now, { ...options, include: [...(options.include ?? []), ...options.tracked] });
  const { items } = await revocationPlan(deps, sids, now, reason, userId, options.room ?? MAX_TRANSACTION_ITEMS / 2);
  return { items, sessionIds: sids };
}

async function sessionsToRevoke(deps: RevokingDeps, userId: string, now: Date, options: UserRevocation): Promise<string[]> {
  const listed = await deps.sessions.listActiveSessionIds(userId, now);
  const sids = new Set([...listed, ...(options.include ?? [])]);
  if (options.except !== undefined) sids.delete(options.except);
  return [...sids];
}

/**
 * Splits revocations into what fits `room` items of one transaction (returned as items labelled
 * `revoke`) and the rest, which is revoked first, in full transactions of its own.
 */
async function revocationPlan(
  deps: RevokingDeps,
  sids: string[],
  now: Date,
  reason: RevocationReason,
  userId: string,
  room: number,
): Promise<{ items: TransactionPart[] }> {
  const overflow = sids.slice(room);
  for (let i = 0; i < overflow.length; i += MAX_TRANSACTION_ITEMS) {
    const chunk = overflow.slice(i, i + MAX_TRANSACTION_ITEMS);
    await deps.transactions.write(parts('revoke', chunk.map((sid) => deps.sessions.revokeItem(sid, now, reason))));
    log.warn('sessions revoked ahead of the main transaction', { event: 'session_revoked', reason, userId, sessionIds: chunk, overflow: true });
  }
  return { items: parts('revoke', sids.slice(0, room).map((sid) => deps.sessions.revokeItem(sid, now, reason))) };
}
