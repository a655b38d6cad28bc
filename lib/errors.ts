/**
 * The error catalogue of the public contract. Every error the service answers with is an
 * {@link AppError}: a stable snake_case `code`, the HTTP status it maps to, a message safe to show
 * to a client, and optionally validation `details`. Anything internal (a DynamoDB message, a table
 * name, a stack) rides in `cause`, which is logged and never sent.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'invalid_credentials'
  | 'invalid_refresh_token'
  | 'refresh_token_reused'
  | 'unauthorized'
  | 'email_taken'
  | 'csrf_rejected'
  | 'too_many_attempts'
  | 'service_unavailable'
  | 'internal_error';

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  invalid_credentials: 401,
  invalid_refresh_token: 401,
  refresh_token_reused: 401,
  unauthorized: 401,
  email_taken: 409,
  csrf_rejected: 403,
  too_many_attempts: 429,
  service_unavailable: 503,
  internal_error: 500,
};

export interface FieldProblem {
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: FieldProblem[] | undefined;
  /** Extra response headers, e.g. Retry-After for throttling. */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: FieldProblem[]; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = STATUS_BY_CODE[code];
    this.details = options.details;
    this.headers = options.headers;
  }
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

export const unauthorized = (cause?: unknown) =>
  new AppError('unauthorized', 'A valid access token is required.', { cause });

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

export const tooManyAttempts = (retryAfterSeconds: number) =>
  new AppError('too_many_attempts', 'Too many attempts. Try again later.', {
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });

/**
 * A dependency (DynamoDB, Secrets Manager) failed. Raised at the edge where the foreign error
 * enters, so use cases and the HTTP layer never look at SDK error shapes.
 */
export const serviceUnavailable = (cause?: unknown) =>
  new AppError('service_unavailable', 'The service is temporarily unavailable. Try again shortly.', {
    cause,
  });

/** Configuration or key material is unusable: the function must not serve. */
export class ConfigurationError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ConfigurationError';
  }
}
