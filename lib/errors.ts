/**
 * The service's one error model. Code in `lib/` raises an {@link AppError}: a stable snake_case
 * `code`, a message safe to show to a client, and optionally validation `details` or the seconds
 * a client must wait. Anything internal (a DynamoDB message, a table name, a stack) rides in
 * `cause`, which is logged and never sent. Errors know nothing of HTTP: the HTTP middleware
 * (lib/http/middleware.ts) alone maps a code to a status and headers.
 *
 * Foreign errors are translated where they enter: repositories turn DynamoDB failures into
 * `service_unavailable` and condition failures into the domain codes below; the key sources turn
 * Secrets Manager failures into `service_unavailable`; the token module turns jose's errors into
 * `InvalidAccessToken`.
 */

/** Codes of the public contract (docs/openapi.yaml `ErrorCode`), each answered with one HTTP status. */
export type PublicErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'invalid_credentials'
  | 'invalid_refresh_token'
  | 'refresh_token_reused'
  | 'unauthorized'
  | 'email_taken'
  | 'invalid_token'
  | 'not_found'
  | 'csrf_rejected'
  | 'too_many_attempts'
  | 'invalid_code'
  | 'invalid_mfa_token'
  | 'insufficient_user_authentication'
  | 'last_sign_in_method'
  | 'service_unavailable'
  | 'internal_error';

/**
 * Codes a repository hands to its use case, which decides what they mean for the client. They
 * never reach a client as such: one that escaped to the middleware is answered `internal_error`.
 */
export type InternalErrorCode =
  /** A refresh token was consumed by a concurrent rotation between our read and our write. */
  | 'token_already_consumed'
  /** The session is revoked or past its absolute lifetime. */
  | 'session_not_active'
  /** The user behind a refresh token changed (claims, disabled, deleted) since its snapshot. */
  | 'subject_changed';

/**
 * Codes only the OAuth endpoints raise, each already an RFC 6749 §5.2 `error` value. They are
 * answered in that RFC's shape only (lib/http/middleware.ts `oauthErrorOf`); anywhere else one
 * would be a bug, answered `internal_error` like an internal code.
 */
export type OAuthOnlyErrorCode =
  /** A grant other than refresh_token. */
  | 'unsupported_grant_type'
  /** A client_id other than ours, or a client credential (only `none` is served). */
  | 'invalid_client'
  /** A `scope` parameter on a refresh (the scope follows the user's roles). */
  | 'invalid_scope';

export type ErrorCode = PublicErrorCode | InternalErrorCode | OAuthOnlyErrorCode;

export interface FieldProblem {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  cause?: unknown;
  details?: FieldProblem[];
  /** How long the client should wait before trying again (throttling). */
  retryAfterSeconds?: number;
  /** An access token was presented and refused (RFC 6750 `invalid_token`), as opposed to none sent. */
  tokenRejected?: boolean;
  /** The `WWW-Authenticate` value of a 401 that asks for more than a valid token (RFC 9470). */
  challenge?: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: FieldProblem[] | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly tokenRejected: boolean;
  readonly challenge: string | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.tokenRejected = options.tokenRejected ?? false;
    this.challenge = options.challenge;
  }
}

/** True when `err` is an {@link AppError} with `code`. */
export function hasCode(err: unknown, code: ErrorCode): err is AppError {
  return err instanceof AppError && err.code === code;
}

export const invalidRequest = (details: FieldProblem[]) =>
  new AppError('invalid_request', 'The request body is invalid.', { details });

export const invalidCredentials = () =>
  new AppError('invalid_credentials', 'The email or password is incorrect.');

export const invalidRefreshToken = (cause?: unknown) =>
  new AppError('invalid_refresh_token', 'The refresh token is invalid, expired or revoked.', { cause });

export const refreshTokenReused = () =>
  new AppError(
    'refresh_token_reused',
    'This refresh token was already used; the session has been revoked. Sign in again.',
  );

/** No access token was presented where one is needed. */
export const unauthorized = (cause?: unknown) =>
  new AppError('unauthorized', 'A valid access token is required.', { cause });

/** An access token was presented but is invalid, expired, or its user is gone. */
export const invalidAccessToken = (cause?: unknown) =>
  new AppError('unauthorized', 'A valid access token is required.', { cause, tokenRejected: true });

export const emailTaken = () =>
  new AppError('email_taken', 'An account with this email already exists.');

/**
 * A cookie-mode request (one that reads or sets the refresh cookie) without the
 * `X-Auth-Transport: cookie` header, or from an origin outside the allow-list: what a cross-site
 * form or script would send.
 */
export const csrfRejected = () =>
  new AppError(
    'csrf_rejected',
    'Cookie-mode requests need the X-Auth-Transport: cookie header and an allowed Origin.',
  );
/** One message for every bad email-verification or reset token: the cause is never told apart. */
export const invalidToken = (cause?: unknown) =>
  new AppError('invalid_token', 'The link is invalid, expired or was already used. Request a new one.', { cause });

/** One message for every wrong, expired or used second-factor code. */
export const invalidCode = (cause?: unknown) =>
  new AppError('invalid_code', 'The code is invalid, expired or was already used.', { cause });

/** The change would leave an account with no way to sign in (no password, identity or passkey left). */
export const lastSignInMethod = () =>
  new AppError('last_sign_in_method', 'This is the only way to sign in to the account. Set a password or link another provider first.');

/**
 * A passkey ceremony that fails, whatever the reason (challenge unknown, used or expired; another
 * origin or RP id; no user verification; a bad signature; a credential not the user's; a counter
 * going backwards; a credential already registered): one answer, the reason only in the log.
 */
export const invalidPasskey = (cause?: unknown) =>
  new AppError('invalid_code', 'The passkey could not be verified. Start again.', { cause });

/** The mfaToken is malformed, unknown, expired, used, spent by wrong codes, or its password changed. */
export const invalidMfaToken = (cause?: unknown) =>
  new AppError('invalid_mfa_token', 'The sign-in step expired or is no longer valid. Sign in again.', { cause });

/**
 * A sensitive operation needs a more recent authentication (`auth_time` older than `maxAgeSeconds`)
 * or a stronger one (`aal2`): RFC 9470's challenge says which.
 */
export const insufficientUserAuthentication = (maxAgeSeconds: number, needsAal2: boolean) =>
  new AppError('insufficient_user_authentication', needsAal2
    ? 'This operation needs a recent sign-in with your second factor. Reauthenticate and try again.'
    : 'This operation needs a recent sign-in. Reauthenticate and try again.', {
    challenge: `Bearer error="insufficient_user_authentication", max_age=${maxAgeSeconds}${needsAal2 ? ', acr_values="aal2"' : ''}`,
  });

export const unsupportedGrantType = () =>
  new AppError('unsupported_grant_type', 'The only grant this token endpoint serves is refresh_token.');

export const invalidClient = (message: string) => new AppError('invalid_client', message);

export const invalidScope = () =>
  new AppError('invalid_scope', 'The scope of a refreshed token follows the user\'s roles; it cannot be requested.');

export const notFound = (cause?: unknown) =>
  new AppError('not_found', 'Nothing was found here.', { cause });

export const tooManyAttempts = (retryAfterSeconds: number) =>
  new AppError('too_many_attempts', 'Too many attempts. Try again later.', {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)),
  });

/**
 * A dependency (DynamoDB, Secrets Manager) failed. Raised at the edge where the foreign error
 * enters, so use cases and the HTTP layer never look at SDK error shapes.
 */
export const serviceUnavailable = (cause?: unknown) =>
  new AppError('service_unavailable', 'The service is temporarily unavailable. Try again shortly.', {
    cause,
  });

export const tokenAlreadyConsumed = () =>
  new AppError('token_already_consumed', 'The refresh token was consumed by a concurrent request.');

export const sessionNotActive = () =>
  new AppError('session_not_active', 'The session is revoked or expired.');

export const subjectChanged = () =>
  new AppError('subject_changed', 'The user changed since the refresh token was issued.');

/** Configuration or key material is unusable: the function must not serve. */
export class ConfigurationError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ConfigurationError';
  }
}
