import type { Transport } from './http.js';
import { send } from './http.js';
import type { Session } from './session.js';
import type { LoginRequest, LogoutScope, RegisterRequest, SecondFactorProof, SecondFactorSummary, User } from './types.js';
import type { components } from './openapi.js';

type Schemas = components['schemas'];
type SignedInAnswer = (Schemas['LoginResponse'] | Schemas['CookieAuthResponse']) & { deviceToken?: string };

/**
 * The answer of a sign-in (password, federated code, passkey): a session, or the second step it
 * needs first (never for a passkey, which is both factors).
 */
export type LoginResult =
  | { status: 'signedIn'; user: User }
  | { status: 'mfaRequired'; mfaToken: string; factors: SecondFactorSummary[] };
export type SignedIn = Extract<LoginResult, { status: 'signedIn' }>;

/**
 * A sign-in request to one of the token routes (login, federated code exchange, passkey
 * sign-in): sends the body mode's device token with it, takes the session it answers.
 */
export type SignIn = (path: string, input: { [field: string]: unknown; deviceToken?: string }) => Promise<LoginResult>;

/**
 * Sign-up, sign-in (with its second step), refresh and sign-out. Body mode remembers the
 * `deviceToken` a sign-in returns and sends it with the next (cookie mode: the API's device cookie
 * does that), so this client keeps its own allowance of password guesses.
 */
export function signInApi(transport: Transport, session: Session, options: { deviceToken?: string } = {}) {
  let deviceToken = options.deviceToken;

  const signedIn = (answer: SignedInAnswer): User => {
    if (answer.deviceToken) deviceToken = answer.deviceToken;
    session.accept(answer);
    return answer.user;
  };

  const signIn: SignIn = async (path, input) => {
    const body = transport.cookieMode || !deviceToken || input.deviceToken ? input : { ...input, deviceToken };
    const answer = await send<SignedInAnswer | Schemas['MfaRequired']>(transport, { method: 'POST', path, body, tokenRoute: true });
    if ('mfaRequired' in answer) return { status: 'mfaRequired', mfaToken: answer.mfaToken, factors: answer.factors };
    return { status: 'signedIn', user: signedIn(answer) };
  };

  return {
    signIn,
    api: {
      /** Creates the account (a verification email is sent) and signs in. */
      async register(input: RegisterRequest): Promise<User> {
        return signedIn(await send<SignedInAnswer>(transport, { method: 'POST', path: '/auth/register', body: input, tokenRoute: true }));
      },

      /**
       * Signs in with email and password. A user with a second factor gets `mfaRequired`: pass its
       * `mfaToken` with a code (or a passkey) to `verifySecondFactor` within 5 minutes.
       */
      login: (input: LoginRequest): Promise<LoginResult> => signIn('/auth/login', input),

      /**
       * Completes a sign-in that answered `mfaRequired`, with a TOTP code, a recovery code or a
       * passkey assertion (`createPasskeys(auth).verifySecondFactor` runs that ceremony).
       */
      async verifySecondFactor(proof: SecondFactorProof): Promise<User> {
        return signedIn(await send<SignedInAnswer>(transport, { method: 'POST', path: '/auth/mfa/verify', body: proof, tokenRoute: true }));
      },

      /** Resolves true when signed in (restores a cookie-mode session after a page load). */
      refresh: (): Promise<boolean> => session.refresh(),

      /**
       * Signs out: `local` (default) this session, `global` every session of the user, `others`
       * every session but this one. This client forgets its tokens for `local` and `global` even
       * when the API cannot be reached.
       */
      async logout(scope: LogoutScope = 'local'): Promise<void> {
        try {
          if (scope === 'local') {
            const refreshToken = session.currentRefreshToken;
            await send(transport, { method: 'POST', path: '/auth/logout', body: refreshToken ? { refreshToken } : {}, tokenRoute: true });
          } else {
            await session.authed({ method: 'POST', path: '/auth/logout', body: { scope }, tokenRoute: true });
          }
        } finally {
          if (scope !== 'others') session.end('logout');
        }
      },

      /** Body mode: the device token to keep with the app's data and pass back as `deviceToken`. */
      deviceToken: (): string | undefined => deviceToken,
    },
  };
}
