/**
 * Passkeys in the browser: `@lambda-jwt-auth/client/passkeys`, a separate entry so that an app
 * without passkeys never loads the WebAuthn helper (`@simplewebauthn/browser`).
 *
 * @example
 * import { createAuthClient } from '@lambda-jwt-auth/client';
 * import { createPasskeys } from '@lambda-jwt-auth/client/passkeys';
 * const auth = createAuthClient({ baseUrl });
 * const passkeys = createPasskeys(auth);
 * await passkeys.signIn();                       // { status: 'signedIn', user }
 * await passkeys.register({ name: 'Laptop' });   // signed in; a step-up operation
 */
import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  startRegistration,
  WebAuthnAbortService,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import { AuthError } from './errors.js';
import type { AuthClient } from './index.js';
import type { SignedIn } from './sign-in.js';
import type { Factor, NewPasskey, PasskeyAssertion, PasskeyCreationOptions, PasskeyRegistration, PasskeyRequestOptions, User } from './types.js';

/**
 * The WebAuthn ceremonies the passkey flows run: by default `@simplewebauthn/browser`'s, which
 * call `navigator.credentials`. Replacing them (the `webauthn` option) is for an environment
 * without a browser authenticator, such as tests driving the real API with a software
 * authenticator; the requests to the API and their checks stay the same.
 */
export interface WebAuthnCeremonies {
  /** `navigator.credentials.create()` with the API's creation options; the JSON form of the credential. */
  startRegistration(args: { optionsJSON: PasskeyCreationOptions }): Promise<PasskeyRegistration>;
  /** `navigator.credentials.get()` with the API's request options (`useBrowserAutofill`: conditional UI). */
  startAuthentication(args: { optionsJSON: PasskeyRequestOptions; useBrowserAutofill?: boolean }): Promise<PasskeyAssertion>;
  /** Cancels the ceremony in progress (its promise rejects with an `AbortError`). */
  cancelCeremony(): void;
  /** Whether the browser has WebAuthn at all. */
  supported(): boolean;
  /** Whether the browser offers passkeys in a field's autofill (conditional mediation). */
  autofillSupported(): Promise<boolean>;
}

/**
 * `@simplewebauthn/browser`'s ceremonies. The API's options are the JSON forms that library takes
 * (docs/openapi.yaml names them so); the types differ only in how loosely the document writes
 * enumerations such as transports, hence the casts at this one boundary.
 */
const browserCeremonies: WebAuthnCeremonies = {
  startRegistration: async ({ optionsJSON }) =>
    (await startRegistration({ optionsJSON: optionsJSON as unknown as PublicKeyCredentialCreationOptionsJSON })) as unknown as PasskeyRegistration,
  startAuthentication: async ({ optionsJSON, useBrowserAutofill = false }) =>
    (await startAuthentication({ optionsJSON: optionsJSON as unknown as PublicKeyCredentialRequestOptionsJSON, useBrowserAutofill })) as unknown as PasskeyAssertion,
  cancelCeremony: () => WebAuthnAbortService.cancelCeremony(),
  supported: () => browserSupportsWebAuthn(),
  autofillSupported: () => browserSupportsWebAuthnAutofill(),
};

export interface PasskeysOptions {
  /** The ceremonies to run instead of `@simplewebauthn/browser`'s (see `WebAuthnCeremonies`). */
  webauthn?: Partial<WebAuthnCeremonies>;
}

/** The parts of the client the passkey flows use. */
export type PasskeyClient = Pick<AuthClient, 'passkeys' | 'verifySecondFactor' | 'mfa'>;

const cancelledNames = new Set(['NotAllowedError', 'AbortError']);

/** The client's error for a ceremony that did not produce a credential. */
function ceremonyError(err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  const name = (err as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && cancelledNames.has(name)) return new AuthError('passkey_cancelled', 'The passkey request was cancelled.', { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new AuthError('passkey_failed', `The browser refused the passkey request: ${message}`, { cause: err });
}

/**
 * The passkey flows of a client: each asks the API for options, runs the WebAuthn ceremony and
 * sends its result back. Failures are `AuthError`s: the API's codes (`invalid_code`, a step-up's
 * `needsReauthentication` before any ceremony starts ...) and `passkey_cancelled`,
 * `passkey_unsupported`, `passkey_failed` for the browser's side.
 */
export function createPasskeys(auth: PasskeyClient, options: PasskeysOptions = {}) {
  const webauthn: WebAuthnCeremonies = { ...browserCeremonies, ...options.webauthn };

  /**
   * Runs a ceremony; `signal` cancels it. Only one ceremony runs at a time in a page: starting one
   * cancels the one before (so a button's sign-in ends a waiting autofill).
   */
  async function ceremony<T>(run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!webauthn.supported()) throw new AuthError('passkey_unsupported', 'This browser does not support passkeys.');
    const cancelled = () => new AuthError('passkey_cancelled', 'The passkey request was cancelled.', { cause: signal?.reason });
    if (signal?.aborted) throw cancelled();
    const onAbort = () => webauthn.cancelCeremony();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await run();
      // Aborted as the credential arrived: the page no longer wants it.
      if (signal?.aborted) throw cancelled();
      return result;
    } catch (err) {
      throw signal?.aborted && !(err instanceof AuthError) ? cancelled() : ceremonyError(err);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async function assertion(optionsJSON: PasskeyRequestOptions, signal?: AbortSignal, useBrowserAutofill = false): Promise<PasskeyAssertion> {
    if (signal?.aborted) throw new AuthError('passkey_cancelled', 'The passkey request was cancelled.', { cause: signal.reason });
    return ceremony(() => webauthn.startAuthentication({ optionsJSON, useBrowserAutofill }), signal);
  }

  return {
    /** Whether this browser can use passkeys at all. */
    supported: (): boolean => webauthn.supported(),

    /** Whether this browser offers passkeys in autofill (`signInWithAutofill`). */
    autofillSupported: async (): Promise<boolean> => webauthn.supported() && (await webauthn.autofillSupported()),

    /**
     * Creates a passkey for the signed-in user and adds it, under `name` (default "Passkey"). A
     * step-up operation: the API's `needsReauthentication` error comes before the browser asks
     * anything. The user's first factor ends every other session of the user.
     */
    async register(input: { name?: string; signal?: AbortSignal } = {}): Promise<NewPasskey> {
      const optionsJSON = await auth.passkeys.registrationOptions();
      if (input.signal?.aborted) throw new AuthError('passkey_cancelled', 'The passkey request was cancelled.', { cause: input.signal.reason });
      const response = await ceremony(() => webauthn.startRegistration({ optionsJSON }), input.signal);
      return auth.passkeys.verifyRegistration(input.name === undefined ? { response } : { response, name: input.name });
    },

    /** Signs in with a passkey the browser holds for this site (no email typed); no second step. */
    async signIn(input: { signal?: AbortSignal } = {}): Promise<SignedIn> {
      const response = await assertion(await auth.passkeys.signInOptions(), input.signal);
      return auth.passkeys.verifySignIn({ response });
    },

    /**
     * Conditional UI: the browser offers the site's passkeys in the autofill of an input whose
     * `autocomplete` ends in `webauthn` (e.g. `autocomplete="username webauthn"`), and this
     * resolves once the user picks one. Start it when the sign-in form shows; abort `signal` (or
     * start any other ceremony) when the form goes away: it then rejects with `passkey_cancelled`.
     * Rejects with `passkey_unsupported` where the browser has no such autofill.
     */
    async signInWithAutofill(input: { signal?: AbortSignal } = {}): Promise<SignedIn> {
      if (!(webauthn.supported() && (await webauthn.autofillSupported()))) {
        throw new AuthError('passkey_unsupported', 'This browser does not offer passkeys in autofill.');
      }
      const response = await assertion(await auth.passkeys.signInOptions(), input.signal, true);
      return auth.passkeys.verifySignIn({ response });
    },

    /**
     * Completes a sign-in that answered `mfaRequired` with one of the user's passkeys (when its
     * `factors` list one): the same user as the password named, this `mfaToken` only.
     */
    async verifySecondFactor(input: { mfaToken: string; signal?: AbortSignal }): Promise<User> {
      const response = await assertion(await auth.passkeys.secondFactorOptions({ mfaToken: input.mfaToken }), input.signal);
      return auth.verifySecondFactor({ mfaToken: input.mfaToken, passkey: response });
    },

    /** Step-up with a passkey alone: the signed-in user's own passkey gives this session a fresh `aal2` authentication. */
    async reauthenticate(input: { signal?: AbortSignal } = {}): Promise<void> {
      const response = await assertion(await auth.passkeys.signInOptions(), input.signal);
      await auth.mfa.reauthenticate({ passkey: response });
    },

    /** The user's passkeys. */
    list: (): Promise<Factor[]> => auth.passkeys.list(),

    /** Removes one of the user's passkeys (step-up; never a password-less account's last way to sign in). */
    remove: (id: string): Promise<void> => auth.passkeys.remove(id),

    /** Cancels the ceremony in progress, if any (its call rejects with `passkey_cancelled`). */
    cancel: (): void => webauthn.cancelCeremony(),
  };
}

export type Passkeys = ReturnType<typeof createPasskeys>;
