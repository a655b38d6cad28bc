/**
 * Passkeys (docs/guides/mfa-and-passkeys.md "Passkeys (WebAuthn)"): registration, discoverable sign-in, the second step of
 * a password sign-in, and reauthentication. The ceremonies are checked in lib/passkeys/webauthn.ts;
 * this module decides whose credential it is and what it opens.
 *
 * - Every ceremony starts with options whose challenge is stored (lib/repositories/
 *   webauthn-challenges.ts: single use, 5 minutes, bound to its purpose and, for registration and
 *   the second step, to the user and mfaToken). The challenge a response names is consumed BEFORE
 *   the response is checked, so a replayed response finds nothing to match.
 * - A credential signs in its owner only: the sign-in reads the credential id's lookup item (who
 *   registered it) and requires the response's user handle to name that same user, and the
 *   credential to be that user's factor. The second step and reauthentication require the
 *   credential to be the already known user's.
 * - A passkey is a factor like a TOTP (lib/usecases/mfa.ts): listed, removed and counted the same
 *   way, added through the same path (the first one a credential change), and its sign-in is
 *   `aal2` through the one door (lib/sign-in.ts), its counter written in the session's transaction
 *   on the condition that it went forward.
 */
import { randomUUID } from 'node:crypto';
import type { Caller } from '../caller';
import { describeError } from '../log';
import { hasCode, invalidPasskey, unauthorized } from '../errors';
import { log } from '../log';
import { hashMfaToken } from '../mfa/mfa-token';
import { authenticationOf } from '../authentication';
import { reauthenticatedSession } from '../sessions';
import { challengeOf, relyingPartyOf, userIdOfHandle } from '../passkeys/relying-party';
import { checkAssertion, checkRegistration, type AuthenticationResponseJSON } from '../passkeys/webauthn';
import { factorsKey, factorSetOf, passkeyKey, passkeyOwnerOf, passkeysOf, type FactorSet, type PasskeyFactor } from '../repositories/factors';
import { part, parts } from '../repositories/transactions';
import type { ChallengeBinding } from '../repositories/webauthn-challenges';
import type { TokenResponse } from '../sessions';
import { completeSignIn, type SignInResult } from '../sign-in';
import type { PasskeyAssertion, PasskeyLoginInput, PasskeyRegisterInput } from '../validation';
import type { AccountDeps } from './account-deps';
import type { Deps, RequestMeta } from './deps';
import { deviceKey, isKnownDevice } from '../repositories/devices';
import { deviceTokenOf } from '../tokens/device-token';
import { callerUser, commitFactorAdded, commitReauthentication, completeSecondStep, publicFactor, type PublicFactor } from './mfa';

/** The name a passkey gets when its owner gives none. */
const DEFAULT_PASSKEY_NAME = 'Passkey';

/**
 * Consumes the challenge `response` was made over, as bound by `expected`; refuses when its
 * challenge cannot be read or is not a live one of that binding (unknown, used, expired, another
 * purpose, user or mfaToken). Returns the challenge for the signature check.
 */
async function consumeChallenge(deps: Deps, response: { response: { clientDataJSON: string } }, expected: ChallengeBinding, now: Date): Promise<string> {
  const challenge = challengeOf(response);
  if (!challenge) throw invalidPasskey(new Error('no challenge in clientDataJSON'));
  if (!(await deps.challenges.consume(challenge, expected, now))) throw invalidPasskey(new Error(`challenge unknown, used, expired or not for this ${expected.purpose}`));
  return challenge;
}

/** The user's passkey with this credential id, if the response's user handle (when given) names the same user. */
function ownPasskey(set: FactorSet, userId: string, response: PasskeyAssertion): PasskeyFactor {
  const handle = userIdOfHandle(response.response.userHandle);
  if (handle !== undefined && handle !== userId) throw invalidPasskey(new Error('user handle names another user'));
  const passkey = passkeysOf(set).find((p) => p.credentialId === response.id);
  if (!passkey) throw invalidPasskey(new Error('credential is not one of the user\'s passkeys'));
  return passkey;
}

/**
 * POST /auth/passkeys/register/verify: the response to the caller's own registration challenge
 * becomes a passkey factor, through the path every factor takes (lib/usecases/mfa.ts
 * `commitFactorAdded`: the first factor is a credential change that revokes the caller's other
 * sessions). Its credential id's lookup item is put on the condition that no user has it, so a
 * registration response replayed into another account (its challenge rewritten: attestation
 * `none` signs nothing) is refused.
 */
export async function registerPasskey(deps: AccountDeps, caller: Pick<Caller, 'userId' | 'sessionId'>, input: PasskeyRegisterInput, meta: RequestMeta): Promise<{ factor: Omit<PublicFactor, 'lastUsedAt'> }> {
  const now = deps.clock();
  const [challenge, set, user] = await Promise.all([
    consumeChallenge(deps, input.response, { purpose: 'register', userId: caller.userId }, now),
    deps.factors.get(caller.userId),
    // The user: its session upgraded with a first factor, its address told of the new passkey.
    callerUser(deps, caller),
  ]);
  const { method, ...registered } = await checkRegistration(relyingPartyOf(deps.config), input.response, challenge);
  const factorId = randomUUID();
  const createdAt = now.toISOString();
  const name = input.name ?? DEFAULT_PASSKEY_NAME;
  const first = set.factors.length === 0;
  const writes = parts('enrol', deps.factors.addPasskeyItems(caller.userId, { id: factorId, name, createdAt, ...registered }, { first, now }));
  if (first) {
    // As a first TOTP does: the registering session (step-up fresh, now holding the factor it just
    // proved with user verification) becomes aal2, the user's only session left. Its next refresh
    // states it; the answer carries no tokens (the contract's answer is the factor alone).
    const upgraded = await reauthenticatedSession(deps, user, caller.sessionId, authenticationOf(['pwd', method], now), now);
    if (!upgraded) throw unauthorized();
    writes.push(...upgraded.items);
  }
  await commitFactorAdded(deps, caller, meta, now, { factorId, type: 'passkey', email: user.email, first, recoveryCodesIssued: false, writes });
  return { factor: (({ lastUsedAt: _unused, ...f }) => f)(publicFactor({ id: factorId, type: 'passkey', name, createdAt, lastUsedAt: undefined })) };
}

/**
 * POST /auth/passkeys/login/verify: a passkey sign-in, `aal2`, through lib/sign-in.ts. DynamoDB
 * requests: (1) the challenge consumed beside one BatchGetItem of the credential's lookup item and
 * the user and factors its user handle names; (2) the session transaction, with the counter
 * written (conditional on going forward) and the user checked as read.
 */
export async function signInWithPasskey(deps: AccountDeps, input: PasskeyLoginInput, meta: RequestMeta): Promise<SignInResult> {
  const now = deps.clock();
  const response = input.response;
  const claimed = userIdOfHandle(response.response.userHandle);
  const presented = deviceTokenOf(input.deviceToken);
  const [challenge, { user, items }] = await Promise.all([
    consumeChallenge(deps, response, { purpose: 'login' }, now),
    // The lookup item says whose credential this is; the user read is the one the handle claims,
    // read in the same batch and used only if the two agree. A presented device token is read
    // there too, as at login (a known device is spared the new-device notice).
    deps.users.findForSignIn(claimed, () => [passkeyKey(response.id), ...(claimed ? [factorsKey(claimed)] : []), ...(presented ? [deviceKey(presented.hash)] : [])]),
  ]);
  const owner = passkeyOwnerOf(items.get(passkeyKey(response.id)));
  try {
    if (!claimed) throw invalidPasskey(new Error('no user handle: not a discoverable credential'));
    if (!owner) throw invalidPasskey(new Error('credential not registered'));
    // The credential's owner is the only user it signs in, whatever handle the response carries.
    if (owner.userId !== claimed) throw invalidPasskey(new Error('user handle is not the credential owner'));
    if (!user || user.disabledAt) throw invalidPasskey(new Error('owner missing or disabled'));
    const factors = factorSetOf(items.get(factorsKey(user.id)));
    const passkey = ownPasskey(factors, user.id, response);
    const checked = await checkAssertion(relyingPartyOf(deps.config), response as AuthenticationResponseJSON, challenge, passkey);
    const known = isKnownDevice(items, presented?.hash, user.id, now);
    return await completeSignIn(deps, user, meta, now, {
      methods: [checked.method],
      factors,
      device: { known },
      secondStep: [part('factor', deps.factors.acceptPasskeyItem(user.id, passkey.id, checked.counter, now))],
      conflicts: { factor: invalidPasskey },
    });
  } catch (err) {
    if (hasCode(err, 'invalid_code')) {
      log.warn('passkey sign-in failed', { event: 'login_failed', method: 'passkey', userId: owner?.userId, reason: describeError(err.cause) });
    }
    throw err;
  }
}

/**
 * POST /auth/mfa/verify with `passkey`: the second step in the frame of lib/usecases/mfa.ts (the
 * mfaToken's attempt and the account's throttle reserved first), its challenge consumed beside the
 * user's read, the credential required to be that user's.
 */
export async function verifyPasskeySecondStep(deps: AccountDeps, input: { mfaToken: string; passkey: PasskeyAssertion }, meta: RequestMeta): Promise<SignInResult> {
  return completeSecondStep(deps, input.mfaToken, meta, {
    method: 'passkey',
    // A refused challenge is the check's failure, told after the token's binding was checked.
    alongside: (pending, now) =>
      consumeChallenge(deps, input.passkey, { purpose: 'mfa', userId: pending.userId, mfaTokenHash: hashMfaToken(input.mfaToken) }, now).then(
        (challenge) => ({ challenge }),
        (err: unknown) => ({ error: err }),
      ),
    async check({ user, factors, now, alongside }) {
      if ('error' in alongside) throw alongside.error;
      const passkey = ownPasskey(factors, user.id, input.passkey);
      const checked = await checkAssertion(relyingPartyOf(deps.config), input.passkey as AuthenticationResponseJSON, alongside.challenge, passkey);
      return { method: checked.method, writes: [part('factor', deps.factors.acceptPasskeyItem(user.id, passkey.id, checked.counter, now))] };
    },
  });
}

/**
 * POST /auth/reauthenticate with `{passkey}` (options from POST /auth/passkeys/login/options): one
 * of the caller's own passkeys, then the caller's session takes a fresh `auth_time` at `aal2`
 * (lib/usecases/mfa.ts `commitReauthentication`, the counter written in its transaction).
 */
export async function reauthenticateWithPasskey(deps: Deps, caller: Pick<Caller, 'userId' | 'sessionId'>, input: { passkey: PasskeyAssertion }): Promise<TokenResponse> {
  const now = deps.clock();
  const [challenge, user, set] = await Promise.all([
    consumeChallenge(deps, input.passkey, { purpose: 'login' }, now),
    callerUser(deps, caller),
    deps.factors.get(caller.userId),
  ]);
  const passkey = ownPasskey(set, user.id, input.passkey);
  const checked = await checkAssertion(relyingPartyOf(deps.config), input.passkey as AuthenticationResponseJSON, challenge, passkey);
  return commitReauthentication(deps, user, caller, [checked.method], [part('factor', deps.factors.acceptPasskeyItem(user.id, passkey.id, checked.counter, now))], now);
}
