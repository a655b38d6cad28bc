/**
 * Request body validation. Small and explicit on purpose: ten bodies with a handful of fields
 * do not justify a schema library in every bundle (measured: docs/reference/performance.md "Validation without a schema library (measured)"). Unknown fields are dropped here, so nothing
 * a client invents (roles, id, emailVerified...) can reach storage.
 */
import { canonicalEmail } from './email-address';
import { invalidRequest, type FieldProblem } from './errors';
import { hasControlCharacter, PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES, passwordByteLength } from './passwords';

export { EMAIL_MAX_LENGTH } from './email-address';
export const NAME_MAX_LENGTH = 100;

export type LogoutScope = 'local' | 'global' | 'others';

export interface RegisterInput {
  email: string;
  password: string;
  name: string | undefined;
}
export interface LoginInput {
  email: string;
  password: string;
  /** The device token a previous sign-in of this client got (body mode; cookie mode uses a cookie). */
  deviceToken?: string | undefined;
}
export interface RefreshInput {
  refreshToken: string;
}
export interface TokenInput {
  token: string;
}
export interface ResetInput {
  token: string;
  newPassword: string;
}
export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
}
export interface ForgotInput {
  email: string;
}
export interface DeleteAccountInput {
  /** Required of an account with a password; an account without one (federated) sends none. */
  password: string | undefined;
}
export interface LogoutInput {
  refreshToken: string | undefined;
  scope: LogoutScope;
}

function asObject(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidRequest([{ field: 'body', message: 'must be a JSON object' }]);
  }
  return body as Record<string, unknown>;
}

function email(body: Record<string, unknown>, problems: FieldProblem[], field = 'email'): string {
  const raw = body[field];
  if (typeof raw !== 'string') {
    problems.push({ field, message: raw === undefined ? 'is required' : 'must be a string' });
    return '';
  }
  // One canonical form per address (lib/email-address.ts): hidden characters, markup, trailing dots and
  // mixed-script look-alikes are refused; fullwidth forms and IDN encodings fold to one account.
  const checked = canonicalEmail(raw);
  if (!checked.ok) {
    problems.push({ field, message: checked.reason });
    return raw;
  }
  return checked.email;
}

function password(body: Record<string, unknown>, problems: FieldProblem[], field = 'password'): string {
  const raw = body[field];
  if (typeof raw !== 'string') {
    problems.push({ field, message: raw === undefined ? 'is required' : 'must be a string' });
    return '';
  }
  const bytes = passwordByteLength(raw);
  if (hasControlCharacter(raw)) {
    // bcrypt cycles the key bytes with a NUL after each copy, so `abcdefgh` and
    // `abcdefgh\0abcdefgh` would be one password (lib/passwords.ts). Refused in every password
    // field, the ones checked against a stored hash too: like the length rule, the answer depends
    // on the input alone, never on an account, and no password that can be set contains one.
    problems.push({ field, message: 'must not contain NUL or other control characters' });
  } else if (bytes < PASSWORD_MIN_BYTES || bytes > PASSWORD_MAX_BYTES) {
    problems.push({
      field,
      message: `must be ${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes in UTF-8`,
    });
  }
  return raw;
}

function done<T>(problems: FieldProblem[], value: T): T {
  if (problems.length > 0) throw invalidRequest(problems);
  return value;
}

export function parseRegister(body: unknown): RegisterInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  const result: RegisterInput = { email: email(obj, problems), password: password(obj, problems), name: undefined };
  if (obj.name !== undefined && obj.name !== null) {
    if (typeof obj.name !== 'string') problems.push({ field: 'name', message: 'must be a string' });
    else {
      const name = obj.name.trim();
      if ([...name].length > NAME_MAX_LENGTH) problems.push({ field: 'name', message: `must be at most ${NAME_MAX_LENGTH} characters` });
      else if (/\p{Cc}/u.test(name)) problems.push({ field: 'name', message: 'must not contain control characters' });
      else result.name = name || undefined;
    }
  }
  return done(problems, result);
}

export function parseLogin(body: unknown): LoginInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  const deviceToken = obj.deviceToken;
  if (deviceToken !== undefined && (typeof deviceToken !== 'string' || deviceToken.length > 128)) {
    problems.push({ field: 'deviceToken', message: 'must be the string a previous sign-in returned' });
  }
  const input: LoginInput = { email: email(obj, problems), password: password(obj, problems) };
  if (typeof deviceToken === 'string') input.deviceToken = deviceToken;
  return done(problems, input);
}

export function parseRefresh(body: unknown): RefreshInput {
  const obj = asObject(body);
  if (typeof obj.refreshToken !== 'string' || obj.refreshToken.length === 0) {
    throw invalidRequest([{ field: 'refreshToken', message: obj.refreshToken === undefined ? 'is required' : 'must be a non-empty string' }]);
  }
  return { refreshToken: obj.refreshToken };
}

export function parseLogout(body: unknown): LogoutInput {
  // A logout with no body at all is a plain "log out this Bearer session".
  const obj = body === undefined ? {} : asObject(body);
  const problems: FieldProblem[] = [];
  let refreshToken: string | undefined;
  if (obj.refreshToken !== undefined && obj.refreshToken !== null) {
    if (typeof obj.refreshToken !== 'string') problems.push({ field: 'refreshToken', message: 'must be a string' });
    else refreshToken = obj.refreshToken;
  }
  let scope: LogoutScope = 'local';
  if (obj.scope !== undefined && obj.scope !== null) {
    if (obj.scope === 'local' || obj.scope === 'global' || obj.scope === 'others') scope = obj.scope;
    else problems.push({ field: 'scope', message: 'must be one of local, global, others' });
  }
  return done(problems, { refreshToken, scope });
}

/** A verification or reset token: any non-empty string here; its shape is judged as `invalid_token`. */
function token(body: Record<string, unknown>, problems: FieldProblem[]): string {
  const raw = body.token;
  if (typeof raw !== 'string' || raw.length === 0) {
    problems.push({ field: 'token', message: raw === undefined ? 'is required' : 'must be a non-empty string' });
    return '';
  }
  return raw;
}

export function parseVerifyEmail(body: unknown): TokenInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  return done(problems, { token: token(obj, problems) });
}

export interface EmailChangeInput {
  newEmail: string;
}

export function parseEmailChange(body: unknown): EmailChangeInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  return done(problems, { newEmail: email(obj, problems, 'newEmail') });
}

export function parseForgot(body: unknown): ForgotInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  return done(problems, { email: email(obj, problems) });
}

/** A weak or over-long newPassword is refused here, before the token is even looked up. */
export function parseReset(body: unknown): ResetInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  return done(problems, { token: token(obj, problems), newPassword: password(obj, problems, 'newPassword') });
}

export function parseChangePassword(body: unknown): ChangePasswordInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  return done(problems, {
    currentPassword: password(obj, problems, 'currentPassword'),
    newPassword: password(obj, problems, 'newPassword'),
  });
}

export function parseDeleteAccount(body: unknown): DeleteAccountInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  return done(problems, { password: obj.password === undefined ? undefined : password(obj, problems) });
}

/** A short string field (codes, ids, tokens): present, a non-empty string of at most `max` characters. */
function shortString(body: Record<string, unknown>, problems: FieldProblem[], field: string, max: number, required = true): string | undefined {
  const raw = body[field];
  if (raw === undefined && !required) return undefined;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > max) {
    problems.push({ field, message: raw === undefined ? 'is required' : `must be a non-empty string of at most ${max} characters` });
    return '';
  }
  return raw;
}

export type MfaVerifyInput = { mfaToken: string } & (
  | { code: string; recoveryCode?: undefined; passkey?: undefined }
  | { recoveryCode: string; code?: undefined; passkey?: undefined }
  | { passkey: PasskeyAssertion; code?: undefined; recoveryCode?: undefined }
);

/** `{mfaToken, code}`, `{mfaToken, recoveryCode}` or `{mfaToken, passkey}`: exactly one of the three. */
export function parseMfaVerify(body: unknown): MfaVerifyInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  const mfaToken = shortString(obj, problems, 'mfaToken', 128)!;
  const code = shortString(obj, problems, 'code', 16, false);
  const recoveryCode = shortString(obj, problems, 'recoveryCode', 64, false);
  const passkey = obj.passkey === undefined ? undefined : assertion(obj.passkey, problems, 'passkey');
  const given = [code, recoveryCode, passkey].filter((v) => v !== undefined).length;
  if (given !== 1) problems.push({ field: 'code', message: 'give exactly one of code, recoveryCode and passkey' });
  if (passkey) return done(problems, { mfaToken, passkey });
  return done(problems, code !== undefined ? { mfaToken, code } : { mfaToken, recoveryCode: recoveryCode ?? '' });
}

export interface MfaChallengeInput {
  mfaToken: string;
}

export function parseMfaChallenge(body: unknown): MfaChallengeInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  return done(problems, { mfaToken: shortString(obj, problems, 'mfaToken', 128)! });
}

/**
 * A WebAuthn response as `@simplewebauthn/browser` sends it (JSON, binary fields base64url). Only
 * its shape is checked here, with generous bounds on each field, and only the named fields are
 * kept; lib/passkeys/webauthn.ts checks what they say.
 */
export interface PasskeyAssertion {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  clientExtensionResults: Record<string, never>;
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

export interface PasskeyRegistration {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; attestationObject: string; transports?: string[] };
  clientExtensionResults: Record<string, never>;
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

const B64URL = /^[A-Za-z0-9_-]*$/;
/** Credential ids are at most 1023 bytes; the other binary fields are a few hundred bytes (attestation objects more). */
const CREDENTIAL_ID_MAX = 1400;
const FIELD_MAX = 16_384;

function b64url(obj: Record<string, unknown>, problems: FieldProblem[], field: string, path: string, max: number, required = true): string | undefined {
  const raw = obj[field];
  if (raw === undefined && !required) return undefined;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > max || !B64URL.test(raw)) {
    problems.push({ field: `${path}.${field}`, message: raw === undefined ? 'is required' : `must be base64url of at most ${max} characters` });
    return '';
  }
  return raw;
}

function credentialCommon(raw: unknown, problems: FieldProblem[], path: string) {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ field: path, message: 'must be the credential object the browser returned' });
    return undefined;
  }
  const obj = raw as Record<string, unknown>;
  if (obj.type !== 'public-key') problems.push({ field: `${path}.type`, message: 'must be "public-key"' });
  const response = obj.response;
  if (!response || typeof response !== 'object' || Array.isArray(response)) {
    problems.push({ field: `${path}.response`, message: 'is required' });
    return undefined;
  }
  const attachment: 'platform' | 'cross-platform' | undefined =
    obj.authenticatorAttachment === 'platform' || obj.authenticatorAttachment === 'cross-platform' ? obj.authenticatorAttachment : undefined;
  return {
    head: {
      id: b64url(obj, problems, 'id', path, CREDENTIAL_ID_MAX)!,
      rawId: b64url(obj, problems, 'rawId', path, CREDENTIAL_ID_MAX)!,
      type: 'public-key' as const,
      // Extensions are not asked for; whatever a client sends is dropped.
      clientExtensionResults: {},
      ...(attachment ? { authenticatorAttachment: attachment } : {}),
    },
    response: response as Record<string, unknown>,
  };
}

function assertion(raw: unknown, problems: FieldProblem[], path: string): PasskeyAssertion | undefined {
  const common = credentialCommon(raw, problems, path);
  if (!common) return undefined;
  const r = common.response;
  const userHandle = b64url(r, problems, 'userHandle', `${path}.response`, 128, false);
  return {
    ...common.head,
    response: {
      clientDataJSON: b64url(r, problems, 'clientDataJSON', `${path}.response`, FIELD_MAX)!,
      authenticatorData: b64url(r, problems, 'authenticatorData', `${path}.response`, FIELD_MAX)!,
      signature: b64url(r, problems, 'signature', `${path}.response`, FIELD_MAX)!,
      ...(userHandle ? { userHandle } : {}),
    },
  };
}

function registration(raw: unknown, problems: FieldProblem[], path: string): PasskeyRegistration | undefined {
  const common = credentialCommon(raw, problems, path);
  if (!common) return undefined;
  const r = common.response;
  const transports = Array.isArray(r.transports) ? r.transports.filter((t): t is string => typeof t === 'string' && /^[a-z-]{1,16}$/.test(t)).slice(0, 8) : undefined;
  return {
    ...common.head,
    response: {
      clientDataJSON: b64url(r, problems, 'clientDataJSON', `${path}.response`, FIELD_MAX)!,
      attestationObject: b64url(r, problems, 'attestationObject', `${path}.response`, FIELD_MAX)!,
      ...(transports ? { transports } : {}),
    },
  };
}

/** Longest name a passkey may be given (the user's own label, shown in the factor list). */
export const PASSKEY_NAME_MAX_LENGTH = 64;

export interface PasskeyRegisterInput {
  response: PasskeyRegistration;
  name: string | undefined;
}

export function parsePasskeyRegister(body: unknown): PasskeyRegisterInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  const response = registration(obj.response, problems, 'response');
  let name: string | undefined;
  if (obj.name !== undefined && obj.name !== null) {
    if (typeof obj.name !== 'string') problems.push({ field: 'name', message: 'must be a string' });
    else if ([...obj.name.trim()].length > PASSKEY_NAME_MAX_LENGTH) problems.push({ field: 'name', message: `must be at most ${PASSKEY_NAME_MAX_LENGTH} characters` });
    else if (/\p{Cc}/u.test(obj.name)) problems.push({ field: 'name', message: 'must not contain control characters' });
    else name = obj.name.trim() || undefined;
  }
  return done(problems, { response: response!, name });
}

export interface PasskeyLoginInput {
  response: PasskeyAssertion;
  /** The device token of an earlier sign-in (as at login), or the device cookie in cookie mode. */
  deviceToken?: string | undefined;
}

export function parsePasskeyLogin(body: unknown): PasskeyLoginInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  const response = assertion(obj.response, problems, 'response');
  const deviceToken = obj.deviceToken;
  if (deviceToken !== undefined && (typeof deviceToken !== 'string' || deviceToken.length > 128)) {
    problems.push({ field: 'deviceToken', message: 'must be the string a previous sign-in returned' });
  }
  return done(problems, { response: response!, ...(typeof deviceToken === 'string' ? { deviceToken } : {}) });
}

export interface TotpConfirmInput {
  factorId: string;
  code: string;
}

export function parseTotpConfirm(body: unknown): TotpConfirmInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  return done(problems, { factorId: shortString(obj, problems, 'factorId', 64)!, code: shortString(obj, problems, 'code', 16)! });
}

export type ReauthenticateInput = { password: string; code: string | undefined; passkey?: undefined } | { passkey: PasskeyAssertion; password?: undefined; code?: undefined };

/** `{password, code?}`, or `{passkey}` (an assertion over options from POST /auth/passkeys/login/options). */
export function parseReauthenticate(body: unknown): ReauthenticateInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  if (obj.passkey !== undefined) {
    if (obj.password !== undefined || obj.code !== undefined) problems.push({ field: 'passkey', message: 'give either a passkey or a password (with a code)' });
    const passkey = assertion(obj.passkey, problems, 'passkey');
    return done(problems, { passkey: passkey! });
  }
  return done(problems, { password: password(obj, problems), code: shortString(obj, problems, 'code', 16, false) });
}

export interface OAuthCodeInput {
  code: string;
  /** The device token of an earlier sign-in (as at login), or the device cookie in cookie mode. */
  deviceToken?: string | undefined;
}

/**
 * POST /auth/oauth/token: `{code, deviceToken?}`, the code a string (its shape is judged with the
 * code itself: invalid_token), the device token as at login.
 */
export function parseOAuthCode(body: unknown): OAuthCodeInput {
  const b = asObject(body);
  const problems: FieldProblem[] = [];
  if (typeof b.code !== 'string') problems.push({ field: 'code', message: b.code === undefined ? 'is required' : 'must be a string' });
  const deviceToken = b.deviceToken;
  if (deviceToken !== undefined && (typeof deviceToken !== 'string' || deviceToken.length > 128)) {
    problems.push({ field: 'deviceToken', message: 'must be the string a previous sign-in returned' });
  }
  if (problems.length > 0) throw invalidRequest(problems);
  return { code: b.code as string, ...(typeof deviceToken === 'string' ? { deviceToken } : {}) };
}

export interface LinkStartInput {
  /** Where the callback sends the browser back (an allowed origin; checked by the use case). */
  redirectUri: string;
  loginHint: string | undefined;
}

/** POST /auth/oauth/{provider}/link `{redirectUri, loginHint?}`. */
export function parseLinkStart(body: unknown): LinkStartInput {
  const obj = asObject(body);
  const problems: FieldProblem[] = [];
  const redirectUri = shortString(obj, problems, 'redirectUri', 2048) ?? '';
  const loginHint = shortString(obj, problems, 'loginHint', 254, false);
  return done(problems, { redirectUri, loginHint });
}
