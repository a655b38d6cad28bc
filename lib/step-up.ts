/**
 * Step-up (RFC 9470), the one rule for sensitive operations (password change, account deletion, email change,
 * enrolling or removing a factor, new recovery codes): the caller's access token must state an
 * `auth_time` at most STEP_UP_MAX_AGE_SECONDS old and, for a user with a confirmed second factor,
 * `acr` `aal2`. Otherwise 401 `insufficient_user_authentication`, whose `WWW-Authenticate`
 * challenge names `max_age` (and `acr_values="aal2"` when the factor is what is missing); the
 * client calls `POST /auth/reauthenticate` and retries.
 *
 * The HTTP middleware applies it to the routes declared `stepUp` (lib/http/middleware.ts), before
 * the handler runs. The factor question costs one read, and only for an `aal1` token: an `aal2`
 * token proves the factor already.
 */
import type { Caller } from './caller';
import { epochSeconds } from './clock';
import { insufficientUserAuthentication } from './errors';

export interface StepUpPolicy {
  maxAgeSeconds: number;
  /** Whether the user has a confirmed second factor (read strongly consistently). */
  hasFactor(userId: string): Promise<boolean>;
  clock(): Date;
}

/** Throws 401 `insufficient_user_authentication` unless the caller's authentication is recent and strong enough. */
export async function requireRecentAuthentication(policy: StepUpPolicy, caller: Pick<Caller, 'userId' | 'acr' | 'authTime'>): Promise<void> {
  const age = epochSeconds(policy.clock()) - caller.authTime;
  // auth_time 0 is a session older than the claim; one in the future is not ours to trust either.
  const recent = caller.authTime > 0 && age <= policy.maxAgeSeconds && age >= -5;
  const needsAal2 = caller.acr !== 'aal2' && (await policy.hasFactor(caller.userId));
  if (!recent || needsAal2) throw insufficientUserAuthentication(policy.maxAgeSeconds, needsAal2);
}

/** The policy of a container's use-case dependencies. */
export function stepUpPolicy(deps: { config: { stepUpMaxAgeSeconds: number }; factors: { get(userId: string): Promise<{ factors: unknown[] }> }; clock(): Date }): StepUpPolicy {
  return {
    maxAgeSeconds: deps.config.stepUpMaxAgeSeconds,
    hasFactor: async (userId) => (await deps.factors.get(userId)).factors.length > 0,
    clock: () => deps.clock(),
  };
}
