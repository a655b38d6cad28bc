/**
 * Access tokens: short-lived JWTs signed with the current asymmetric key.
 *
 * Verification is deliberately strict, because jose is permissive where an option is left unset:
 * the algorithm is pinned to the configured one, `typ` must be `at+jwt`, `iss` and `aud` are always
 * compared against configured (never undefined) values, `exp`/`iat`/`sub`/`sid`/`jti` are required,
 * and oversized tokens are refused before any decoding. Every failure about the token, including
 * the odd TypeError from a hostile header, becomes one `InvalidAccessToken` (code `unauthorized`),
 * so callers cannot leak a 500. A failure of the key store is not about the token: it passes
 * through unchanged (`service_unavailable`), so logout answers 503 and the authorizer logs an
 * outage instead of blaming the token.
 */
import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
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

export async function verifyAccessToken(
  keys: KeyStore,
  settings: AccessTokenSettings,
  token: string,
  nowMs: number = Date.now(),
): Promise<AccessClaims> {
  if (token.length > MAX_ACCESS_TOKEN_LENGTH) throw new InvalidAccessToken('token too large');
  if (!COMPACT_JWS.test(token)) throw new InvalidAccessToken('not a compact JWS');
  const [headerPart, payloadPart] = token.split('.', 2) as [string, string];
  if (
    hasDuplicateMembers(Buffer.from(headerPart, 'base64url').toString('utf8')) ||
    hasDuplicateMembers(Buffer.from(payloadPart, 'base64url').toString('utf8'))
  ) {
    throw new InvalidAccessToken('duplicate header or claim names');
  }
  let payload;
  // Set when the key store itself failed, so that failure is not mistaken for a bad token.
  let keyStoreFailure: { error: unknown } | undefined;
  try {
    ({ payload } = await jwtVerify(
      token,
      async (header: JWTHeaderParameters) => {
        if (header.alg !== settings.alg) throw new InvalidAccessToken('unexpected alg');
        // We never issue key-carrying headers; a token that brings its own key (or a URL to
        // fetch one from) is forged or confused, so it is refused before any key lookup.
        if (FORBIDDEN_HEADERS.some((name) => name in header)) throw new InvalidAccessToken('key-bearing header');
        if (typeof header.kid !== 'string' || header.kid.length > 64) throw new InvalidAccessToken('missing or bad kid');
        const found = await keys.verificationKey(header.kid).catch((error: unknown) => {
          keyStoreFailure = { error };
          throw error;
        });
        if (!found) throw new InvalidAccessToken('unknown kid');
        return found.key;
      },
      {
        algorithms: [settings.alg],
        issuer: settings.issuer,
        audience: settings.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['exp', 'iat', 'sub', 'sid', 'jti'],
        clockTolerance: CLOCK_SKEW_SECONDS,
        maxTokenAge: settings.ttlSeconds + CLOCK_SKEW_SECONDS,
        currentDate: new Date(nowMs),
      },
    ));
  } catch (err) {
    if (keyStoreFailure) throw keyStoreFailure.error;
    if (err instanceof InvalidAccessToken) throw err;
    const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : 'ERR_UNEXPECTED';
    throw new InvalidAccessToken(`verification failed: ${code}`, { cause: err });
  }
  const { sub, sid, jti, email, roles, iat, exp, client_id: clientId, scope } = payload as Record<string, unknown>;
  if (
    typeof sub !== 'string' || !sub ||
    typeof sid !== 'string' || !sid ||
    typeof jti !== 'string' ||
    typeof email !== 'string' ||
    !Array.isArray(roles) || !roles.every((r) => typeof r === 'string') ||
    typeof iat !== 'number' || typeof exp !== 'number' ||
    (clientId !== undefined && typeof clientId !== 'string') ||
    (scope !== undefined && typeof scope !== 'string')
  ) {
    throw new InvalidAccessToken('claims have the wrong shape');
  }
  if (iat > nowMs / 1000 + CLOCK_SKEW_SECONDS) throw new InvalidAccessToken('issued in the future');
  return { sub, sid, jti, email, roles: roles as string[], iat, exp, clientId, scope };
}
