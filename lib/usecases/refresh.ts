import { rotateRefreshToken, type TokenResponse } from '../sessions';
import type { Deps } from './deps';

/** POST /auth/refresh: rotates the presented refresh token (rules in lib/sessions.ts). */
export function refresh(deps: Deps, presentedValue: string): Promise<TokenResponse> {
  return rotateRefreshToken(deps, presentedValue);
}
