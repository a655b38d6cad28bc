import { invalidAccessToken } from '../errors';
import type { Deps } from './deps';
import { publicUser, type PublicUser } from '../public-user';

/** The signed-in user as `GET /auth/me` shows it: with the federated identities that sign in to it. */
export type Me = PublicUser & { identities: { provider: string; linkedAt: string }[] };

/** The signed-in user. A token of a user deleted since it was issued gets `unauthorized`. */
export async function me(deps: Pick<Deps, 'users'>, userId: string): Promise<Me> {
  const user = await deps.users.findById(userId);
  // The token checked out but its user is gone (deleted since it was issued).
  if (!user) throw invalidAccessToken();
  // The provider's subject stays server-side: it names the person at the provider, not here.
  return { ...publicUser(user), identities: user.identities.map(({ provider, linkedAt }) => ({ provider, linkedAt })) };
}
