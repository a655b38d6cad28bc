/**
 * The HTTP plumbing shared by every endpoint handler:
 *
 *   httpHandler({ config, body: 'json', caller: 'required' }, async (request) => json(200, ...))
 *
 * - header names are lower-cased (API Gateway REST keeps the client's casing, HTTP API does not);
 * - JSON endpoints refuse bodies over the configured cap (413) and non-JSON content types (415)
 *   before parsing, then parse with middy's JSON body parser (a parse failure is 400 `invalid_json`);
 *   form endpoints (the OAuth ones) get the same cap and a form-encoded body, parsed by
 *   lib/http/form.ts;
 * - the handler gets one typed {@link HttpRequest}, built here from the container's configuration:
 *   the source IP (with CLIENT_IP_HEADER honoured) and user agent, the caller on routes behind the
 *   authorizer (401 without one), the refresh-token transport and the presented refresh cookie.
 *   What every handler needs is decided once, so none can forget it;
 * - routes declared `stepUp` refuse a stale or single-factor authentication before the handler
 *   runs (lib/step-up.ts: 401 `insufficient_user_authentication` with the RFC 9470 challenge);
 * - one error middleware writes every error body from the catalogue in `lib/errors.ts`: this API's
 *   `{error: {code, message}}`, or on the OAuth endpoints (`errors: 'oauth'`) RFC 6749 §5.2's
 *   `{error, error_description}`, translated from the same codes by {@link oauthErrorOf}.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { Context } from 'aws-lambda';
import type { Caller } from '../caller';
import { AppError, unauthorized, type ErrorCode, type OAuthOnlyErrorCode, type PublicErrorCode } from '../errors';
import { describeError, log, requestIdOf, withRequestId } from '../log';
import { countMetric } from '../metrics';
import type { RequestMeta } from '../usecases/deps';
import { requireRecentAuthentication, type StepUpPolicy } from '../step-up';
import { formBodyGate, rawBodyBytes } from './form';
import { clearedRefreshCookie, refreshTokenFromCookie, transportOf, type CookieModeSettings, type Transport } from './cookie-mode';
import type { HttpEvent } from './event';
import { callerOf, requestMeta } from './request';
import { json, type HttpResult } from './responses';

export type { HttpEvent };
/** The event with what the chain decided about it, kept for the error path (the cookie sweeper). */
type ChainEvent = HttpEvent & { authTransport?: Transport };
type Request = middy.Request<ChainEvent, HttpResult, Error, Context>;

/** What a handler gets: the request as the middleware understood it. */
export interface HttpRequest {
  event: HttpEvent;
  /**
   * The parsed JSON body (JSON routes; undefined when none was sent), or the form's parameters
   * (form routes: a string per name, empty ones left out), for validation to judge.
   */
  body: unknown;
  /** Trusted source IP and user agent. */
  meta: RequestMeta;
  /** The caller, on routes behind the authorizer (see `caller` below). */
  caller: Caller | undefined;
  /** How the refresh token travels: `cookie` only on cookie-mode routes asked for it. */
  transport: Transport;
  /** The refresh token of the cookie, on routes that read it, in cookie mode. */
  refreshCookie: string | undefined;
}

/** A request on a route behind the authorizer: the caller is there. */
export type CallerRequest = HttpRequest & { caller: Caller };

const JSON_CONTENT_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/** Size and content-type gate in front of the JSON parser. */
function jsonBodyGate(maxBodyBytes: number): middy.MiddlewareObj<ChainEvent, HttpResult, Error, Context> {
  return {
    before: (request: Request) => {
      const { event } = request;
      const hasBody = typeof event.body === 'string' && event.body.length > 0;
      if (rawBodyBytes(event) > maxBodyBytes) {
        throw new AppError('payload_too_large', `The request body must be at most ${maxBodyBytes} bytes.`);
      }
      const contentType = event.headers?.['content-type'];
      if (!hasBody) {
        if (contentType === undefined || JSON_CONTENT_TYPE.test(contentType)) {
          event.body = undefined;
          return;
        }
      }
      if (contentType === undefined || !JSON_CONTENT_TYPE.test(contentType)) {
        throw new AppError('unsupported_media_type', 'The request body must be JSON (Content-Type: application/json).');
      }
    },
  };
}

/** The HTTP status of each public error code: the one place codes meet statuses. */
export const STATUS_BY_CODE: Record<PublicErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_token: 400,
  invalid_credentials: 401,
  invalid_refresh_token: 401,
  refresh_token_reused: 401,
  unauthorized: 401,
  csrf_rejected: 403,
  not_found: 404,
  email_taken: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_attempts: 429,
  invalid_code: 401,
  invalid_mfa_token: 401,
  insufficient_user_authentication: 401,
  last_sign_in_method: 409,
  internal_error: 500,
  service_unavailable: 503,
};

/** The status a code is answered with; undefined for internal codes, which are never answered. */
export function statusOf(code: ErrorCode): number | undefined {
  return Object.hasOwn(STATUS_BY_CODE, code) ? STATUS_BY_CODE[code as PublicErrorCode] : undefined;
}

const internalError = (cause: unknown) => new AppError('internal_error', 'Something went wrong on our side.', { cause });

/** Maps middy's parser failure (it answers 415 for bad JSON too) onto our catalogue. */
function toAppError(error: unknown, style: 'api' | 'oauth'): AppError {
  if (error instanceof AppError) {
    if (style === 'oauth' && isOAuthOnly(error.code)) return error;
    // An internal code that escaped its use case is a bug: answered generically, logged in full.
    return statusOf(error.code) === undefined ? internalError(error) : error;
  }
  const e = error as { cause?: { package?: unknown } } | undefined;
  if (e && e.cause && e.cause.package === '@middy/http-json-body-parser') {
    return new AppError('invalid_json', 'The request body is not valid JSON.', { cause: error });
  }
  return internalError(error);
}

function headersOf(error: AppError): Record<string, string> | undefined {
  return error.retryAfterSeconds === undefined ? undefined : { 'Retry-After': String(error.retryAfterSeconds) };
}

/**
 * Every 401 names the scheme it expects (RFC 9110 §15.5.2, RFC 6750 §3): a bare `Bearer` when no
 * usable token came, `error="invalid_token"` when one came and was refused, so clients know to
 * refresh or sign in again. No `error_description`: the reason a token failed stays in the logs.
 */
function challengeOf(error: AppError, status: number): Record<string, string> {
  if (status !== 401) return {};
  if (error.challenge) return { 'www-authenticate': error.challenge };
  return { 'www-authenticate': error.tokenRejected ? 'Bearer error="invalid_token"' : 'Bearer' };
}

/** The `error` values of RFC 6749 §5.2 (and RFC 7009 §2.2.1) this service answers with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unsupported_grant_type'
  | 'temporarily_unavailable'
  | 'server_error';

/**
 * Our codes that have an RFC 6749 counterpart other than `invalid_request`. A refused or reused
 * refresh token is `invalid_grant` (§5.2: "invalid, expired, revoked"); the description still
 * tells reuse apart. The 5xx names are RFC 6749 §4.1.2.1's, which OAuth clients also read at the
 * token endpoint.
 */
const OAUTH_ERROR_BY_CODE: Partial<Record<PublicErrorCode, OAuthErrorCode>> & Record<OAuthOnlyErrorCode, OAuthErrorCode> = {
  invalid_refresh_token: 'invalid_grant',
  refresh_token_reused: 'invalid_grant',
  service_unavailable: 'temporarily_unavailable',
  internal_error: 'server_error',
  unsupported_grant_type: 'unsupported_grant_type',
  invalid_client: 'invalid_client',
  invalid_scope: 'invalid_scope',
};

const OAUTH_ONLY: readonly ErrorCode[] = ['unsupported_grant_type', 'invalid_client', 'invalid_scope'] satisfies OAuthOnlyErrorCode[];
const isOAuthOnly = (code: ErrorCode): code is OAuthOnlyErrorCode => OAUTH_ONLY.includes(code);

/** RFC 6749 §5.2 allows only these characters in `error_description` (no double quote, no backslash). */
const NOT_IN_DESCRIPTION = /[^\x20\x21\x23-\x5b\x5d-\x7e]/g;

/**
 * The RFC 6749 §5.2 answer for an error of ours: its `error` and HTTP status. 400 for every
 * client mistake (§5.2: "400 unless specified otherwise"), 401 for `invalid_client`; a 429 or a
 * 5xx keeps its status, so a client backs off rather than giving up on its token. Anything of
 * ours without a counterpart (a wrong media type, a body too large, a forged cookie-mode request)
 * is a malformed request: `invalid_request`, with the reason in the description.
 */
export function oauthErrorOf(error: AppError, status: number): { status: number; body: { error: OAuthErrorCode; error_description: string } } {
  const code = OAUTH_ERROR_BY_CODE[error.code as PublicErrorCode | OAuthOnlyErrorCode] ?? 'invalid_request';
  const details = error.details?.map((d) => `${d.field} ${d.message}`).join('; ');
  const description = (details ? `${error.message} ${details}.` : error.message).replace(NOT_IN_DESCRIPTION, ' ');
  const oauthStatus = code === 'invalid_client' ? 401 : status >= 500 || status === 429 ? status : 400;
  return { status: oauthStatus, body: { error: code, error_description: description } };
}

/** RFC 6749 §5.1: token endpoint answers, errors included, are never cached, by HTTP/1.0 caches either. */
export const OAUTH_NO_CACHE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/** The one place that turns an error into an HTTP answer. */
function errorResponder(style: 'api' | 'oauth'): middy.MiddlewareObj<ChainEvent, HttpResult, Error, Context> {
  return {
    onError: (request: Request) => {
      const error = toAppError(request.error, style);
      // OAuth-only codes have no status of this API's catalogue: oauthErrorOf gives theirs.
      const catalogued = statusOf(error.code) ?? (isOAuthOnly(error.code) ? 400 : 500);
      const oauth = style === 'oauth' ? oauthErrorOf(error, catalogued) : undefined;
      const status = oauth?.status ?? catalogued;
      const fields = {
        code: error.code,
        status,
        route: request.event?.routeKey,
      };
      if (status >= 500) {
        log.error('request failed', { ...fields, error: describeError(error.cause ?? error) });
        // 503 (a dependency down) and 500 (a bug) alike: what the ServerErrors alarm watches.
        countMetric('ServerErrors');
      } else log.info('request rejected', fields);
      if (oauth) {
        // No WWW-Authenticate, even on invalid_client's 401: the only client authentication
        // served is `none`, so there is no scheme to name, and a Bearer challenge would point
        // clients at the wrong thing.
        request.response = json(status, oauth.body, { ...OAUTH_NO_CACHE, ...headersOf(error) });
        return;
      }
      const body: { code: string; message: string; details?: unknown } = { code: error.code, message: error.message };
      if (error.details) body.details = error.details;
      request.response = json(status, { error: body }, { ...challengeOf(error, status), ...headersOf(error) });
    },
  };
}

/**
 * In cookie mode, a refresh cookie the service refused as invalid or reused is cleared in the
 * same answer, so the browser stops sending a token that can never work again.
 */
function deadCookieSweeper(settings: CookieModeSettings): middy.MiddlewareObj<ChainEvent, HttpResult, Error, Context> {
  return {
    onError: (request: Request) => {
      const code = (request.error as { code?: unknown } | null)?.code;
      if (request.event?.authTransport !== 'cookie' || !request.response) return;
      if (code === 'invalid_refresh_token' || code === 'refresh_token_reused') {
        request.response = { ...request.response, cookies: [clearedRefreshCookie(settings)] };
      }
    },
  };
}

export interface HttpHandlerOptions {
  /** The container's configuration: the trusted client IP header and the body cap come from it. */
  config: { clientIpHeader: string | undefined; maxBodyBytes: number };
  /**
   * `json`: an endpoint reading a JSON body, at most MAX_BODY_BYTES; `form`: one reading an
   * `application/x-www-form-urlencoded` body (the OAuth endpoints), with the same cap.
   */
  body?: 'json' | 'form' | 'none';
  /** `oauth`: errors answered in RFC 6749 §5.2's shape (see {@link oauthErrorOf}); default `api`. */
  errors?: 'api' | 'oauth';
  /**
   * `required`: a route behind the authorizer. Its context is always there when the gateway runs
   * the authorizer; a request without it (a misrouted integration) answers 401, never reaching
   * the handler.
   */
  caller?: 'required';
  /**
   * A sensitive operation (lib/step-up.ts): the caller's authentication must be recent, and
   * `aal2` for a user with a second factor, or the route answers 401
   * `insufficient_user_authentication` before the handler runs. Implies `caller: 'required'`.
   */
  stepUp?: StepUpPolicy;
  /**
   * Routes that can carry the refresh token in a cookie (register, login, refresh, logout).
   * `readsCookie` for the ones that read it (refresh, logout). The CSRF checks run before the
   * body is looked at, so a forged form post is refused as such, whatever its content type.
   */
  cookieMode?: { settings: CookieModeSettings; readsCookie: boolean };
}

export function httpHandler(
  options: HttpHandlerOptions & { caller: 'required' },
  handler: (request: CallerRequest, context: Context) => Promise<HttpResult>,
): (event: HttpEvent, context: Context) => Promise<HttpResult>;
export function httpHandler(
  options: HttpHandlerOptions,
  handler: (request: HttpRequest, context: Context) => Promise<HttpResult>,
): (event: HttpEvent, context: Context) => Promise<HttpResult>;
export function httpHandler(
  options: HttpHandlerOptions,
  handler: (request: CallerRequest, context: Context) => Promise<HttpResult>,
): (event: HttpEvent, context: Context) => Promise<HttpResult> {
  const { cookieMode, config } = options;
  const chain = middy<ChainEvent, HttpResult, Error, Context>();
  // Registered first, so its onError runs after the error responder has written the answer.
  if (cookieMode) chain.use(deadCookieSweeper(cookieMode.settings));
  chain.use(errorResponder(options.errors ?? 'api')).use(httpHeaderNormalizer());
  if (cookieMode) {
    chain.use({
      before: (request: Request) => {
        request.event.authTransport = transportOf(request.event, cookieMode.settings, cookieMode.readsCookie);
      },
    });
  }
  if (options.body === 'json') {
    // Our gate has already accepted the media type (case-insensitively, as RFC 9110 says); middy's
    // own check is stricter, so it is switched off rather than left to skip parsing silently.
    const parserOptions = { disableContentTypeCheck: true } as Parameters<typeof httpJsonBodyParser>[0];
    const parser = httpJsonBodyParser(parserOptions) as middy.MiddlewareObj<ChainEvent, HttpResult, Error, Context>;
    chain.use(jsonBodyGate(config.maxBodyBytes)).use({
      // An absent body is left undefined for validation to judge (logout accepts none).
      before: (request: Request) => (typeof request.event.body === 'string' ? parser.before?.(request) : undefined),
    });
  }
  if (options.body === 'form') chain.use(formBodyGate(config.maxBodyBytes));
  const run = chain.handler(async (event, context) => {
    const caller = callerOf(event);
    if ((options.caller === 'required' || options.stepUp) && !caller) throw unauthorized();
    if (options.stepUp) await requireRecentAuthentication(options.stepUp, caller!);
    const transport = event.authTransport ?? 'body';
    const request = {
      event,
      body: event.body,
      meta: requestMeta(event, config),
      caller: caller!,
      transport,
      refreshCookie: transport === 'cookie' && cookieMode?.readsCookie ? refreshTokenFromCookie(event) : undefined,
    };
    return handler(request, context);
  });
  // The request id is set here, once, for every log line of the request (lib/log.ts).
  return (event: HttpEvent, context: Context): Promise<HttpResult> =>
    withRequestId(requestIdOf(event, context), () => run(event, context));
}
