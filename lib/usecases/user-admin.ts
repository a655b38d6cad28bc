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
 * - Deleting removes the user, its email claim, failed-login counter and pending email tokens and
 *   revokes every session in ONE transaction (the same items as DELETE /auth/me); the email can
 *   register again.
 * Nothing here returns a password hash.
 */
import type { Clock } from '../clock';
import { invalidRequest, notFound, serviceUnavailable } from '../errors';
import { log } from '../log';
import { publicUser, type PublicUser } from '../public-user';
import { ConditionsFailed, MAX_TRANSACTION_ITEMS, type Transactions } from '../repositories/transactions';
import type { TransactWriteItem } from '../repositories/types';
import type { UserRecord, UsersRepository } from '../repositories/users';
import { revokeUserSessions, userSessionRevocationItems, type RevokingDeps } from '../sessions';

export interface AdminDeps extends RevokingDeps {
  users: UsersRepository;
  /** Conditional writes: a failed condition is reported, a conflict retried. */
  tx: Transactions;
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
 * Disables the account and revokes every session in one transaction. A session the byOwner index
 * did not list yet (opened a moment before) is swept right after; a login committing after the
 * flag fails on its own condition (lib/usecases/login.ts).
 */
export async function disableUser(deps: AdminDeps, ref: string): Promise<AdminUserView & { revokedSessions: number }> {
  const user = await findUser(deps, ref);
  const now = deps.clock();
  const flag = deps.users.disableItem(user.id, now.toISOString());
  // A reset link outliving the disabling would set a password and verify the email of an account the operator closed.
  const links = deps.users.pendingLinkDeleteItems(user);
  const { items, sessionIds } = await userSessionRevocationItems(deps, user.id, now, 'account_disabled', { room: MAX_TRANSACTION_ITEMS - 1 - links.length });
  await write(deps, [flag, ...links, ...items]);
  const stragglers = await revokeUserSessions(deps, user.id, now, 'account_disabled');
  log.info('user disabled; every session revoked', { event: 'user_disabled', userId: user.id, revokedSessionIds: [...sessionIds, ...stragglers] });
  return { ...adminView(await findUser(deps, user.id)), revokedSessions: sessionIds.length + stragglers.length };
}

/** Enables the account: it can sign in again. Sessions revoked by the disabling stay revoked. */
export async function enableUser(deps: AdminDeps, ref: string): Promise<AdminUserView> {
  const user = await findUser(deps, ref);
  const enabled = await deps.users.setDisabled(user.id, undefined);
  if (!enabled) throw notFound();
  log.info('user enabled', { event: 'user_enabled', userId: user.id });
  return adminView(enabled);
}

/**
 * Deletes the account with the items DELETE /auth/me uses: the user (conditional on the hash just
 * read, so a racing password change cancels it), the email claim, the failed-login counter, the
 * pending email tokens, and the revocation of every session, in ONE transaction.
 */
export async function deleteUser(deps: AdminDeps, ref: string): Promise<{ id: string; email: string; revokedSessions: number }> {
  const user = await findUser(deps, ref);
  const now = deps.clock();
  const userItems = deps.users.deleteItems(user);
  const { items, sessionIds } = await userSessionRevocationItems(deps, user.id, now, 'account_deleted', { room: MAX_TRANSACTION_ITEMS - userItems.length });
  await write(deps, [...userItems, ...items]);
  const stragglers = await revokeUserSessions(deps, user.id, now, 'account_deleted');
  log.info('user deleted by an operator; every session revoked', { event: 'user_deleted', userId: user.id, revokedSessionIds: [...sessionIds, ...stragglers] });
  return { id: user.id, email: user.email, revokedSessions: sessionIds.length + stragglers.length };
}

/** A failed condition means the user changed between our read and our write: nothing was written. */
async function write(deps: AdminDeps, items: TransactWriteItem[]): Promise<void> {
  try {
    await deps.tx.write(items);
  } catch (err) {
    if (err instanceof ConditionsFailed) {
      throw serviceUnavailable(new Error(`the user changed meanwhile (${err.codes.join(',')}); nothing was written, run the command again`));
    }
    throw err;
  }
}
