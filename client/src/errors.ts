import type { components } from './openapi.js';

/** A code the API answers with (docs/openapi.yaml, `ErrorCode`). */
export type ApiErrorCode = components['schemas']['ErrorCode'];
/**
 * Codes the client adds: `forbidden` is the gateway's own refusal of an access token (invalid,
 * expired or of a revoked session), `not_signed_in` an authenticated call without a session,
 * `network_error` no answer at all, `unexpected_response` an answer the API does not give.
 * The passkey ceremonies (`@lambda-jwt-auth/client/passkeys`) add `passkey_cancelled` (the user
 * or the page cancelled, or nothing matched: the browser does not say which), `passkey_unsupported`
 * (no WebAuthn, or no autofill for `signInWithAutofill`) and `passkey_failed` (any other refusal
 * of the browser; the cause is attached).
 */
export type ClientErrorCode =
  | 'forbidden'
  | 'not_signed_in'
  | 'network_error'
  | 'unexpected_response'
  | 'passkey_cancelled'
  | 'passkey_unsupported'
  | 'passkey_failed';
export type AuthErrorCode = ApiErrorCode | ClientErrorCode;
export type FieldProblem = components['schemas']['FieldProblem'];

/** What a step-up refusal asks for (RFC 9470): an authentication at most `maxAge` seconds old, and `aal2` when `acrValues` says so. */
export interface StepUpChallenge {
  maxAge?: number;
  acrValues?: string;
}

/**
 * Every failure of the client: the API's error `code` (or one of the client's own), the HTTP
 * status (0 when nothing answered), the per-field `details` of a validation failure, `retryAfter`
 * seconds of a 429, and the step-up challenge of an `insufficient_user_authentication`.
 *
 * @example
 * try { await auth.account.changePassword({ currentPassword, newPassword }) }
 * catch (err) { if (isAuthError(err) && err.needsReauthentication) showReauthenticateForm() }
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;
  readonly status: number;
  readonly details: FieldProblem[];
  readonly retryAfter: number | undefined;
  readonly stepUp: StepUpChallenge | undefined;

  constructor(
    code: AuthErrorCode,
    message: string,
    options: { status?: number; details?: FieldProblem[]; retryAfter?: number; stepUp?: StepUpChallenge; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 0;
    this.details = options.details ?? [];
    this.retryAfter = options.retryAfter;
    this.stepUp = options.stepUp;
  }

  /** The operation needs a fresher (or second-factor) sign-in: `reauthenticate`, then try again. */
  get needsReauthentication(): boolean {
    return this.code === 'insufficient_user_authentication';
  }
}

export const isAuthError = (value: unknown): value is AuthError => value instanceof AuthError;

/** The challenge of `WWW-Authenticate: Bearer error="insufficient_user_authentication", max_age=300, acr_values="aal2"`. */
function stepUpOf(header: string | null): StepUpChallenge {
  const maxAge = /max_age="?(\d+)/.exec(header ?? '')?.[1];
  const acrValues = /acr_values="([^"]*)"/.exec(header ?? '')?.[1];
  return { ...(maxAge ? { maxAge: Number(maxAge) } : {}), ...(acrValues ? { acrValues } : {}) };
}

/** The error an unsuccessful answer stands for. */
export function errorOf(response: Response, body: unknown): AuthError {
  const status = response.status;
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: FieldProblem[] } } | undefined)?.error;
  if (error && typeof error.code === 'string') {
    const retryAfter = Number(response.headers.get('retry-after')) || undefined;
    return new AuthError(error.code as ApiErrorCode, typeof error.message === 'string' ? error.message : error.code, {
      status,
      details: Array.isArray(error.details) ? error.details : [],
      ...(retryAfter ? { retryAfter } : {}),
      ...(error.code === 'insufficient_user_authentication' ? { stepUp: stepUpOf(response.headers.get('www-authenticate')) } : {}),
    });
  }
  // The gateway's own answers ({"message": "Unauthorized" | "Forbidden"}): no token, or a refused one.
  if (status === 401) return new AuthError('unauthorized', 'Sign in first.', { status });
  if (status === 403) return new AuthError('forbidden', 'The access token was refused.', { status });
  return new AuthError('unexpected_response', `Unexpected answer (HTTP ${status}).`, { status });
}
