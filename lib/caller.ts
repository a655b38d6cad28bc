/**
 * The signed-in caller of a route behind the authorizer, as the authorizer's context described it
 * (lib/authorizer.ts `contextOf`). Use cases take it as it is; they never read tokens themselves.
 */
export interface Caller {
  userId: string;
  sessionId: string;
  email: string;
  emailVerified: boolean;
  /** Comma-separated, as the context carries them. */
  roles: string;
  /** The session's authentication (lib/authentication.ts): `aal1` when the context has none. */
  acr: string;
  /** Comma-separated RFC 8176 values. */
  amr: string;
  /** `auth_time` in epoch seconds; 0 when the token has none (a session older than the claim). */
  authTime: number;
}
