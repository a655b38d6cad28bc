/**
 * Access tokens: short-lived JWTs signed with the current asymmetric key.
 *
 * Verification is deliberately strict: the algorithm is pinned to the configured one, `typ` must
 * be `at+jwt`, `iss` and `aud` are always compared against configured (never undefined) values,
 * `exp`/`iat`/`sub`/`sid`/`jti` are required, and oversized tokens are refused before any decoding.
 * Every failure about the token, including the odd TypeError from a hostile header, becomes one
 * `InvalidAccessToken` (code `unauthorized`), so callers cannot leak a 500. A failure of the key
 * store is not about the token: it passes through unchanged (`service_unavailable`), so logout
 * answers 503 and the authorizer logs an outage instead of blaming the token.
 */
import { randomUUID, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { DEFAULT_CLIENT_ID, type SigningAlg } from '../config';
import { AppError } from '../errors';
import type { KeyStore } from '../keys/key-store';
import { hasDuplicateMembers } from './duplicate-members';
import { scopeOf } from './scope';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Far above any token we issue (~1 KB), far below what would cost real parsing time. */
export const MAX_ACCESS_TOKEN_LENGTH = 4096;
const CLOCK_SKEW_SECONDS = 30;

export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  email: string;
  roles: string[];
  iat: number;
  exp: number;
  /** RFC 9068 `client_id` and `scope`; absent from tokens issued before they were added. */
  clientId: string | undefined;
  scope: string | undefined;
}

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  alg: SigningAlg;
  ttlSeconds: number;
  /** The `client_id` claim (RFC 9068): the first-party client the service issues tokens to. */
  clientId?: string;
}

/** The token is not one we accept. `reason` is for logs; the message is the client-safe one. */
export class InvalidAccessToken extends AppError {
  readonly reason: string;

  constructor(reason: string, options: { cause?: unknown } = {}) {
    super('unauthorized', 'A valid access token is required.', { ...options, tokenRejected: true });
    this.name = 'InvalidAccessToken';
    this.reason = reason;
  }
}

export async function signAccessToken(
  keys: KeyStore,
  settings: AccessTokenSettings,
  subject: { userId: string; sessionId: string; email: string; roles: string[]; emailVerified?: boolean },
  nowMs: number,
): Promise<string> {
  const signing = await keys.signingKey();
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({
    sid: subject.sessionId,
    email: subject.email,
    roles: subject.roles,
    client_id: settings.clientId ?? DEFAULT_CLIENT_ID,
    scope: scopeOf(subject),
  })
    .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(subject.userId)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + settings.ttlSeconds)
    .sign(signing.key);
}

const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256'];
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Decodes one base64url JSON segment; anything but a JSON object is refused. */
function jsonObject(segment: string, what: string): { raw: string; value: Record<string, unknown> } {
  const raw = Buffer.from(segment, 'base64url').toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new InvalidAccessToken(`${what} is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidAccessToken(`${what} is not a JSON object`);
  return { raw, value: value as Record<string, unknown> };
}

/** `typ` compared the way RFC 8725 suggests: case-insensitive, with or without `application/`. */
function normalizedTyp(typ: unknown): string | undefined {
  if (typeof typ !== 'string') return undefined;
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** The JWS signature check on node:crypto, for the one algorithm the key is pinned to. */
function signatureValid(alg: SigningAlg, key: KeyObject, input: string, signature: Buffer): boolean {
  const data = Buffer.from(input, 'ascii');
  switch (alg) {
    case 'RS256':
      return cryptoVerify('sha256', data, key, signature);
    case 'ES256':
      // JWS carries ECDSA signatures as r || s (64 bytes), not DER.
      return signature.length === 64 && cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    case 'EdDSA':
      return cryptoVerify(null, data, key, signature);
    default:
      return false;
  }
}

/**
 * Verifies an access token: size and form, header (pinned `alg`, `typ`, `kid`, no key-bearing or
 * `crit` members, no duplicate names), the signature with node:crypto against our key for that
 * `kid`, then the claims. This runs in the authorizer in front of every request, hence no JOSE
 * library here: jose 6 verifies through WebCrypto, which measured at about 3x node:crypto's cost
 * for the same RSA check (bench/README.md); the checks below are the ones jose's strict options
 * made, spelled out, and each has an attack test in tests/unit/token-header-attacks.test.ts.
 */
export async function verifyAccessToken(
  keys: KeyStore,
  settings: AccessTokenSettings,
  token: string,
  nowMs: number = Date.now(),
): Promise<AccessClaims> {
  if (token.length > MAX_ACCESS_TOKEN_LENGTH) throw new InvalidAccessToken('token too large');
  if (!COMPACT_JWS.test(token)) throw new InvalidAccessToken('not a compact JWS');
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  const headerPart = token.slice(0, firstDot);
  const payloadPart = token.slice(firstDot + 1, secondDot);
  const header = jsonObject(headerPart, 'header');
  const payloadJson = jsonObject(payloadPart, 'payload');
  if (hasDuplicateMembers(header.raw) || hasDuplicateMembers(payloadJson.raw)) {
    throw new InvalidAccessToken('duplicate header or claim names');
  }
  const h = header.value;
  if (h.alg !== settings.alg) throw new InvalidAccessToken('unexpected alg');
  // We never issue key-carrying headers; a token that brings its own key (or a URL to fetch one
  // from) is forged or confused, so it is refused before any key lookup.
  if (FORBIDDEN_HEADERS.some((name) => name in h)) throw new InvalidAccessToken('key-bearing header');
  // We understand no header extension, and an unencoded payload (b64) is not a JWT.
  if ('crit' in h || 'b64' in h) throw new InvalidAccessToken('unsupported header extension');
  if (normalizedTyp(h.typ) !== ACCESS_TOKEN_TYPE) throw new InvalidAccessToken('unexpected typ');
  if (typeof h.kid !== 'string' || h.kid.length > 64) throw new InvalidAccessToken('missing or bad kid');
  const found = await keys.verificationKey(h.kid);
  if (!found) throw new InvalidAccessToken('unknown kid');
  let valid: boolean;
  try {
    valid = signatureValid(settings.alg, found.publicKey, token.slice(0, secondDot), Buffer.from(token.slice(secondDot + 1), 'base64url'));
  } catch (err) {
    throw new InvalidAccessToken('signature check failed', { cause: err });
  }
  if (!valid) throw new InvalidAccessToken('bad signature');

  const payload = payloadJson.value;
  const now = Math.floor(nowMs / 1000);
  const { sub, sid, jti, email, roles, iat, exp, nbf, iss, aud, client_id: clientId, scope } = payload;
  if (iss !== settings.issuer) throw new InvalidAccessToken('unexpected iss');
  if (!(aud === settings.audience || (Array.isArray(aud) && aud.includes(settings.audience)))) {
    throw new InvalidAccessToken('unexpected aud');
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new InvalidAccessToken('exp missing or not a number');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new InvalidAccessToken('iat missing or not a number');
  if (exp <= now - CLOCK_SKEW_SECONDS) throw new InvalidAccessToken('expired');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + CLOCK_SKEW_SECONDS)) throw new InvalidAccessToken('not yet valid');
  if (iat > nowMs / 1000 + CLOCK_SKEW_SECONDS) throw new InvalidAccessToken('issued in the future');
  if (now - iat - CLOCK_SKEW_SECONDS > settings.ttlSeconds + CLOCK_SKEW_SECONDS) throw new InvalidAccessToken('older than the maximum token age');
  if (
    typeof sub !== 'string' || !sub ||
    typeof sid !== 'string' || !sid ||
    typeof jti !== 'string' || !jti ||
    typeof email !== 'string' ||
    !Array.isArray(roles) || !roles.every((r) => typeof r === 'string') ||
    (clientId !== undefined && typeof clientId !== 'string') ||
    (scope !== undefined && typeof scope !== 'string')
  ) {
    throw new InvalidAccessToken('claims missing or of the wrong shape');
  }
  return { sub, sid, jti, email, roles: roles as string[], iat, exp, clientId, scope };
}
