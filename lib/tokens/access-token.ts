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
import { createPublicKey, randomUUID, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { DEFAULT_CLIENT_ID, DEFAULT_CLOCK_SKEW_SECONDS, MAX_CLOCK_SKEW_SECONDS, type SigningAlg } from '../config';
import { epochSeconds } from '../clock';
import type { Authentication } from '../authentication';
import { AppError, serviceUnavailable } from '../errors';
import type { KeyStore, VerificationKey } from '../keys/key-store';
import { hasDuplicateMembers } from './duplicate-members';
import { scopeOf } from './scope';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Far above any token we issue (~1 KB), far below what would cost real parsing time. */
export const MAX_ACCESS_TOKEN_LENGTH = 4096;

export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  email: string;
  roles: string[];
  iat: number;
  exp: number;
  /** `email_verified`; false when absent (tokens issued before the claim existed). */
  emailVerified: boolean;
  /** RFC 9068 `client_id` and `scope`; absent from tokens issued before they were added. */
  clientId: string | undefined;
  scope: string | undefined;
  /** `auth_time`, `acr`, `amr` (lib/authentication.ts); absent from tokens issued before them. */
  authTime: number | undefined;
  acr: string | undefined;
  amr: string[] | undefined;
}

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  alg: SigningAlg;
  /** The access-token lifetime: a token whose `exp - iat` exceeds it is refused. */
  ttlSeconds: number;
  /** The `client_id` claim (RFC 9068): the first-party client the service issues tokens to. */
  clientId?: string;
  /** CLOCK_SKEW_SECONDS: tolerance past `exp`, at most {@link MAX_CLOCK_SKEW_SECONDS}. */
  clockSkewSeconds?: number;
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
  subject: { userId: string; sessionId: string; email: string; roles: string[]; emailVerified?: boolean; authentication?: Authentication | undefined },
  now: Date,
): Promise<string> {
  const auth = subject.authentication;
  const signing = await keys.signingKey();
  const iat = epochSeconds(now);
  return new SignJWT({
    sid: subject.sessionId,
    email: subject.email,
    roles: subject.roles,
    email_verified: subject.emailVerified === true,
    client_id: settings.clientId ?? DEFAULT_CLIENT_ID,
    scope: scopeOf(subject),
    // A session older than these claims has no auth_time: step-up then asks for a reauthentication.
    ...(auth && auth.authTime > 0 ? { auth_time: auth.authTime } : {}),
    acr: auth?.acr ?? 'aal1',
    amr: auth?.amr ?? [],
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

/** A token that passed the checks made before any signature work, parsed once. */
export interface InspectedToken {
  kid: string;
  payload: Record<string, unknown>;
  /** `header.payload`, the JWS signing input. */
  signingInput: string;
  signature: string;
}

/**
 * Everything checked before any key or signature work: size, compact form, JSON objects without
 * duplicate names, the pinned `alg`, no key-bearing or `crit`/`b64` header, `typ: at+jwt`, a sane
 * `kid`. Cheap, and it refuses most forgeries before the RSA/ECDSA/EdDSA check.
 */
export function inspectAccessToken(settings: AccessTokenSettings, token: string): InspectedToken {
  if (token.length > MAX_ACCESS_TOKEN_LENGTH) throw new InvalidAccessToken('token too large');
  if (!COMPACT_JWS.test(token)) throw new InvalidAccessToken('not a compact JWS');
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  const header = jsonObject(token.slice(0, firstDot), 'header');
  const payload = jsonObject(token.slice(firstDot + 1, secondDot), 'payload');
  if (hasDuplicateMembers(header.raw, header.value) || hasDuplicateMembers(payload.raw, payload.value)) {
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
  return { kid: h.kid, payload: payload.value, signingInput: token.slice(0, secondDot), signature: token.slice(secondDot + 1) };
}

/**
 * The claims, checked against the injected clock: `iss`, `aud`, `exp`/`iat` required and numeric,
 * at most `skew` seconds past `exp`, `nbf`, no `iat` more than `skew` in the future, a lifetime
 * (`exp - iat`) no longer than the configured one, and the shape of our own claims. The last two
 * bound a token's age without a check of their own: accepted at most `ttlSeconds + skew` after `iat`.
 */
export function checkAccessClaims(settings: AccessTokenSettings, payload: Record<string, unknown>, at: Date): AccessClaims {
  const now = epochSeconds(at);
  const skew = Math.min(Math.max(settings.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS, 0), MAX_CLOCK_SKEW_SECONDS);
  const { sub, sid, jti, email, roles, iat, exp, nbf, iss, aud, client_id: clientId, scope, email_verified: emailVerified, auth_time: authTime, acr, amr } = payload;
  if (iss !== settings.issuer) throw new InvalidAccessToken('unexpected iss');
  if (!(aud === settings.audience || (Array.isArray(aud) && aud.includes(settings.audience)))) {
    throw new InvalidAccessToken('unexpected aud');
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new InvalidAccessToken('exp missing or not a number');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new InvalidAccessToken('iat missing or not a number');
  if (exp <= now - skew) throw new InvalidAccessToken('expired');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + skew)) throw new InvalidAccessToken('not yet valid');
  if (iat > at.getTime() / 1000 + skew) throw new InvalidAccessToken('issued in the future');
  // We never issue a longer-lived token: one that claims more was minted elsewhere (or under a key
  // misused by a bug), and its `exp` must not extend its life past what the configuration allows.
  if (exp - iat > settings.ttlSeconds) throw new InvalidAccessToken('lifetime longer than configured');
  if (
    typeof sub !== 'string' || !sub ||
    typeof sid !== 'string' || !sid ||
    typeof jti !== 'string' || !jti ||
    typeof email !== 'string' ||
    !Array.isArray(roles) || !roles.every((r) => typeof r === 'string') ||
    (clientId !== undefined && typeof clientId !== 'string') ||
    (scope !== undefined && typeof scope !== 'string') ||
    (emailVerified !== undefined && typeof emailVerified !== 'boolean') ||
    (authTime !== undefined && (typeof authTime !== 'number' || !Number.isFinite(authTime))) ||
    (acr !== undefined && typeof acr !== 'string') ||
    (amr !== undefined && (!Array.isArray(amr) || !amr.every((m) => typeof m === 'string')))
  ) {
    throw new InvalidAccessToken('claims missing or of the wrong shape');
  }
  return {
    sub, sid, jti, email, roles: roles as string[], iat, exp, clientId, scope, emailVerified: emailVerified === true,
    authTime: authTime as number | undefined, acr: acr as string | undefined, amr: amr as string[] | undefined,
  };
}

/**
 * How each algorithm we issue is checked with node:crypto: the digest, the one key type it may
 * use, and the exact signature length where the algorithm fixes it (ES256 as JWS's raw `r || s`,
 * never DER; Ed25519). RSA's length is the modulus', which OpenSSL enforces.
 */
const SIGNATURE_CHECKS: Record<SigningAlg, { digest: string | null; keyType: string; curve?: string; dsaEncoding?: 'ieee-p1363'; bytes?: number }> = {
  RS256: { digest: 'sha256', keyType: 'rsa' },
  ES256: { digest: 'sha256', keyType: 'ec', curve: 'prime256v1', dsaEncoding: 'ieee-p1363', bytes: 64 },
  EdDSA: { digest: null, keyType: 'ed25519', bytes: 64 },
};
const MIN_RSA_BITS = 2048;

/** Each verification key imported once into a node:crypto KeyObject, on its first use. */
const publicKeys = new WeakMap<VerificationKey, KeyObject>();

/**
 * The KeyObject of a key from the key store, checked to be exactly the kind its `alg` names. A key
 * that is not is broken key material, not a bad token: it fails as `service_unavailable`.
 */
function publicKeyOf(found: VerificationKey): KeyObject {
  let key = publicKeys.get(found);
  if (key) return key;
  const want = SIGNATURE_CHECKS[found.alg];
  try {
    if (found.jwk.use !== undefined && found.jwk.use !== 'sig') throw new Error(`key ${found.kid} is not a signing key`);
    key = createPublicKey({ key: found.jwk, format: 'jwk' });
    const details = key.asymmetricKeyDetails;
    if (
      key.asymmetricKeyType !== want.keyType ||
      (want.curve !== undefined && details?.namedCurve !== want.curve) ||
      (want.keyType === 'rsa' && (details?.modulusLength ?? 0) < MIN_RSA_BITS)
    ) {
      throw new Error(`key ${found.kid} is not a ${found.alg} key`);
    }
  } catch (err) {
    throw serviceUnavailable(err);
  }
  publicKeys.set(found, key);
  return key;
}

/** The JWS signature over `header.payload`, checked with node:crypto's one-shot verify. */
function checkSignature(found: VerificationKey, inspected: InspectedToken): void {
  const want = SIGNATURE_CHECKS[found.alg];
  const key = publicKeyOf(found);
  const signature = Buffer.from(inspected.signature, 'base64url');
  if (want.bytes !== undefined && signature.length !== want.bytes) throw new InvalidAccessToken('signature of the wrong length');
  let valid: boolean;
  try {
    valid = cryptoVerify(want.digest, Buffer.from(inspected.signingInput), want.dsaEncoding ? { key, dsaEncoding: want.dsaEncoding } : key, signature);
  } catch (err) {
    throw new InvalidAccessToken('signature refused', { cause: err });
  }
  if (!valid) throw new InvalidAccessToken('bad signature');
}

/**
 * Verifies an access token: {@link inspectAccessToken} (size, form, pinned `alg`, `typ`, `kid`, no
 * key-bearing or extension header, no duplicate names), the key for its `kid` (a key store outage
 * passes through), the signature with node:crypto against that key, imported once and checked to
 * be of the pinned algorithm's type, then {@link checkAccessClaims}. The authorizer runs this in
 * front of every request: aws-jwt-verify, which checked the signature before, parses the token a
 * second time and goes through a stream-based Verify per call, which measured 1.27x the floor on
 * its own against 1.00x for the same checks around the one-shot verify (bench/README.md). jose
 * signs; its verification goes through WebCrypto, several times slower here. Each check has an
 * attack test in tests/unit/token-header-attacks.test.ts or tests/unit/access-token-algs.test.ts.
 */
export async function verifyAccessToken(
  keys: KeyStore,
  settings: AccessTokenSettings,
  token: string,
  at: Date,
): Promise<AccessClaims> {
  const inspected = inspectAccessToken(settings, token);
  const found = keys.loadedVerificationKey(inspected.kid) ?? (await keys.verificationKey(inspected.kid));
  if (!found) throw new InvalidAccessToken('unknown kid');
  if (found.alg !== settings.alg) throw new InvalidAccessToken('key of another alg');
  checkSignature(found, inspected);
  return checkAccessClaims(settings, inspected.payload, at);
}
