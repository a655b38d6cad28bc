/**
 * The `scope` claim of access tokens (RFC 9068 §2.2.3): space-separated values derived from who
 * the user is, so gateways that only understand scopes can still gate routes on it. API Gateway's
 * native JWT authorizer, for one, lets a route require any of a list of scopes
 * (`authorizationScopes`), and aws-jwt-verify has a `scope` option.
 *
 *   role:<name>      one per role the user holds (`role:user`, `role:admin`, ...)
 *   email:verified   the user has verified their email address
 *
 * Roles whose names are not valid scope tokens (RFC 6749 §3.3: printable ASCII except space,
 * `"` and `\`) are left out of `scope`; they still appear in the `roles` claim.
 */
export const EMAIL_VERIFIED_SCOPE = 'email:verified';
export const ROLE_SCOPE_PREFIX = 'role:';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function scopeOf(subject: { roles: readonly string[]; emailVerified?: boolean | undefined }): string {
  const values = subject.roles.filter((role) => SCOPE_TOKEN.test(role)).map((role) => `${ROLE_SCOPE_PREFIX}${role}`);
  if (subject.emailVerified === true) values.push(EMAIL_VERIFIED_SCOPE);
  return [...new Set(values)].join(' ');
}
