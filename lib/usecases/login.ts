import { invalidCredentials } from '../errors';
import { log } from '../log';
import { costOf, dummyHash, hashPassword, verifyPassword } from '../passwords';
import { passwordAttemptKeys, reservePasswordAttempt } from '../throttle/password-attempts';
import type { LoginInput } from '../validation';
import type { Deps, RequestMeta } from './deps';
import { enforceIpLimit } from './rate-limit';
import { factorsKey, factorSetOf } from '../repositories/factors';
import { completeSignIn, type SignInResult } from '../sign-in';

/**
 * Signs a user in. DynamoDB requests: (1) the per-IP counter beside one BatchGetItem (email claim
 * + the two throttle counters); (2) the per-source reservation beside one BatchGetItem of the user
 * and its second factors; (3) the
 * per-account reservation; then bcrypt; on success (4) the session transaction with the user
 * item's update (lib/sign-in.ts; the session cap is read from the user item of (2)), then (5) the
 * two give-backs side by side. 5 requests for a wrong password, 7 for a success (8 when a counter
 * cannot be forgiven and is decremented instead), 2-3 for a throttled attempt. A user with a
 * second factor gets `mfaRequired` instead: (4) is the mfaToken's write, and no session is opened.
 */
export async function login(
  deps: Deps,
  input: LoginInput,
  meta: RequestMeta,
): Promise<SignInResult> {
  const now = deps.clock();
  const [, state] = await Promise.all([
    enforceIpLimit(deps, 'login', deps.config.loginIpLimitPerMinute, meta, now),
    deps.users.readLoginState(input.email, passwordAttemptKeys({ email: input.email, ip: meta.ip })),
  ]);
  // Reserved before the password is checked: the right password is refused too once throttled.
  const [attempt, { user, items }] = await Promise.all([
    reservePasswordAttempt(deps, { email: input.email, accountId: state.userId, ip: meta.ip }, now, state.items),
    deps.users.findForSignIn(state.userId, (id) => [factorsKey(id)]),
  ]);
  // Unknown emails pay for a full bcrypt compare too, so timing does not reveal which exist.
  const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? dummyHash(deps.config.bcryptCost));
  // A disabled account answers exactly like a wrong password, the attempt staying counted, whether
  // or not the password was right: the answer tells nobody that the account exists, let alone its state.
  const disabled = user?.disabledAt !== undefined;
  if (!user || !passwordOk || disabled) {
    log.warn('login failed', { event: 'login_failed', userId: user?.id, disabled: disabled || undefined });
    throw invalidCredentials();
  }
  // When BCRYPT_COST was raised since this hash was made, the sign-in also upgrades the hash, now
  // that we know the password. Not for a user with a second factor: no session is written here,
  // and the second step no longer knows the password (its hash upgrades at the next change).
  const upgradedHash = costOf(user.passwordHash) !== deps.config.bcryptCost ? await hashPassword(input.password, deps.config.bcryptCost) : undefined;
  const factors = factorSetOf(items.get(factorsKey(user.id)));
  const result = await completeSignIn(deps, user, meta, now, { methods: ['pwd'], factors, upgradedHash });
  // The give-back stays out of the session transaction: attackers writing the same counters
  // could otherwise cancel the owner's sign-in with transaction conflicts.
  await attempt.succeeded();
  return result;
}
