import type { UserRecord } from './repositories/users';

/** A user as the API shows it (docs/openapi.yaml `User`): never the password hash. */
export interface PublicUser {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
  emailVerified: boolean;
  createdAt: string;
}

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
