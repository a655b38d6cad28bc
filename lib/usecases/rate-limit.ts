import { tooManyAttempts } from '../errors';
import { log } from '../log';
import type { Deps, RequestMeta } from './deps';

/**
 * Per-source-IP limit for unauthenticated, expensive endpoints (each login or registration costs
 * a bcrypt run). A limit of 0 disables it; requests without a known source IP are not limited.
 */
export async function enforceIpLimit(deps: Deps, action: 'login' | 'register', limit: number, meta: RequestMeta, now: Date): Promise<void> {
  if (limit <= 0 || !meta.ip) return;
  const { count, windowEndsAt } = await deps.rateLimits.hit(`${action}:${meta.ip}`, 60, now);
  if (count > limit) {
    log.warn('rate limit hit', { event: `${action}_ip_limited`, ip: meta.ip, count });
    throw tooManyAttempts(windowEndsAt - now.getTime() / 1000);
  }
}
