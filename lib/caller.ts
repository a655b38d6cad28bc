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
}
