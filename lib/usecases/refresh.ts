import { rotateRefreshToken, type TokenResponse } from '../sessions';
import type { Deps, RequestMeta } from './deps';

/**
 * POST /auth/refresh: rotates the presented refresh token (rules in lib/sessions.ts); a retry
 * within the grace window must come from the same user agent as the first use.
 */
export function refresh(deps: Deps, presentedValue: string, meta: Partial<RequestMeta> = {}): Promise<TokenResponse> {
  return rotateRefreshToken(deps, presentedValue, { userAgent: meta.userAgent, ip: meta.ip });
}
