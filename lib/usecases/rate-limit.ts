import { tooManyAttempts } from '../errors';
import { sourceKey } from '../source-key';
import { log } from '../log';
import type { Deps, RequestMeta } from './deps';

/**
 * Per-source limit for unauthenticated, expensive endpoints (each login or registration costs a
 * bcrypt run). A limit of 0 disables it. Requests without a known source IP are not let through
 * unlimited: they share one bucket (see lib/http/client-ip.ts), IPv6 clients are counted per /64.
 */
export async function enforceIpLimit(deps: Deps, action: 'login' | 'register', limit: number, meta: RequestMeta, now: Date): Promise<void> {
  if (limit <= 0) return;
  const source = sourceKey(meta.ip);
  const { count, windowEndsAt } = await deps.rateLimits.hit(`${action}:${source}`, 60, now);
  if (count > limit) {
    log.warn('rate limit hit', { event: `${action}_ip_limited`, ip: source, count });
    throw tooManyAttempts(windowEndsAt - now.getTime() / 1000);
  }
}
