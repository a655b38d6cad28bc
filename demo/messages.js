/**
 * What the page tells a person when something fails: a sentence per error `code` of the API (and
 * of the client: `network_error`, `not_signed_in`, `forbidden`, the `passkey_*` codes of its
 * ceremonies), never the raw answer. A few
 * codes read differently depending on what was being done (`context`). Pure, like format.js.
 */

const MESSAGES = {
  invalid_request: 'Some fields need another look.',
  invalid_json: 'The page sent something the server could not read. Reload and try again.',
  unsupported_media_type: 'The page sent something the server could not read. Reload and try again.',
  payload_too_large: 'That is more than the server accepts. Shorten it and try again.',
  invalid_credentials: 'That email and password do not match an account.',
  invalid_refresh_token: 'Your session has ended. Sign in again.',
  refresh_token_reused: 'Your session was ended for your safety. Sign in again.',
  unauthorized: 'Your session has ended. Sign in again.',
  not_signed_in: 'Your session has ended. Sign in again.',
  forbidden: 'Your session has ended. Sign in again.',
  email_taken: 'An account with this email already exists. Sign in, or reset its password.',
  invalid_token: 'This link is invalid, expired or already used. Ask for a new one.',
  not_found: 'That is no longer there. The list is up to date now.',
  csrf_rejected: 'The request was refused as coming from another site. Reload the page and try again.',
  too_many_attempts: 'Too many attempts.',
  invalid_code: 'That code is not right. Check it and try again.',
  invalid_mfa_token: 'That sign-in took too long or had too many wrong codes. Enter your password again.',
  insufficient_user_authentication: 'This needs you to confirm it is you first. Nothing was changed.',
  last_sign_in_method: 'This is your only way to sign in. Add a password, a passkey or a provider first.',
  service_unavailable: 'The service is busy. Try again in a moment.',
  internal_error: 'Something went wrong on our side. Try again.',
  network_error: 'The server could not be reached. Check your connection and try again.',
  unexpected_response: 'The server gave an answer this page does not understand. Try again.',
  passkey_cancelled: 'The passkey request was cancelled.',
  passkey_unsupported: 'This browser does not support passkeys.',
  passkey_failed: 'The browser could not use a passkey here.',
};

/** Codes that mean something more precise in one context. */
const IN_CONTEXT = {
  passkey: { invalid_code: 'That passkey is not registered to an account here, or it was removed.', passkey_cancelled: 'Passkey sign-in was cancelled.' },
  'second-factor-passkey': { invalid_code: 'That passkey is not one of this account.', passkey_cancelled: 'The passkey check was cancelled. Try again, or use a code.' },
  'add-passkey': { passkey_cancelled: 'Adding a passkey was cancelled, or this device could not confirm it is you.' },
  'second-factor': { invalid_code: 'That code is not right. Use the current code of your app, or an unused recovery code.' },
  'step-up': { invalid_credentials: 'That password is not right.', invalid_code: 'That password or code is not right.' },
  'change-password': { invalid_credentials: 'Your current password is not right.' },
  link: { invalid_request: 'The provider could not be linked. Try again.' },
  provider: { invalid_token: 'That sign-in with the provider expired or was already used. Continue with the provider again.' },
};

/** "in 3 minutes", "in 40 seconds", for a 429's Retry-After. */
function waitFor(seconds) {
  return seconds >= 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
}

/** The sentence for an error thrown by the client (an AuthError) or by the browser (a ceremony). */
export function messageFor(error, context) {
  const code = error && typeof error.code === 'string' ? error.code : undefined;
  if (!code) return 'Something went wrong. Try again.';
  const text = (context && IN_CONTEXT[context]?.[code]) ?? MESSAGES[code] ?? 'Something went wrong. Try again.';
  if (code === 'too_many_attempts') return error.retryAfter ? `${text} Try again in ${waitFor(error.retryAfter)}.` : `${text} Wait a little and try again.`;
  return text;
}

/** "Must be 8 to 72 bytes in UTF-8." from the API's `{field, message}` of a validation failure. */
export function fieldMessage(problem) {
  const message = problem.message.startsWith('must be 8 to 72 bytes')
    ? 'must be 8 to 72 characters long (accented letters and emoji count for more than one)'
    : problem.message;
  return `${message.charAt(0).toUpperCase()}${message.slice(1)}.`;
}
