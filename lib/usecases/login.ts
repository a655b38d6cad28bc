import { invalidCredentials } from '../errors';
import { describeError, log } from '../log';
import { costOf, dummyHash, hashPassword, verifyPassword } from '../passwords';
import { passwordAttemptKeys, reservePasswordAttempt } from '../throttle/password-attempts';
import type { LoginInput } from '../validation';
import type { RequestMeta } from './deps';
import type { AccountDeps } from './account-deps';
import { enforceIpLimit } from './rate-limit';
import { factorsKey, factorSetOf } from '../repositories/factors';
import { completeSignIn, type SignInResult } from '../sign-in';
import { deviceKey, isKnownDevice } from '../repositories/devices';
import { hasPassword } from '../repositories/users';
import { deviceTokenOf } from '../tokens/device-token';

/**
 * Signs a user in. DynamoDB requests: (1) the per-IP counter beside one BatchGetItem (email claim
 * + the two throttle counters); (2) the per-source reservation beside one BatchGetItem of the user
 * and its second factors; (3) the
 * per-account reservation; then bcrypt; on success (4) the session transaction with the user
 * item's update (lib/sign-in.ts; the session cap is read from the user item of (2)), then (5) the
 * two give-backs side by side. 5 requests for a wrong password, 7 for a success (8 when a counter
 * cannot be forgiven and is decremented instead), 2-3 for a throttled attempt. A presented device
 * token adds keys to (1), not requests; a client without one gets a new one in (4)'s transaction,
 * and its user a notice of the new device after it (the mailbox limit's read and conditional
 * write, 2 more DynamoDB requests, then the send to SES). A user with a second factor gets `mfaRequired` instead: (4)
 * is the mfaToken's write, which remembers whether the device was known, and neither a session
 * nor a device token is issued (the device record rides with a session only).
 */
export async function login(
  deps: AccountDeps,
  input: LoginInput,
  meta: RequestMeta,
): Promise<SignInResult> {
  const now = deps.clock();
  // A device token is read in the same batch as the rest (the record and the device's counter),
  // before anyone knows it is genuine: a forged one only ever reads keys that do not exist.
  const presented = deviceTokenOf(input.deviceToken);
  const [, state] = await Promise.all([
    enforceIpLimit(deps, 'login', deps.config.loginIpLimitPerMinute, meta, now),
    deps.users.readLoginState(input.email, [
      ...passwordAttemptKeys({ email: input.email, ip: meta.ip, device: presented?.id }),
      ...(presented ? [deviceKey(presented.hash)] : []),
    ]),
  ]);
  const knownDevice = isKnownDevice(state.items, presented?.hash, state.userId, now);
  // Reserved before the password is checked: the right password is refused too once throttled.
  const [attempt, { user, items }] = await Promise.all([
    reservePasswordAttempt(deps, { email: input.email, accountId: state.userId, ip: meta.ip, device: knownDevice ? presented!.id : undefined }, now, state.items),
    deps.users.findForSignIn(state.userId, (id) => [factorsKey(id)]),
  ]);
  // Unknown emails, and accounts without a password (made by a federated sign-in), pay for a full
  // bcrypt compare too, so timing does not reveal which exist or how they sign in.
  const passwordOk = user !== undefined && hasPassword(user) && await verifyPassword(input.password, user.passwordHash);
  if (!user || !hasPassword(user)) await verifyPassword(input.password, dummyHash(deps.config.bcryptCost));
  // A disabled account answers exactly like a wrong password, the attempt staying counted, whether
  // or not the password was right: the answer tells nobody that the account exists, let alone its state.
  const disabled = user?.disabledAt !== undefined;
  if (!user || !passwordOk || disabled) {
    log.warn('login failed', { event: 'login_failed', userId: user?.id, disabled: disabled || undefined });
    // Best effort and not awaited: a failed login has no transaction to ride in, and its answer
    // must not wait for this write. An unknown email sends the same write, storing nothing.
    void deps.events.record({ userId: user?.id, type: 'login_failed', ip: meta.ip, userAgent: meta.userAgent }, now).catch((err) => log.warn('security event not recorded', { event: 'security_event_failed', type: 'login_failed', error: describeError(err) }));
    throw invalidCredentials();
  }
  // When BCRYPT_COST was raised since this hash was made, the sign-in also upgrades the hash, now
  // that we know the password. Not for a user with a second factor: no session is written here,
  // and the second step no longer knows the password (its hash upgrades at the next change).
  const upgradedHash = costOf(user.passwordHash) !== deps.config.bcryptCost ? await hashPassword(input.password, deps.config.bcryptCost) : undefined;
  const factors = factorSetOf(items.get(factorsKey(user.id)));
  // A client without a known device of this account gets a device token with its session, and
  // the user a notice of the new device (lib/sign-in.ts).
  const result = await completeSignIn(deps, user, meta, now, { methods: ['pwd'], factors, upgradedHash, device: { known: knownDevice } });
  // The give-back stays out of the session transaction: attackers writing the same counters
  // could otherwise cancel the owner's sign-in with transaction conflicts.
  await attempt.succeeded();
  return result;
}
