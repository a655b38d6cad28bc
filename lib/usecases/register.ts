import { randomUUID } from 'node:crypto';
import { log } from '../log';
import { hashPassword } from '../passwords';
import type { UserRecord } from '../repositories/users';
import type { RegisterInput } from '../validation';
import type { Deps, RequestMeta, TokenResponse } from './deps';
import { enforceIpLimit } from './rate-limit';
import { publicUser, type PublicUser } from '../public-user';
import { openSession } from '../sessions';

export const DEFAULT_ROLES = ['user'];

/**
 * Creates the user, claims the email and opens the first session in ONE transaction: either the
 * client gets a working account with tokens, or nothing at all was written.
 */
export async function register(
  deps: Deps,
  input: RegisterInput,
  meta: RequestMeta,
): Promise<{ user: PublicUser } & TokenResponse> {
  const now = deps.clock();
  await enforceIpLimit(deps, 'register', deps.config.registerIpLimitPerMinute, meta, now);
  const user: UserRecord = {
    id: randomUUID(),
    email: input.email,
    name: input.name,
    roles: [...DEFAULT_ROLES],
    emailVerified: false,
    createdAt: now.toISOString(),
    passwordHash: await hashPassword(input.password, deps.config.bcryptCost),
  };
  const session = await openSession(deps, user, meta, now, { existingUser: false });
  await deps.users.create(user, session.items);
  log.info('user registered', { event: 'register', userId: user.id, sessionId: session.sid, requestId: meta.requestId });
  return { user: publicUser(user), ...session.tokens };
}
