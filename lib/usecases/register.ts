import { authenticationOf } from '../authentication';
import { randomUUID } from 'node:crypto';
import { describeError, log } from '../log';
import { hashPassword } from '../passwords';
import { publicUser, type PublicUser } from '../public-user';
import type { UserRecord } from '../repositories/users';
import { openSession, type TokenResponse } from '../sessions';
import { part, parts } from '../repositories/transactions';
import { newDeviceToken } from '../tokens/device-token';
import { epochSeconds } from '../clock';
import type { RegisterInput } from '../validation';
import type { AccountDeps } from './account-deps';
import type { RequestMeta } from './deps';
import { addressAllowed, issueToken, sendLinkEmail } from './email-links';
import { enforceIpLimit } from './rate-limit';

export const DEFAULT_ROLES = ['user'];

/**
 * Creates the user, claims the email, stores the hash of a verification token, opens the first
 * session and records the client's device token in ONE transaction: either the client gets a
 * working account with tokens, or nothing at all was written. The device token makes the
 * registering browser a known device, so its next login sends no "new sign-in" notice. The verification email goes out afterwards; if sending fails the
 * account still stands (logged), and POST /auth/email/resend sends a new link.
 */
export async function register(
  deps: AccountDeps,
  input: RegisterInput,
  meta: RequestMeta,
): Promise<{ user: PublicUser; deviceToken: string } & TokenResponse> {
  const now = deps.clock();
  await enforceIpLimit(deps, 'register', deps.config.registerIpLimitPerMinute, meta, now);
  const id = randomUUID();
  // The user item itself records the token as current, so no separate update is needed.
  const verification = issueToken(deps, 'verify', id, now, undefined, { pointUser: false });
  const user: UserRecord = {
    id,
    email: input.email,
    name: input.name,
    roles: [...DEFAULT_ROLES],
    emailVerified: false,
    createdAt: now.toISOString(),
    passwordHash: await hashPassword(input.password, deps.config.bcryptCost),
    verifyTokenHash: verification.token.hash,
    credentialEpoch: 0,
    signIns: 1,
    sessionEnds: {},
    identities: [],
  };
  const session = await openSession(deps, user, meta, now, authenticationOf(['pwd'], now));
  // The user item names its first session, as every sign-in's does (lib/sign-in.ts).
  user.sessionEnds[session.sid] = session.expiresAt;
  const device = newDeviceToken();
  const deviceItem = part('device', deps.users.deviceItem(device.hash, id, now, epochSeconds(now) + deps.config.loginDeviceTtlDays * 86_400));
  await deps.users.create(user, [...session.items, ...parts('token', verification.items), deviceItem]);
  log.info('user registered', { event: 'register', userId: user.id, sessionId: session.sid });
  try {
    // Counts toward the address's limit, so register/delete cycles cannot flood a mailbox.
    if (await addressAllowed(deps, 'verify', user.email, user.id, now, meta)) {
      await sendLinkEmail(deps, 'verify', user.email, verification.token.value, { userId: user.id });
    }
  } catch (err) {
    // The account exists and the client is signed in: a failed limit check must not turn that into a 503.
    log.error('verification email skipped', { event: 'email_failed', kind: 'verify', userId: user.id, error: describeError(err) });
  }
  return { user: publicUser(user), ...session.tokens, deviceToken: device.value };
}
