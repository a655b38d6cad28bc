import { invalidAccessToken } from '../errors';
import type { Deps } from './deps';
import { publicUser, type PublicUser } from '../public-user';

/** The signed-in user. A token of a user deleted since it was issued gets `unauthorized`. */
export async function me(deps: Pick<Deps, 'users'>, userId: string): Promise<PublicUser> {
  const user = await deps.users.findById(userId);
  // The token checked out but its user is gone (deleted since it was issued).
  if (!user) throw invalidAccessToken();
  return publicUser(user);
}
