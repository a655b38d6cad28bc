/**
 * Linking and unlinking a federated identity from the account settings. Both are credential
 * changes (lib/credential-change.ts): the credential epoch moves, every other session of the user
 * is revoked (the caller's is kept), and a sign-in racing the change opens no session that
 * outlives it. Each writes its security event (`identity_linked`, `identity_unlinked`).
 *
 * Linking (`POST /auth/oauth/{provider}/link`, step-up): a flow like a sign-in's
 * (lib/usecases/federation.ts), bound to the browser by the same flow cookie AND to the caller's
 * user and session. The callback then links the identity the provider names to that user (the
 * provider's sign-in proves the person holds it; the emails need not match), provided:
 * - no other account holds the identity (else `?error=account_exists`, nothing changes);
 * - the user has no identity of that provider yet (one per provider, so unlinking names one);
 * - the session that started the flow is still live when the link commits (a logout, a password
 *   reset or a disabling meanwhile ends it: `?error=unauthorized`, nothing changes).
 * A flow URL sent to someone else links nothing: their browser has no flow cookie.
 *
 * Unlinking (`DELETE /auth/identities/{provider}`, step-up) refuses to take the last way to sign
 * in: an account with no password, no other identity and no passkey keeps its identity
 * (409 `last_sign_in_method`). The rule is judged on the user item the change is conditional on,
 * so two unlinks racing cannot each leave the other as the last one and both succeed.
 */
import type { Caller } from '../caller';
import { commitCredentialChange } from '../credential-change';
import { AppError, invalidRequest, lastSignInMethod, notFound, unauthorized } from '../errors';
import type { ProviderIdentity } from '../federation/providers';
import { log } from '../log';
import { browserBinding, newSecret, type FlowRecord } from '../repositories/federation';
import { failedOn, part } from '../repositories/transactions';
import { hasPassword, type UserRecord } from '../repositories/users';
import type { RequestMeta } from './deps';
import { allowedRedirect, callbackUrl } from '../federation/redirects';
import type { FederationDeps } from './federation-deps';
import * as oauth from 'oauth4webapi';

export interface StartedLink {
  /** The provider's authorization URL, for the app to send the browser to. */
  authorizationUrl: string;
  /** The value of the flow cookie binding the callback to this browser. */
  browserCookie: string;
}

/** A link the callback refused: redirected to the app as `?error=<redirectCode>`. */
export class LinkRefused extends Error {
  constructor(readonly redirectCode: 'account_exists' | 'unauthorized', message: string) {
    super(message);
    this.name = 'LinkRefused';
  }
}


/** Starts linking `providerName` to the caller's account (see the module comment). */
export async function startIdentityLink(
  deps: Pick<FederationDeps, 'federation' | 'providers' | 'config' | 'clock' | 'users'>,
  caller: Pick<Caller, 'userId' | 'sessionId'>,
  providerName: string,
  body: { redirectUri: string; loginHint: string | undefined },
): Promise<StartedLink> {
  const provider = deps.providers.get(providerName);
  if (!provider) throw notFound();
  const redirect = allowedRedirect(body.redirectUri, deps.config.allowedOrigins);
  const user = await deps.users.findById(caller.userId);
  if (!user || user.disabledAt) throw unauthorized();
  if (user.identities.some((i) => i.provider === provider.name)) {
    throw invalidRequest([{ field: 'provider', message: 'is already linked to this account; unlink it first' }]);
  }
  const state = newSecret();
  const browserCookie = newSecret();
  const flow: FlowRecord = {
    provider: provider.name,
    codeVerifier: oauth.generateRandomCodeVerifier(),
    nonce: oauth.generateRandomNonce(),
    redirectUri: redirect.href,
    browser: browserBinding(browserCookie),
    linkUserId: user.id,
    linkSessionId: caller.sessionId,
  };
  const authorizationUrl = await provider.authorizationUrl({ state, nonce: flow.nonce, codeVerifier: flow.codeVerifier, redirectUri: callbackUrl(deps.config.issuer, provider.name), loginHint: body.loginHint });
  await deps.federation.putFlow(state, flow, deps.clock());
  return { authorizationUrl, browserCookie };
}

/** The callback's side of a link flow: links `identity` to the flow's user, as a credential change. */
export async function linkIdentity(
  deps: FederationDeps,
  flow: { provider: string; linkUserId: string; linkSessionId: string },
  identity: ProviderIdentity,
  meta: RequestMeta,
  now: Date,
): Promise<void> {
  const owner = await deps.users.findIdentityOwner(flow.provider, identity.subject);
  if (owner === flow.linkUserId) return; // linked already (a repeated link): nothing to change
  if (owner) throw new LinkRefused('account_exists', `${flow.provider} identity belongs to another account`);
  const { revokedSessionIds } = await commitCredentialChange(deps, flow.linkUserId, now, {
    reason: 'identity_linked',
    keep: flow.linkSessionId,
    plan: (current, revoked) => {
      if (!current || current.disabledAt) throw new LinkRefused('unauthorized', 'the account is gone or disabled');
      if (current.identities.some((i) => i.provider === flow.provider)) throw new LinkRefused('account_exists', `the account has a ${flow.provider} identity already`);
      return {
        user: current,
        userItem: deps.users.identityChangedItem(current, revoked, { link: { provider: flow.provider, subject: identity.subject, at: now } }),
        others: [
          part('identity', deps.users.claimIdentityItem(current.id, flow.provider, identity.subject, identity.email ?? '', now)),
          part('session', deps.sessions.activeCheckItem(flow.linkSessionId, current.id, now)),
          part('event', deps.events.putItem({ userId: current.id, type: 'identity_linked', ip: meta.ip, userAgent: meta.userAgent, sessionId: flow.linkSessionId, detail: flow.provider }, now)),
        ],
      };
    },
    onConflict: (err) => {
      // Another account claimed the identity meanwhile (its first sign-in), or the session ended.
      if (failedOn(err, 'identity')) throw new LinkRefused('account_exists', `${flow.provider} identity claimed meanwhile`);
      if (failedOn(err, 'session')) throw new LinkRefused('unauthorized', 'the session that started the link has ended');
    },
  });
  log.info('identity linked from the account settings; other sessions revoked', { event: 'identity_linked', userId: flow.linkUserId, provider: flow.provider, revokedSessionIds });
}

/** Whether `user` could still sign in without its identity of `provider`. */
function otherWayIn(user: UserRecord, provider: string, hasPasskey: boolean): boolean {
  return hasPassword(user) || user.identities.some((i) => i.provider !== provider) || hasPasskey;
}

/** The factor set moved between our read and the change: read both again. */
class FactorsMoved extends Error {}
const UNLINK_ATTEMPTS = 3;

/** DELETE /auth/identities/{provider} (see the module comment). */
export async function unlinkIdentity(
  deps: FederationDeps,
  caller: Pick<Caller, 'userId' | 'sessionId'>,
  provider: string,
  meta: RequestMeta,
): Promise<void> {
  const now = deps.clock();
  for (let attempt = 1; attempt <= UNLINK_ATTEMPTS; attempt += 1) {
    const read = await deps.users.findById(caller.userId, { consistent: true });
    if (!read || read.disabledAt) throw unauthorized();
    // A passkey signs in on its own (a TOTP code never does). A factor added or removed moves
    // the credential epoch, so the change below, conditional on this epoch, sees it.
    const factors = await deps.factors.get(caller.userId);
    const hasPasskey = factors.factors.some((f) => f.type === 'passkey');
    try {
      const { revokedSessionIds } = await commitCredentialChange(deps, caller.userId, now, {
        reason: 'identity_unlinked',
        keep: caller.sessionId,
        plan: (current, revoked) => {
          if (!current || current.disabledAt) throw unauthorized();
          if (current.credentialEpoch !== read.credentialEpoch) throw new FactorsMoved();
          const identity = current.identities.find((i) => i.provider === provider);
          if (!identity) throw notFound();
          if (!otherWayIn(current, provider, hasPasskey)) throw lastSignInMethod();
          return {
            user: current,
            userItem: deps.users.identityChangedItem(current, revoked, { unlink: { provider, subject: identity.subject } }),
            others: [
              part('identity', deps.users.releaseIdentityItem(current.id, provider, identity.subject)),
              part('event', deps.events.putItem({ userId: current.id, type: 'identity_unlinked', ip: meta.ip, userAgent: meta.userAgent, sessionId: caller.sessionId, detail: provider }, now)),
            ],
          };
        },
      });
      log.info('identity unlinked; other sessions revoked', { event: 'identity_unlinked', userId: caller.userId, provider, revokedSessionIds });
      return;
    } catch (err) {
      if (!(err instanceof FactorsMoved)) throw err;
    }
  }
  throw new AppError('service_unavailable', 'The service is temporarily unavailable. Try again shortly.', { cause: new Error('identity unlink kept racing other changes') });
}
