/**
 * The options that start each passkey ceremony, with their challenges stored (lib/repositories/
 * webauthn-challenges.ts). Apart from lib/usecases/passkeys.ts, which checks what comes back: the
 * functions that only hand options out do not load the checking library.
 */
import type { Caller } from '../caller';
import { invalidMfaToken, notFound } from '../errors';
import { log } from '../log';
import { hashMfaToken } from '../mfa/mfa-token';
import { authenticationOptions, registrationOptions, relyingPartyOf } from '../passkeys/relying-party';
import { passkeysOf } from '../repositories/factors';
import type { Deps, RequestMeta } from './deps';
import { callerUser } from './mfa';
import { enforceIpLimit } from './rate-limit';

/** POST /auth/passkeys/register/options (step-up): creation options for a new passkey of the caller. */
export async function passkeyRegistrationOptions(deps: Deps, caller: Pick<Caller, 'userId'>) {
  const now = deps.clock();
  const [user, set] = await Promise.all([callerUser(deps, caller), deps.factors.get(caller.userId)]);
  const options = registrationOptions(relyingPartyOf(deps.config), { id: user.id, email: user.email, name: user.name }, passkeysOf(set));
  await deps.challenges.store(options.challenge, { purpose: 'register', userId: user.id }, now);
  log.info('passkey registration started', { event: 'passkey_registration_options', userId: user.id });
  return options;
}

/**
 * POST /auth/passkeys/login/options: request options for a discoverable credential (the browser
 * offers the user's passkeys for this RP id). Counted against the source IP like a login: each
 * one stores a challenge.
 */
export async function passkeyLoginOptions(deps: Deps, meta: RequestMeta) {
  const now = deps.clock();
  await enforceIpLimit(deps, 'login', deps.config.loginIpLimitPerMinute, meta, now);
  const options = authenticationOptions(relyingPartyOf(deps.config));
  await deps.challenges.store(options.challenge, { purpose: 'login' }, now);
  return options;
}

/**
 * POST /auth/mfa/challenge: request options for the passkeys of the user whose password sign-in
 * answered `mfaRequired`. The challenge is bound to that user and that mfaToken. Reserves no
 * attempt (nothing is checked); the verify that follows does.
 */
export async function passkeyChallengeForMfa(deps: Deps, input: { mfaToken: string }) {
  const now = deps.clock();
  const pending = await deps.mfaTokens.find(input.mfaToken, now);
  if (!pending) throw invalidMfaToken();
  const passkeys = passkeysOf(await deps.factors.get(pending.userId));
  if (passkeys.length === 0) throw notFound();
  const options = authenticationOptions(relyingPartyOf(deps.config), passkeys);
  await deps.challenges.store(options.challenge, { purpose: 'mfa', userId: pending.userId, mfaTokenHash: hashMfaToken(input.mfaToken) }, now);
  return options;
}
