import type { Transport } from './http.js';
import type { Session } from './session.js';
import type { LoginResult, SignIn } from './sign-in.js';

/**
 * Why a federated flow came back without a session (the callback's `?error=`): `account_exists`
 * (the address or the identity belongs to an account it may not link to), `access_denied` (the
 * provider or the person declined), `provider_error` (the provider's answer failed a check),
 * `service_unavailable`, `unauthorized` (a link whose session has ended since). Any other value
 * passes through as it came.
 */
export type FederatedError = 'account_exists' | 'access_denied' | 'provider_error' | 'service_unavailable' | 'unauthorized' | (string & {});

/** What the app's landing page was opened with, read from its address. */
export type FederatedLanding =
  | { status: 'code'; code: string }
  | { status: 'linked'; provider: string }
  | { status: 'error'; error: FederatedError }
  | { status: 'none' };

/** The outcome of a landing: a sign-in's result, a finished link, a failed flow, or no flow at all. */
export type LandingResult = LoginResult | Exclude<FederatedLanding, { status: 'code' }>;

/** Where the provider's sign-in returns the browser, and the provider's login hint. */
export interface FederatedRedirect {
  /** An absolute URL on one of the API's allowed origins (usually the page's own). */
  redirectUri: string;
  /** The address to suggest to the provider (`login_hint`; GitHub's `login`). */
  loginHint?: string;
}

/** Reads the callback's parameters from the landing page's address (`location.href` or its `search`). */
export function readLanding(address: string | URL): FederatedLanding {
  const text = String(address);
  // A whole URL, or its query alone (`location.search`).
  const params = text.includes('://') ? new URL(text).searchParams : new URLSearchParams(text);
  const error = params.get('error');
  if (error) return { status: 'error', error };
  const linked = params.get('linked');
  if (linked) return { status: 'linked', provider: linked };
  const code = params.get('code');
  return code ? { status: 'code', code } : { status: 'none' };
}

/**
 * Federated sign-in (Google, GitHub, the local provider of `npm start` ...), in three steps: the
 * browser goes to `authorizeUrl()`, the provider sends it back to the app's `redirectUri` with a
 * one-time code (or `?error=`), and `completeLanding()` trades the code for a session. Linking a
 * provider to a signed-in account goes the same way from `link()`.
 */
export function federationApi(transport: Transport, session: Session, signIn: SignIn) {
  const provider = (name: string) => encodeURIComponent(name);

  /** Trades the landing's one-time code (60 s, single use) for a session, as a login does. */
  const exchangeCode = (code: string): Promise<LoginResult> => signIn('/auth/oauth/token', { code });

  return {
    /**
     * The URL to send the browser to (`location.assign`, or a link): the API's authorize endpoint,
     * which sets a flow cookie and redirects to the provider. Not for `fetch`.
     */
    authorizeUrl(name: string, redirect: FederatedRedirect): string {
      const url = new URL(`${transport.baseUrl}/auth/oauth/${provider(name)}/authorize`);
      url.searchParams.set('redirect_uri', redirect.redirectUri);
      if (redirect.loginHint) url.searchParams.set('login_hint', redirect.loginHint);
      return url.href;
    },

    /**
     * Starts linking a provider to the signed-in account (a step-up operation): resolves the
     * provider's URL to send the browser to. The request keeps the API's flow cookie in either
     * mode; the callback returns to `redirectUri` with `?linked=<provider>` or `?error=`.
     */
    link: async (name: string, redirect: FederatedRedirect): Promise<string> =>
      (
        await session.authed<{ authorizationUrl: string }>({
          method: 'POST',
          path: `/auth/oauth/${provider(name)}/link`,
          body: redirect.loginHint ? { redirectUri: redirect.redirectUri, loginHint: redirect.loginHint } : { redirectUri: redirect.redirectUri },
          withCookies: true,
        })
      ).authorizationUrl,

    exchangeCode,

    /** The landing's address as a typed result (see `completeLanding` to finish it too). */
    readLanding,

    /**
     * Finishes the landing: a code becomes a session (`signedIn`, or `mfaRequired` for a user with
     * a second factor); a link or an error is reported as it came. Take the parameters out of
     * the address bar afterwards (`history.replaceState`): a one-time code is no bookmark.
     */
    async completeLanding(address: string | URL): Promise<LandingResult> {
      const landing = readLanding(address);
      return landing.status === 'code' ? exchangeCode(landing.code) : landing;
    },

    /** Unlinks the account's identity of a provider (a step-up operation; never the last way to sign in). */
    unlink: async (name: string): Promise<void> => {
      await session.authed({ method: 'DELETE', path: `/auth/identities/${provider(name)}` });
    },
  };
}
