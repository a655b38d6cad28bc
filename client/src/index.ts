/**
 * A typed client for the lambda-jwt-auth API (docs/openapi.yaml), for browsers and Node 20+.
 *
 * @example
 * const auth = createAuthClient({ baseUrl: 'https://auth.example.com' });
 * auth.on('sessionend', ({ reason }) => showSignIn(reason));
 * const result = await auth.login({ email, password });
 * if (result.status === 'mfaRequired') await auth.verifySecondFactor({ mfaToken: result.mfaToken, code });
 * const me = await auth.account.me();
 */
import { accountApi } from './account.js';
import { activityApi } from './activity.js';
import { federationApi } from './federation.js';
import { send, type Transport } from './http.js';
import { mfaApi } from './mfa.js';
import { passkeyApi } from './passkey-api.js';
import { Session, type Listener, type SessionEvents, type SessionOptions } from './session.js';
import { signInApi } from './sign-in.js';

export { AuthError, isAuthError } from './errors.js';
export type { ApiErrorCode, AuthErrorCode, ClientErrorCode, FieldProblem, StepUpChallenge } from './errors.js';
export type { SessionEndReason, SessionEvents } from './session.js';
export type { LoginResult, SignedIn } from './sign-in.js';
export type { FederatedError, FederatedLanding, FederatedRedirect, LandingResult } from './federation.js';
export { readLanding } from './federation.js';
export type * from './types.js';
export type { components, operations, paths } from './openapi.js';

export interface AuthClientOptions extends SessionOptions {
  /** The auth API's base URL, e.g. `https://auth.example.com` (no trailing path). */
  baseUrl: string;
  /**
   * `cookie` (default; browsers): the refresh token stays in the API's HttpOnly cookie, out of
   * reach of scripts. `body`: the client holds it in memory (servers, native apps, tests).
   */
  transport?: 'cookie' | 'body';
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
  /** Body mode: the device token of an earlier sign-in (see `deviceToken()`). */
  deviceToken?: string;
}

export type AuthClient = ReturnType<typeof createAuthClient>;

export function createAuthClient(options: AuthClientOptions) {
  const transport: Transport = {
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    // Bound: a browser's fetch called as a method of another object throws "Illegal invocation".
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    cookieMode: (options.transport ?? 'cookie') === 'cookie',
  };
  const session = new Session(transport, options);
  const { signIn, api } = signInApi(transport, session, options.deviceToken === undefined ? {} : { deviceToken: options.deviceToken });
  return {
    ...api,
    account: accountApi(transport, session),
    mfa: mfaApi(session),
    activity: activityApi(session),
    /** Passkey requests; `createPasskeys(auth)` of `@lambda-jwt-auth/client/passkeys` runs the ceremonies. */
    passkeys: passkeyApi(transport, session, signIn),
    federation: federationApi(transport, session, signIn),

    /** True while the client holds an access token. */
    signedIn: (): boolean => session.signedIn,
    /** A valid access token (refreshed when missing or about to expire), e.g. for another API. */
    accessToken: (): Promise<string> => session.token(),
    /** Body mode: the refresh token to keep, to resume the session later (`refreshToken` option). */
    refreshToken: (): string | null => session.currentRefreshToken,
    /** Listens to `sessionstart` or `sessionend`; returns the function that stops listening. */
    on: <E extends keyof SessionEvents>(type: E, listener: Listener<E>): (() => void) => session.on(type, listener),
    /** Stops the refresh timer (the client still refreshes when a call needs it). */
    close: (): void => session.close(),
    /** The API's public signing keys (for checking tokens elsewhere). */
    jwks: () => send<import('./types.js').Jwks>(transport, { method: 'GET', path: '/.well-known/jwks.json' }),
  };
}
