/**
 * Credential changes (password change and reset, disabling and deleting an account; later email
 * change and factors) end the sessions they promise to end, including any session whose sign-in
 * raced the change. The rule, with its other half in lib/sign-in.ts:
 *
 * 1. Read the user item strongly consistently: its credential epoch, its sign-in count and the
 *    sessions it names (plus, for sessions opened before user items named them, the byOwner
 *    index's).
 * 2. Write ONE transaction: the change itself on the user item, which bumps the epoch and requires
 *    the epoch and sign-in count just read, and the revocation of those sessions.
 * 3. If the user item moved meanwhile (a sign-in committed, or another change), nothing was
 *    written: read again and decide again. A sign-in that committed first is now among the sessions
 *    revoked; one that commits after step 2 fails on the bumped epoch. A change that no longer
 *    applies (the password it checked is gone, the link was used) fails with its own error.
 *
 * So the change never answers an error because a login raced it, and no session opened with the
 * old credentials outlives it, at refresh (revoked) or at the authorizer (the same revocation,
 * within its cache bound).
 */
import { serviceUnavailable } from './errors';
import { log } from './log';
import { failedOn, MAX_TRANSACTION_ITEMS, part, type TransactionPart } from './repositories/transactions';
import { trackedSessions, type UserRecord, type UsersRepository } from './repositories/users';
import { userSessionRevocationItems, type RevocationReason, type RevokingDeps } from './sessions';
import type { TransactWriteItem } from './repositories/types';

export interface CredentialChangeDeps extends RevokingDeps {
  users: Pick<UsersRepository, 'findById'>;
}

export interface CredentialChange<T> {
  reason: RevocationReason;
  /** A session the change keeps (the caller's own, on a password change). */
  keep?: string | undefined;
  /**
   * Checks that the change still applies to the user as just read (throw the use case's error if
   * not) and returns the user item's write (a `UsersRepository` change item, conditional on the
   * user's epoch and sign-in count) given the sessions it revokes, plus any other parts.
   */
  plan(user: UserRecord | undefined, revoked: string[]): { user: UserRecord; userItem: TransactWriteItem | TransactionPart[]; others?: TransactionPart[]; result?: T };
  /** Translates a failed condition on one of `others` (e.g. a single-use token already used). */
  onConflict?(err: unknown): never | void;
}

/** Attempts against sign-ins and other changes committing between our read and our write. */
const MAX_ATTEMPTS = 8;

/** Commits `change` for user `userId` under the rule above; returns what the plan returned. */
export async function commitCredentialChange<T>(
  deps: CredentialChangeDeps,
  userId: string,
  now: Date,
  change: CredentialChange<T>,
): Promise<{ user: UserRecord; revokedSessionIds: string[]; result: T | undefined }> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const read = await deps.users.findById(userId, { consistent: true });
    const tracked = read ? trackedSessions(read, now).map((s) => s.sid) : [];
    // The plan sees the sessions before its own item is built, so it can forget them on the user.
    const provisional = change.plan(read, tracked.filter((sid) => sid !== change.keep));
    const userParts = Array.isArray(provisional.userItem) ? provisional.userItem : [part('user', provisional.userItem)];
    const others = provisional.others ?? [];
    const revocation = await userSessionRevocationItems(deps, provisional.user.id, now, change.reason, {
      tracked,
      except: change.keep,
      room: MAX_TRANSACTION_ITEMS - userParts.length - others.length,
    });
    // Sessions only the index listed are forgotten by nothing (the user item never named them).
    try {
      await deps.transactions.write([...userParts, ...others, ...revocation.items]);
    } catch (err) {
      // The user moved under us (a sign-in, another change) or a session item vanished by TTL:
      // read again and decide again.
      if (failedOn(err, 'user') || failedOn(err, 'revoke')) {
        log.info('credential change raced another write; retrying', { event: 'credential_change_retry', userId, attempt });
        continue;
      }
      change.onConflict?.(err);
      throw err;
    }
    return { user: provisional.user, revokedSessionIds: revocation.sessionIds, result: provisional.result };
  }
  throw serviceUnavailable(new Error(`credential change kept racing other writes (${MAX_ATTEMPTS} attempts)`));
}
