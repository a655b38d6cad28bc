import { AuthError } from './errors.js';
import { send, type Transport } from './http.js';
import type { Session } from './session.js';
import type { SignedIn, SignIn } from './sign-in.js';
import type { Factor, NewPasskey, PasskeyAssertion, PasskeyCreationOptions, PasskeyRegistration, PasskeyRequestOptions } from './types.js';

/**
 * The passkey requests, without the WebAuthn ceremony between them: options from the API, the
 * browser's answer back to it. The `@lambda-jwt-auth/client/passkeys` entry (`createPasskeys`)
 * runs each ceremony with `@simplewebauthn/browser` and calls these; this part stays in the core,
 * so an app without passkeys carries no WebAuthn code.
 */
export function passkeyApi(transport: Transport, session: Session, signIn: SignIn) {
  return {
    /**
     * Creation options for a new passkey of the signed-in user. A step-up operation: an
     * `AuthError` with `needsReauthentication` asks for `mfa.reauthenticate` first.
     */
    registrationOptions: (): Promise<PasskeyCreationOptions> =>
      session.authed<PasskeyCreationOptions>({ method: 'POST', path: '/auth/passkeys/register/options' }),

    /**
     * Adds the passkey the ceremony created, under `name` (default "Passkey"). The user's first
     * factor ends every other session of the user.
     */
    verifyRegistration: async (input: { response: PasskeyRegistration; name?: string }): Promise<NewPasskey> =>
      (await session.authed<{ factor: NewPasskey }>({ method: 'POST', path: '/auth/passkeys/register/verify', body: input })).factor,

    /** Request options for a passwordless sign-in, or for `mfa.reauthenticate({ passkey })`. */
    signInOptions: (): Promise<PasskeyRequestOptions> =>
      send<PasskeyRequestOptions>(transport, { method: 'POST', path: '/auth/passkeys/login/options', body: {} }),

    /** Signs in with the assertion over `signInOptions()`: no second step follows. */
    async verifySignIn(input: { response: PasskeyAssertion }): Promise<SignedIn> {
      const result = await signIn('/auth/passkeys/login/verify', input);
      if (result.status !== 'signedIn') throw new AuthError('unexpected_response', 'A passkey sign-in asked for a second factor.', { status: 200 });
      return result;
    },

    /** Request options for the passkeys of a sign-in that answered `mfaRequired`. */
    secondFactorOptions: (input: { mfaToken: string }): Promise<PasskeyRequestOptions> =>
      send<PasskeyRequestOptions>(transport, { method: 'POST', path: '/auth/mfa/challenge', body: input }),

    /** The user's passkeys (the factors of type `passkey`). */
    list: async (): Promise<Factor[]> =>
      (await session.authed<{ factors: Factor[] }>({ method: 'GET', path: '/auth/mfa/factors' })).factors.filter((f) => f.type === 'passkey'),

    /**
     * Removes a passkey (as `mfa.removeFactor`; step-up). A password-less account's last way to
     * sign in is refused: `last_sign_in_method`.
     */
    remove: async (id: string): Promise<void> => {
      await session.authed({ method: 'DELETE', path: `/auth/mfa/factors/${encodeURIComponent(id)}` });
    },
  };
}
