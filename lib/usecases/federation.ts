/**
 * Federated sign-in (docs/guides/federated-sign-in.md "The flow"): the authorization code flow with a provider,
 * ending in a one-time code the app exchanges for a session.
 *
 * 1. `GET /auth/oauth/{provider}/authorize?redirect_uri=` ({@link startFederatedSignIn}): the
 *    `redirect_uri` must be on an allowed origin (exact origin after URL parsing; anything else is
 *    400 and no redirect). A flow is stored server-side (PKCE verifier, nonce, redirect target,
 *    provider, a hash of a cookie set on this browser) under a hash of `state`, for 10 minutes,
 *    and the browser goes to the provider.
 * 2. `GET /auth/oauth/{provider}/callback` ({@link completeFederatedCallback}): the flow is
 *    consumed (single use) and must have been started by this browser for this provider; the
 *    provider module validates the response, the code exchange and the ID token
 *    (lib/federation/providers.ts). The identity then names an account:
 *    - an identity already linked signs in its account;
 *    - an unknown identity whose email no account holds makes a new account (no password,
 *      `emailVerified` as the provider said), in ONE transaction with the email claim and the
 *      identity claim, each conditional on not existing: of a callback and a registration of the
 *      same address racing, exactly one holds the email, and the loser judges again;
 *    - an unknown identity whose email an account holds is linked to it only when the provider
 *      asserts the email verified AND the account's email is verified (else `account_exists`,
 *      nothing written: an attacker who registered the victim's address, unverified, never gets
 *      the victim's provider sign-in, and a provider's unverified claim never takes an account).
 *      The link is conditional on the account being as judged (same email, verified, same
 *      credential epoch, not disabled), so an email change, a reset or a disabling that commits
 *      meanwhile makes the callback judge again.
 *    The browser goes back to `redirect_uri?code=<one-time code>` (60 s, single use, stored
 *    hashed, bound to the account's credential epoch) or `?error=<code>`. A flow started to link
 *    an identity from the account settings ends in lib/usecases/identity-links.ts instead, and
 *    goes back with `?linked=<provider>` (no code: the caller is signed in already).
 * 3. `POST /auth/oauth/token {code}` ({@link exchangeFederatedCode}): the code is consumed and
 *    the sign-in goes through the one door (lib/sign-in.ts) with `amr: ["fed"]`: a user with a
 *    second factor gets `mfaRequired`, and a credential change committed since the callback (the
 *    epoch moved) leaves the code useless.
 */
import { randomUUID } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { canonicalEmail } from '../email-address';
import { AppError, invalidRequest, invalidToken, notFound } from '../errors';
import type { FederationProvider, ProviderIdentity } from '../federation/providers';
import { ProviderError, type CallbackErrorCode } from '../federation/providers';
import { describeError, log } from '../log';
import { deviceKey, isKnownDevice } from '../repositories/devices';
import { factorsKey, factorSetOf } from '../repositories/factors';
import { browserBinding, isSecretShape, newSecret } from '../repositories/federation';
import { failedOn, part } from '../repositories/transactions';
import { NO_PASSWORD, type UserRecord } from '../repositories/users';
import { completeSignIn, type SignInResult } from '../sign-in';
import { deviceTokenOf } from '../tokens/device-token';
import type { OAuthCodeInput } from '../validation';
import type { RequestMeta } from './deps';
import { allowedRedirect, callbackUrl } from '../federation/redirects';
import type { FederationDeps } from './federation-deps';
import { linkIdentity, LinkRefused } from './identity-links';
import { DEFAULT_ROLES } from './register';

function providerOf(deps: Pick<FederationDeps, 'providers'>, name: string): FederationProvider {
  const provider = deps.providers.get(name);
  if (!provider) throw notFound();
  return provider;
}

export interface StartedFlow {
  /** The provider's authorization URL. */
  location: string;
  /** The value of the flow cookie binding the callback to this browser. */
  browserCookie: string;
}

/** Starts a sign-in with `providerName` (see the module comment, step 1). */
export async function startFederatedSignIn(
  deps: Pick<FederationDeps, 'federation' | 'providers' | 'config' | 'clock'>,
  providerName: string,
  query: { redirect_uri?: string | undefined; login_hint?: string | undefined },
): Promise<StartedFlow> {
  const provider = providerOf(deps, providerName);
  const redirect = allowedRedirect(query.redirect_uri, deps.config.allowedOrigins);
  const loginHint = query.login_hint?.trim();
  if (loginHint !== undefined && (loginHint.length === 0 || loginHint.length > 254)) {
    throw invalidRequest([{ field: 'login_hint', message: 'must be 1 to 254 characters' }]);
  }
  const state = newSecret();
  const browserCookie = newSecret();
  const flow = {
    provider: provider.name,
    codeVerifier: oauth.generateRandomCodeVerifier(),
    nonce: oauth.generateRandomNonce(),
    redirectUri: redirect.href,
    browser: browserBinding(browserCookie),
  };
  // The authorization URL first: a provider that cannot be reached leaves no flow behind.
  const location = await provider.authorizationUrl({ state, nonce: flow.nonce, codeVerifier: flow.codeVerifier, redirectUri: callbackUrl(deps.config.issuer, provider.name), loginHint });
  await deps.federation.putFlow(state, flow, deps.clock());
  return { location, browserCookie };
}

/** Where the callback sends the browser: the app's `redirect_uri` with `code` or `error`. */
function back(redirectUri: string, params: Record<string, string>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

/** The callback (see the module comment, step 2): the URL to send the browser to. */
export async function completeFederatedCallback(
  deps: FederationDeps,
  providerName: string,
  query: URLSearchParams,
  browserCookie: string | undefined,
  meta: RequestMeta,
): Promise<string> {
  const provider = providerOf(deps, providerName);
  const now = deps.clock();
  const state = query.get('state');
  // Without a live flow there is no redirect target we could trust: 400, no redirect.
  const refused = () => invalidRequest([{ field: 'state', message: 'is unknown, expired or was already used' }]);
  if (!isSecretShape(state)) throw refused();
  const flow = await deps.federation.consumeFlow(state, now);
  if (!flow) throw refused();
  // A flow is finished only by the browser that started it: a callback URL sent to someone else
  // (login CSRF: the victim signed into the attacker's account) carries no matching cookie.
  if (!browserCookie || browserBinding(browserCookie) !== flow.browser) throw refused();
  try {
    // Mix-up: a response meant for another provider's flow, delivered to this callback.
    if (flow.provider !== provider.name) throw new ProviderError('provider_error', `flow of ${flow.provider} delivered to ${provider.name}'s callback`);
    const identity = await provider.complete(query, { state, nonce: flow.nonce, codeVerifier: flow.codeVerifier, redirectUri: callbackUrl(deps.config.issuer, provider.name) });
    if (flow.linkUserId && flow.linkSessionId) {
      // A link started from the account settings (lib/usecases/identity-links.ts): no sign-in.
      await linkIdentity(deps, { provider: provider.name, linkUserId: flow.linkUserId, linkSessionId: flow.linkSessionId }, identity, meta, now);
      return back(flow.redirectUri, { linked: provider.name });
    }
    const user = await accountFor(deps, provider.name, identity, meta, now);
    const code = newSecret();
    await deps.federation.putCode(code, { userId: user.id, epoch: user.credentialEpoch, provider: provider.name }, now);
    log.info('federated sign-in callback', { event: 'federated_callback', provider: provider.name, userId: user.id });
    return back(flow.redirectUri, { code });
  } catch (err) {
    const code: CallbackErrorCode | undefined = err instanceof ProviderError ? err.redirectCode
      : err instanceof AppError && err.code === 'service_unavailable' ? 'service_unavailable'
      : err instanceof FederationRefused || err instanceof LinkRefused ? err.redirectCode
      : undefined;
    if (!code) throw err;
    log.warn('federated sign-in refused', { event: 'federated_callback_failed', provider: provider.name, reason: code, error: describeError(err) });
    return back(flow.redirectUri, { error: code });
  }
}

/** The linking rule said no: redirected as `?error=account_exists` (or another code). */
class FederationRefused extends Error {
  constructor(readonly redirectCode: CallbackErrorCode, message: string) {
    super(message);
    this.name = 'FederationRefused';
  }
}

/** Attempts against registrations, links and changes of the same account racing the callback. */
const MAX_ATTEMPTS = 5;

/** The account `identity` signs in to, made or linked under the rule of the module comment. */
async function accountFor(deps: FederationDeps, provider: string, identity: ProviderIdentity, meta: RequestMeta, now: Date): Promise<UserRecord> {
  const checked = identity.email === undefined ? undefined : canonicalEmail(identity.email);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const ownerId = await deps.users.findIdentityOwner(provider, identity.subject);
    if (ownerId) {
      const owner = await deps.users.findById(ownerId, { consistent: true });
      if (owner) return owner;
      // A claim without its user cannot outlive a deletion (both go in one transaction).
      throw new Error('identity claim names a missing user');
    }
    if (!checked?.ok) throw new ProviderError('provider_error', 'the provider named no usable email address');
    const email = checked.email;
    const existing = await deps.users.findByEmail(email);
    const event = (userId: string) => part('event', deps.events.putItem({ userId, type: 'identity_linked', ip: meta.ip, userAgent: meta.userAgent, detail: provider }, now));
    if (!existing) {
      const user: UserRecord = {
        id: randomUUID(),
        email,
        name: identity.name?.slice(0, 100),
        roles: [...DEFAULT_ROLES],
        emailVerified: identity.emailVerified,
        createdAt: now.toISOString(),
        passwordHash: NO_PASSWORD,
        credentialEpoch: 0,
        signIns: 0,
        sessionEnds: {},
        identities: [{ provider, subject: identity.subject, linkedAt: now.toISOString() }],
      };
      try {
        await deps.users.create(user, [part('identity', deps.users.claimIdentityItem(user.id, provider, identity.subject, email, now)), event(user.id)]);
        log.info('user registered', { event: 'register', userId: user.id, provider });
        return user;
      } catch (err) {
        // The address or the identity was taken meanwhile (a registration, a parallel callback): judge again.
        if ((err instanceof AppError && err.code === 'email_taken') || failedOn(err, 'identity')) continue;
        throw err;
      }
    }
    if (!identity.emailVerified || !existing.emailVerified || existing.disabledAt) {
      throw new FederationRefused('account_exists', `${provider} identity not linked: email verified by provider ${identity.emailVerified}, by account ${existing.emailVerified}`);
    }
    try {
      await deps.transactions.write([
        part('identity', deps.users.claimIdentityItem(existing.id, provider, identity.subject, email, now)),
        part('user', deps.users.autoLinkItem(existing, provider, identity.subject, now)),
        event(existing.id),
      ]);
      log.info('identity linked', { event: 'identity_linked', userId: existing.id, provider });
      return { ...existing, identities: [...existing.identities, { provider, subject: identity.subject, linkedAt: now.toISOString() }] };
    } catch (err) {
      if (failedOn(err, 'identity') || failedOn(err, 'user')) continue;
      throw err;
    }
  }
  throw new AppError('service_unavailable', 'The service is temporarily unavailable. Try again shortly.', { cause: new Error('federated sign-in kept racing other writes') });
}

/**
 * `POST /auth/oauth/token {code}` (see the module comment, step 3). DynamoDB requests: the code's
 * consuming delete, one BatchGetItem of the user and its factors, the sign-in transaction.
 */
export async function exchangeFederatedCode(deps: FederationDeps, input: OAuthCodeInput, meta: RequestMeta): Promise<SignInResult> {
  const { code } = input;
  if (!isSecretShape(code)) throw invalidToken();
  const now = deps.clock();
  const record = await deps.federation.consumeCode(code, now);
  if (!record) throw invalidToken();
  // A presented device token is read in the same batch, as at login: a client whose device this
  // account knows is spared the new-device notice and gets no new token (lib/sign-in.ts).
  const presented = deviceTokenOf(input.deviceToken);
  const { user, items } = await deps.users.findForSignIn(record.userId, (id) => [factorsKey(id), ...(presented ? [deviceKey(presented.hash)] : [])]);
  // The account changed credentials (or was deleted) since the callback judged it.
  if (!user || user.credentialEpoch !== record.epoch) throw invalidToken();
  const known = isKnownDevice(items, presented?.hash, user.id, now);
  return completeSignIn(deps, user, meta, now, {
    methods: ['fed'],
    factors: factorSetOf(items.get(factorsKey(user.id))),
    device: { known },
    conflicts: { user: () => invalidToken() },
  });
}
