/**
 * User administration, for operators (the `npm run users` CLI, scripts/users.ts), never behind an
 * HTTP route: find and list users, set roles, disable, enable and delete accounts.
 *
 * - Roles reach tokens at the user's next refresh (lib/sessions.ts checks the user item in every
 *   rotation); access tokens already issued keep their claims until `exp` (15 min by default).
 * - Disabling writes `disabledAt`, deletes the pending verification and reset links and revokes
 *   every session in ONE transaction: refreshes fail at once, logins answer like a wrong password,
 *   a reset link cannot set a password (or verify the email) of the disabled account, and the
 *   authorizer refuses the sessions' access tokens within its revocation bound.
 * - Deleting removes the user, its email claim, its pending email tokens, second factors, passkey
 *   lookups and identity claims and revokes every session in ONE transaction (the same items as
 *   DELETE /auth/me); the email can register again. Its failed-login counters are left to expire:
 *   they name the deleted user's id, so the address's next owner starts from zero
 *   (lib/throttle/password-attempts.ts).
 * Nothing here returns a password hash.
 */
import type { Clock } from '../clock';
import { commitCredentialChange } from '../credential-change';
import { invalidRequest, notFound } from '../errors';
import { log } from '../log';
import { publicUser, type PublicUser } from '../public-user';
import { part } from '../repositories/transactions';
import type { UserRecord, UsersRepository } from '../repositories/users';
import { passkeysOf, type FactorsRepository } from '../repositories/factors';
import type { OneTimeTokensRepository } from '../repositories/one-time-tokens';
import type { RevokingDeps } from '../sessions';
import type { SecurityEventsRepository } from '../repositories/security-events';

export interface AdminDeps extends RevokingDeps {
  users: UsersRepository;
  /** The user's passkeys, whose credential lookups a deletion removes. */
  factors: Pick<FactorsRepository, 'get'>;
  tokens: Pick<OneTimeTokensRepository, 'deleteItem'>;
  events: SecurityEventsRepository;
  clock: Clock;
}

/** A user as operators see it: the public fields and the account's state, never the hash. */
export interface AdminUserView extends PublicUser {
  disabledAt: string | null;
}

/**
 * A role name. Roles are joined with commas into the authorizer context and become `role:<name>`
 * scopes, so: letters, digits and `_ . : -`, no commas, spaces or quotes.
 */
const ROLE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
export const MAX_ROLES = 20;

export function adminView(user: UserRecord): AdminUserView {
  return { ...publicUser(user), disabledAt: user.disabledAt ?? null };
}

/** The user an operator names by email (anything with an `@`) or by id; `not_found` if none. */
export async function findUser(deps: Pick<AdminDeps, 'users'>, ref: string): Promise<UserRecord> {
  const key = ref.trim();
  const user = key.includes('@') ? await deps.users.findByEmail(key.toLowerCase()) : await deps.users.findById(key, { consistent: true });
  if (!user) throw notFound();
  return user;
}

export async function showUser(deps: AdminDeps, ref: string): Promise<AdminUserView & { activeSessions: number }> {
  const user = await findUser(deps, ref);
  const sessions = await deps.sessions.listActiveSessionIds(user.id, deps.clock());
  return { ...adminView(user), activeSessions: sessions.length };
}

/** One page of users (a table scan); `cursor` is the `next` of the previous page. */
export async function listUsers(
  deps: Pick<AdminDeps, 'users'>,
  options: { limit: number; cursor?: string | undefined },
): Promise<{ users: AdminUserView[]; next: string | undefined }> {
  const page = await deps.users.list(options.limit, options.cursor ? decodeCursor(options.cursor) : undefined);
  return { users: page.users.map(adminView), next: page.next ? Buffer.from(JSON.stringify(page.next)).toString('base64url') : undefined };
}

function decodeCursor(cursor: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw invalidRequest([{ field: 'cursor', message: 'must be the "next" value printed with a previous page' }]);
}

/** Trimmed, de-duplicated, valid role names; `invalid_request` names the bad ones. */
export function normalizeRoles(roles: string[]): string[] {
  const unique = [...new Set(roles.map((r) => r.trim()).filter(Boolean))];
  const bad = unique.filter((r) => !ROLE.test(r));
  if (bad.length > 0) {
    throw invalidRequest([{ field: 'roles', message: `not a valid role name: ${bad.join(', ')} (letters, digits and _ . : -, at most 64)` }]);
  }
  if (unique.length > MAX_ROLES) throw invalidRequest([{ field: 'roles', message: `at most ${MAX_ROLES} roles` }]);
  return unique;
}

export async function setRoles(deps: AdminDeps, ref: string, roles: string[]): Promise<AdminUserView> {
  const wanted = normalizeRoles(roles);
  const user = await findUser(deps, ref);
  const updated = await deps.users.setRoles(user.id, wanted);
  if (!updated) throw notFound();
  log.info('roles set', { event: 'user_roles_set', userId: user.id, from: user.roles, to: wanted });
  return adminView(updated);
}

/**
 * Disables the account as a credential change (lib/credential-change.ts): the flag, the end of
 * its pending email links and the revocation of every session, including one whose login raced
 * the disabling, in ONE transaction.
 */
export async function disableUser(deps: AdminDeps, ref: string): Promise<AdminUserView & { revokedSessions: number }> {
  const found = await findUser(deps, ref);
  const now = deps.clock();
  const { user, revokedSessionIds } = await commitCredentialChange(deps, found.id, now, {
    reason: 'account_disabled',
    plan: (current, revoked) => {
      if (!current) throw notFound();
      const items = [
        part('user', deps.users.disableItem(current, revoked, now.toISOString())),
        part('event', deps.events.putItem({ userId: current.id, type: 'account_disabled', ip: undefined, userAgent: undefined, detail: 'operator' }, now)),
      ];
      // Its reset and verification links die with it: a disabled account changes nothing by email.
      if (current.resetTokenHash) items.push(part('pending', deps.tokens.deleteItem('reset', current.resetTokenHash)));
      if (current.verifyTokenHash) items.push(part('pending', deps.tokens.deleteItem('verify', current.verifyTokenHash)));
      return { user: current, userItem: items };
    },
  });
  log.info('user disabled; every session revoked', { event: 'user_disabled', userId: user.id, revokedSessionIds });
  return { ...adminView(await findUser(deps, user.id)), revokedSessions: revokedSessionIds.length };
}

/** The user's security events, newest first (what the user sees at GET /auth/events). */
export async function userEvents(deps: AdminDeps, ref: string, options: { limit: number; cursor?: string | undefined }) {
  const user = await findUser(deps, ref);
  return { userId: user.id, ...(await deps.events.list(user.id, options.limit, deps.clock(), options.cursor)) };
}

/** Enables the account: it can sign in again. Sessions revoked by the disabling stay revoked. */
export async function enableUser(deps: AdminDeps, ref: string): Promise<AdminUserView> {
  const user = await findUser(deps, ref);
  const enabled = await deps.users.enable(user.id);
  if (!enabled) throw notFound();
  log.info('user enabled', { event: 'user_enabled', userId: user.id });
  return adminView(enabled);
}

/**
 * Deletes the account with the items DELETE /auth/me uses, as a credential change: the user, the
 * email claim, the pending email tokens, the second factors and their passkeys' credential
 * lookups, and the revocation of every session, in ONE transaction.
 */
export async function deleteUser(deps: AdminDeps, ref: string): Promise<{ id: string; email: string; revokedSessions: number }> {
  const found = await findUser(deps, ref);
  const now = deps.clock();
  const credentialIds = passkeysOf(await deps.factors.get(found.id)).map((p) => p.credentialId);
  const { user, revokedSessionIds } = await commitCredentialChange(deps, found.id, now, {
    reason: 'account_deleted',
    plan: (current) => {
      if (!current) throw notFound();
      return { user: current, userItem: deps.users.deleteItems(current, credentialIds) };
    },
  });
  log.info('user deleted by an operator; every session revoked', { event: 'user_deleted', userId: user.id, revokedSessionIds });
  return { id: user.id, email: user.email, revokedSessions: revokedSessionIds.length };
}
