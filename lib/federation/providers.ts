/**
 * The relying-party side of federated sign-in, on `oauth4webapi` (a certified OpenID Connect
 * client library with no dependencies; about 18 KB minified in a bundle, against about 26 KB for
 * `openid-client`, which wraps it). Every protocol check is the library's, never hand-written:
 *
 * - discovery (the issuer's metadata must name the issuer we configured), once per container;
 * - the authorization response: `state` compared, an error response refused, and RFC 9207's
 *   `iss` compared with the issuer whenever the provider sends it or advertises that it does
 *   (a response of another provider delivered to this one's callback is refused);
 * - the code exchange with PKCE (S256) and the client secret;
 * - the ID token in full: signature against the provider's JWKS, `iss`, `aud` (our client id),
 *   `azp`, `exp`, `iat`, and `nonce` against the one stored with the flow.
 *
 * GitHub is plain OAuth 2.0: the same authorization code flow with PKCE and state, then its
 * `/user` and `/user/emails` endpoints name the account and its verified addresses.
 */
import * as oauth from 'oauth4webapi';
import type { Config, OAuthProviderConfig } from '../config';
import { AppError } from '../errors';
import type { ClientSecrets } from './client-secrets';

/** What a provider asserted about the person who signed in. */
export interface ProviderIdentity {
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  name: string | undefined;
}

/** Why a callback failed, as the `error` of the redirect to the app. */
export type CallbackErrorCode = 'access_denied' | 'provider_error' | 'account_exists' | 'service_unavailable'
  /** A link flow whose session ended before the provider answered. */
  | 'unauthorized';

/** A failed exchange with the provider, redirected to the app as `?error=<redirectCode>`. */
export class ProviderError extends Error {
  constructor(readonly redirectCode: CallbackErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
  }
}

const GITHUB: oauth.AuthorizationServer = {
  issuer: 'https://github.com',
  authorization_endpoint: 'https://github.com/login/oauth/authorize',
  token_endpoint: 'https://github.com/login/oauth/access_token',
};
const GITHUB_API = 'https://api.github.com';

export interface AuthorizationRequest {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  loginHint?: string | undefined;
}

export class FederationProvider {
  private metadata: Promise<oauth.AuthorizationServer> | undefined;
  /** The provider's keys, fetched once per container and refreshed by the library on an unknown `kid`. */
  private readonly jwks: oauth.JWKSCacheInput = {};
  private readonly client: oauth.Client;
  private readonly http: { [oauth.allowInsecureRequests]?: boolean; signal?: AbortSignal };

  constructor(readonly config: OAuthProviderConfig, private readonly secrets: ClientSecrets, mode: Config['mode']) {
    this.client = { client_id: config.clientId };
    // http issuers exist only locally (lib/config.ts refuses them in production).
    this.http = mode === 'local' ? { [oauth.allowInsecureRequests]: true } : {};
  }

  get name(): string {
    return this.config.name;
  }

  /** The authorization server's metadata: discovered for OpenID Connect, fixed for GitHub. */
  private server(): Promise<oauth.AuthorizationServer> {
    if (this.config.type === 'github') return Promise.resolve(GITHUB);
    this.metadata ??= (async () => {
      const issuer = new URL(this.config.issuer!);
      const response = await oauth.discoveryRequest(issuer, { ...this.http, algorithm: 'oidc', signal: AbortSignal.timeout(5000) });
      return oauth.processDiscoveryResponse(issuer, response);
    })();
    // A failed discovery is tried again by the next request, not remembered.
    this.metadata.catch(() => (this.metadata = undefined));
    return this.metadata;
  }

  /** The provider's authorization URL for this flow (PKCE S256, state, nonce). */
  async authorizationUrl(request: AuthorizationRequest): Promise<string> {
    const as = await this.server().catch((err) => {
      throw new AppError('service_unavailable', 'The sign-in provider cannot be reached. Try again shortly.', { cause: err });
    });
    const url = new URL(as.authorization_endpoint!);
    const params: Record<string, string> = {
      client_id: this.config.clientId,
      redirect_uri: request.redirectUri,
      response_type: 'code',
      scope: this.config.scopes,
      state: request.state,
      code_challenge: await oauth.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: 'S256',
    };
    if (this.config.type === 'oidc') params.nonce = request.nonce;
    if (request.loginHint) params[this.config.type === 'github' ? 'login' : 'login_hint'] = request.loginHint;
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.href;
  }

  /**
   * Completes the flow from the callback's query: validates the authorization response, exchanges
   * the code, validates the ID token (or asks GitHub who it is) and returns the identity.
   */
  async complete(query: URLSearchParams, flow: { state: string; nonce: string; codeVerifier: string; redirectUri: string }): Promise<ProviderIdentity> {
    let as: oauth.AuthorizationServer;
    try {
      as = await this.server();
    } catch (err) {
      throw new ProviderError('service_unavailable', 'provider metadata unavailable', { cause: err });
    }
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, this.client, query, flow.state);
    } catch (err) {
      // The person declined, or the provider refused the request: not a failure of ours.
      if (err instanceof oauth.AuthorizationResponseError) throw new ProviderError('access_denied', `provider answered ${err.error}`, { cause: err });
      throw new ProviderError('provider_error', 'authorization response refused', { cause: err });
    }
    // Our own secret store failing is an outage, not the provider's fault: `service_unavailable`,
    // before anything is sent to the provider (its code stays unused).
    let secret: string;
    try {
      secret = await this.secrets.get(this.config.name);
    } catch (err) {
      throw new ProviderError('service_unavailable', 'client secret unavailable', { cause: err });
    }
    try {
      const response = await oauth.authorizationCodeGrantRequest(as, this.client, oauth.ClientSecretBasic(secret), params, flow.redirectUri, flow.codeVerifier, { ...this.http, signal: AbortSignal.timeout(8000) });
      if (this.config.type === 'github') return await this.githubIdentity(as, response);
      const result = await oauth.processAuthorizationCodeResponse(as, this.client, response, { expectedNonce: flow.nonce, requireIdToken: true });
      // The ID token came over a direct connection, but a local provider is plain http: its
      // signature is checked always, against the provider's published keys.
      await oauth.validateApplicationLevelSignature(as, response, { ...this.http, [oauth.jwksCache]: this.jwks, signal: AbortSignal.timeout(5000) });
      const claims = oauth.getValidatedIdTokenClaims(result)!;
      let { email, email_verified: verified, name } = claims as { email?: unknown; email_verified?: unknown; name?: unknown };
      if (email === undefined && as.userinfo_endpoint) {
        // Providers that keep the email out of the ID token serve it at userinfo (same subject required).
        const info = await oauth.processUserInfoResponse(as, this.client, claims.sub, await oauth.userInfoRequest(as, this.client, result.access_token, { ...this.http, signal: AbortSignal.timeout(5000) }));
        ({ email, email_verified: verified, name } = info as { email?: unknown; email_verified?: unknown; name?: unknown });
      }
      return {
        subject: claims.sub,
        email: typeof email === 'string' ? email : undefined,
        // Only a literal true counts (some providers send "true" strings; we do not guess).
        emailVerified: verified === true,
        name: typeof name === 'string' ? name : undefined,
      };
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      throw new ProviderError('provider_error', 'code exchange or ID token refused', { cause: err });
    }
  }

  private async githubIdentity(as: oauth.AuthorizationServer, response: Response): Promise<ProviderIdentity> {
    const result = await oauth.processAuthorizationCodeResponse(as, this.client, response);
    const get = async (path: string) => {
      const res = await oauth.protectedResourceRequest(result.access_token, 'GET', new URL(path, GITHUB_API), new Headers({ accept: 'application/vnd.github+json' }), null, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`GitHub ${path} answered ${res.status}`);
      return res.json() as Promise<unknown>;
    };
    const [user, emails] = (await Promise.all([get('/user'), get('/user/emails')])) as [{ id?: unknown; name?: unknown; login?: unknown }, { email?: unknown; primary?: unknown; verified?: unknown }[]];
    if (typeof user.id !== 'number' && typeof user.id !== 'string') throw new Error('GitHub /user has no id');
    const list = Array.isArray(emails) ? emails : [];
    const chosen = list.find((e) => e.primary === true && e.verified === true) ?? list.find((e) => e.primary === true);
    return {
      subject: String(user.id),
      email: typeof chosen?.email === 'string' ? chosen.email : undefined,
      emailVerified: chosen?.verified === true,
      name: typeof user.name === 'string' ? user.name : typeof user.login === 'string' ? user.login : undefined,
    };
  }
}

/** The configured providers by name, built once per container. */
export function federationProviders(config: Pick<Config, 'oauthProviders' | 'mode'>, secrets: ClientSecrets): Map<string, FederationProvider> {
  return new Map(config.oauthProviders.map((p) => [p.name, new FederationProvider(p, secrets, config.mode)]));
}
