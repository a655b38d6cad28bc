/**
 * The Lambda authorizer's logic, for the three event shapes API Gateway sends:
 * - HTTP API, payload 2.0 with simple responses → `{ isAuthorized, context }`;
 * - REST API TOKEN and REQUEST → an IAM policy for `sub`, or a thrown `Unauthorized` (401).
 *
 * After the signature and claims, it asks the session check (when configured) whether the
 * token's session is still live, so a revoked session's tokens are refused within seconds.
 *
 * It fails closed: a missing or bad token, an unknown event shape, key material that cannot be
 * loaded, or session state that cannot be read (beyond the stale window) all deny. A bad token is
 * an info-level `authorizer_deny`; an outage (key store, session state) is an error-level
 * `authorizer_unavailable`, because it denies every caller. It never throws anything but
 * `Unauthorized`, so the gateway never answers 500, and it never logs the token.
 */
import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';
import type { Clock } from './clock';
import { bearerCredential, headerValue } from './http/bearer';
import type { KeyStore } from './keys/key-store';
import { describeError, log } from './log';
import { SessionCheckUnavailable, type SessionCheck } from './revocation/session-check';
import { InvalidAccessToken, verifyAccessToken, type AccessClaims, type AccessTokenSettings } from './tokens/access-token';

export type AuthorizerEvent = APIGatewayRequestAuthorizerEventV2 | APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent;

export interface SimpleAuthorizerResult {
  isAuthorized: boolean;
  context?: Record<string, string>;
}

export interface AuthorizerDeps {
  keys: KeyStore;
  settings: AccessTokenSettings;
  clock: Clock;
  /** Absent in the stateless setting: then a token is valid until its `exp`. */
  sessions?: SessionCheck | undefined;
  /** REQUIRE_VERIFIED_EMAIL: deny tokens whose `email_verified` is not true. */
  requireVerifiedEmail?: boolean | undefined;
  /** REQUIRE_MFA: deny tokens whose `acr` is not `aal2` outside {@link ENROLMENT_ROUTES}. */
  requireMfa?: boolean | undefined;
  /** AUTHORIZER_AAL2_ROUTES: "METHOD /path" routes open to `aal2` tokens only. */
  aal2Routes?: readonly string[] | undefined;
}

type Shape = 'http-api' | 'rest-token' | 'rest-request' | 'unknown';

function shapeOf(event: AuthorizerEvent): Shape {
  const e = event as { version?: unknown; type?: unknown };
  if (e.version === '2.0' && e.type === 'REQUEST') return 'http-api';
  if (e.type === 'TOKEN') return 'rest-token';
  if (e.type === 'REQUEST') return 'rest-request';
  return 'unknown';
}

function presentedHeader(event: AuthorizerEvent, shape: Shape): string | undefined {
  if (shape === 'rest-token') return (event as APIGatewayTokenAuthorizerEvent).authorizationToken;
  const headers = (event as { headers?: Record<string, string | undefined> | null }).headers;
  // An HTTP API event's header names are lowercased by the gateway: no scan for other casings.
  const lowercased = shape === 'http-api' ? headers?.authorization : undefined;
  return typeof lowercased === 'string' ? lowercased : headerValue(headers, 'authorization');
}

/** The flat context handed to integrations (API Gateway accepts only string/number/boolean). */
export function contextOf(claims: AccessClaims): Record<string, string> {
  return {
    userId: claims.sub,
    sessionId: claims.sid,
    email: claims.email,
    emailVerified: claims.emailVerified ? 'true' : 'false',
    roles: claims.roles.join(','),
    acr: claims.acr ?? 'aal1',
    amr: (claims.amr ?? []).join(','),
    authTime: String(claims.authTime ?? 0),
  };
}

/**
 * Allow every method and path of the same API stage, so a cached decision (resultTtlInSeconds)
 * is valid for the next route the same token calls, not only the first one.
 */
export function stageWildcard(methodArn: string): string {
  const [prefix, apiPath] = [methodArn.slice(0, methodArn.indexOf('/')), methodArn.slice(methodArn.indexOf('/') + 1)];
  const stage = apiPath.split('/')[0];
  return methodArn.includes('/') && stage ? `${prefix}/${stage}/*` : methodArn;
}

/**
 * With REQUIRE_VERIFIED_EMAIL on, the routes an unverified user still needs: asking for a new
 * verification link, seeing and deleting the account, and managing its sessions and password.
 */
export const UNVERIFIED_ROUTES = [
  'POST /auth/email/resend',
  'GET /auth/me',
  'DELETE /auth/me',
  'POST /auth/password/change',
  'GET /auth/sessions',
  'DELETE /auth/sessions/{id}',
];
const routePattern = (route: string) => new RegExp(`^${route.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/]+\}/g, '[^/]+')}$`);
const patternCache = new WeakMap<readonly string[], RegExp[]>();

/**
 * A route list's patterns, compiled on first use: most containers never consult a list (its
 * setting is off), and compiling them all at load was a measurable part of the cold start.
 */
function patternsOf(routes: readonly string[]): RegExp[] {
  let patterns = patternCache.get(routes);
  if (!patterns) patternCache.set(routes, (patterns = routes.map(routePattern)));
  return patterns;
}

/**
 * With REQUIRE_MFA on, the routes a session without a second factor still needs: enrolling one
 * (and reauthenticating for the step-up it asks), seeing the account and its factors, and
 * ending sessions. A user with a factor holds `aal2` sessions only: a first factor (a TOTP or a
 * passkey) revokes the user's other sessions and upgrades the enrolling one, and sign-ins of such a user take the
 * second step, so `acr` tells the two apart without a read.
 */
export const ENROLMENT_ROUTES = [
  'POST /auth/mfa/totp',
  'POST /auth/mfa/totp/confirm',
  'POST /auth/passkeys/register/options',
  'POST /auth/passkeys/register/verify',
  'GET /auth/mfa/factors',
  'POST /auth/reauthenticate',
  'GET /auth/me',
  'GET /auth/sessions',
  'DELETE /auth/sessions/{id}',
];

function matches(patterns: readonly RegExp[], event: AuthorizerEvent, shape: Shape): boolean {
  const route = routeOf(event, shape);
  return route !== undefined && patterns.some((pattern) => pattern.test(route));
}

/** Why the token's authentication is not enough for this route, or undefined when it is. */
function authenticationShortfall(deps: AuthorizerDeps, claims: AccessClaims, event: AuthorizerEvent, shape: Shape): string | undefined {
  if (claims.acr === 'aal2') return undefined;
  if (deps.requireMfa && !matches(patternsOf(ENROLMENT_ROUTES), event, shape)) return 'second factor required (REQUIRE_MFA)';
  if (deps.aal2Routes?.length && matches(patternsOf(deps.aal2Routes), event, shape)) return 'aal2 route';
  return undefined;
}

/** "METHOD /path" of the request: HTTP API's routeKey, or the method and path of a REST methodArn. */
function routeOf(event: AuthorizerEvent, shape: Shape): string | undefined {
  if (shape === 'http-api') {
    const e = event as { routeKey?: unknown; requestContext?: { http?: { method?: string; path?: string } } };
    if (typeof e.routeKey === 'string' && e.routeKey.includes(' ')) return e.routeKey;
    const http = e.requestContext?.http;
    return http?.method && http.path ? `${http.method} ${http.path}` : undefined;
  }
  // arn:aws:execute-api:region:account:api/stage/METHOD/path/parts
  const arn = (event as { methodArn?: unknown }).methodArn;
  if (typeof arn !== 'string') return undefined;
  const [, , method, ...path] = (arn.split(':')[5] ?? '').split('/');
  return method ? `${method} /${path.join('/')}` : undefined;
}

function reachableUnverified(event: AuthorizerEvent, shape: Shape): boolean {
  const route = routeOf(event, shape);
  return route !== undefined && patternsOf(UNVERIFIED_ROUTES).some((pattern) => pattern.test(route));
}

async function check(deps: AuthorizerDeps, event: AuthorizerEvent, shape: Shape): Promise<AccessClaims | undefined> {
  if (shape === 'unknown') return undefined;
  // Its form is checked once, by verifyAccessToken (a compact JWS, stricter than token68).
  const token = bearerCredential(presentedHeader(event, shape));
  if (!token) return undefined;
  try {
    const claims = await verifyAccessToken(deps.keys, deps.settings, token, deps.clock());
    if (deps.requireVerifiedEmail && !claims.emailVerified && !reachableUnverified(event, shape)) {
      log.info('access denied', { event: 'authorizer_deny', reason: 'email not verified', userId: claims.sub });
      return undefined;
    }
    const shortfall = authenticationShortfall(deps, claims, event, shape);
    if (shortfall) {
      log.info('access denied', { event: 'authorizer_deny', reason: shortfall, userId: claims.sub });
      return undefined;
    }
    if (!deps.sessions) return claims;
    // A cached verdict is a plain value: no promise to wait for on the path most requests take.
    const pending = deps.sessions.verdict(claims.sid, claims.sub, claims.exp);
    const verdict = typeof pending === 'string' ? pending : await pending;
    if (verdict === 'live') return claims;
    if (verdict === 'live-stale') {
      log.warn('session state unreadable; honouring a recent live state', { event: 'authorizer_stale_allow', sessionId: claims.sid });
      return claims;
    }
    log.info('access denied', { event: 'authorizer_deny', reason: `session ${verdict}`, userId: claims.sub, sessionId: claims.sid });
    return undefined;
  } catch (err) {
    if (err instanceof InvalidAccessToken) {
      log.info('access denied', { event: 'authorizer_deny', reason: err.reason });
    } else if (err instanceof SessionCheckUnavailable) {
      log.error('authorizer cannot read session state; denying', { event: 'authorizer_unavailable', error: describeError(err) });
    } else {
      // Key material unavailable: deny rather than guess.
      log.error('authorizer cannot verify tokens; denying', { event: 'authorizer_unavailable', error: describeError(err) });
    }
    return undefined;
  }
}

export async function authorize(
  deps: AuthorizerDeps,
  event: AuthorizerEvent,
): Promise<SimpleAuthorizerResult | APIGatewayAuthorizerResult> {
  const shape = shapeOf(event);
  const claims = await check(deps, event, shape);
  if (shape === 'http-api') {
    return claims ? { isAuthorized: true, context: contextOf(claims) } : { isAuthorized: false };
  }
  // REST: the documented way to answer 401 is to fail with exactly "Unauthorized".
  if (!claims) throw new Error('Unauthorized');
  const methodArn = (event as APIGatewayTokenAuthorizerEvent).methodArn;
  return {
    principalId: claims.sub,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcard(methodArn) }],
    },
    context: contextOf(claims),
  };
}
