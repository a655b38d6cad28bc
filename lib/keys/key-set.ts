/**
 * The signing key set: one JSON document stored as a Secrets Manager secret (or, locally, a
 * git-ignored file). Shape:
 *
 *   {
 *     "refreshTokenKey": "<base64url, >= 32 random bytes>",   // HMAC key deriving refresh successors
 *     "keys": [ { "kid", "alg", "status": "current" | "previous", "privateJwk": { ... } } ]
 *   }
 *
 * Exactly one key per algorithm is `current` (it signs); `previous` keys only verify, so tokens
 * signed before a rotation stay valid until they expire.
 *
 * The verifying functions (authorizer, JWKS) can instead read a public key set, a separate secret
 * holding no private material (`npm run keys:generate -- --public FILE` derives it):
 *
 *   { "keys": [ { "kid", "alg", "status", "publicJwk": { ... } } ] }
 */
import { ConfigurationError } from '../errors';
import type { SigningAlg } from '../config';
import { SIGNING_ALGS } from '../config';

export interface StoredKey {
  kid: string;
  alg: SigningAlg;
  status: 'current' | 'previous';
  privateJwk: Record<string, unknown>;
}

export interface KeySetDocument {
  refreshTokenKey: string;
  keys: StoredKey[];
}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);
const KID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** Public half of a private JWK, with the members JWKS consumers expect. */
export function publicJwkOf(key: StoredKey): Record<string, unknown> {
  const pub: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(key.privateJwk)) {
    if (!PRIVATE_MEMBERS.has(name) && !['kid', 'alg', 'use', 'key_ops', 'ext'].includes(name)) {
      pub[name] = value;
    }
  }
  return { ...pub, kid: key.kid, alg: key.alg, use: 'sig' };
}

function expectedKty(alg: SigningAlg): { kty: string; crv?: string } {
  if (alg === 'RS256') return { kty: 'RSA' };
  if (alg === 'ES256') return { kty: 'EC', crv: 'P-256' };
  return { kty: 'OKP', crv: 'Ed25519' };
}

function base64urlBytes(value: string): number {
  return /^[A-Za-z0-9_-]+$/.test(value) ? Buffer.from(value, 'base64url').length : 0;
}

/**
 * Parses and checks a key set document. Rejects anything a careless edit could produce (empty,
 * not JSON, no current key for the configured algorithm, weak RSA modulus, short HMAC key), with a
 * message that names the problem but never echoes key material.
 */
export function parseKeySet(raw: string | undefined, alg: SigningAlg): KeySetDocument {
  if (!raw || !raw.trim()) throw new ConfigurationError('signing key set is empty');
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw new ConfigurationError('signing key set is not valid JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigurationError('signing key set must be a JSON object');
  }
  const { refreshTokenKey, keys } = doc as Partial<KeySetDocument>;
  if (typeof refreshTokenKey !== 'string' || base64urlBytes(refreshTokenKey) < 32) {
    throw new ConfigurationError('signing key set: refreshTokenKey must be base64url of at least 32 bytes');
  }
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigurationError('signing key set: "keys" must be a non-empty array');
  }
  const seen = new Set<string>();
  for (const key of keys) {
    if (!key || typeof key !== 'object') throw new ConfigurationError('signing key set: a key entry is not an object');
    if (typeof key.kid !== 'string' || !KID_PATTERN.test(key.kid)) {
      throw new ConfigurationError('signing key set: every key needs a kid of 8-64 URL-safe characters');
    }
    if (seen.has(key.kid)) throw new ConfigurationError(`signing key set: duplicate kid ${key.kid}`);
    seen.add(key.kid);
    if (!SIGNING_ALGS.includes(key.alg)) throw new ConfigurationError(`signing key set: key ${key.kid} has an unsupported alg`);
    if (key.status !== 'current' && key.status !== 'previous') {
      throw new ConfigurationError(`signing key set: key ${key.kid} status must be current or previous`);
    }
    const jwk = key.privateJwk;
    const want = expectedKty(key.alg);
    if (!jwk || typeof jwk !== 'object' || jwk.kty !== want.kty || (want.crv && jwk.crv !== want.crv)) {
      throw new ConfigurationError(`signing key set: key ${key.kid} is not a ${key.alg} key`);
    }
    if (typeof jwk.d !== 'string') throw new ConfigurationError(`signing key set: key ${key.kid} has no private part`);
    if (key.alg === 'RS256' && (typeof jwk.n !== 'string' || base64urlBytes(jwk.n) < 256)) {
      throw new ConfigurationError(`signing key set: RSA key ${key.kid} is shorter than 2048 bits`);
    }
  }
  const current = keys.filter((k) => k.status === 'current' && k.alg === alg);
  if (current.length !== 1) {
    throw new ConfigurationError(`signing key set: needs exactly one current ${alg} key, found ${current.length}`);
  }
  return { refreshTokenKey, keys };
}

export interface VerificationEntry {
  kid: string;
  alg: SigningAlg;
  status: 'current' | 'previous';
  /** Public JWK with kid, alg and use, ready for a JWKS. */
  jwk: Record<string, unknown>;
}

export interface PublicKeySetDocument {
  keys: { kid: string; alg: SigningAlg; status: 'current' | 'previous'; publicJwk: Record<string, unknown> }[];
}

/** The public key set derived from a full key set. */
export function toPublicKeySet(doc: KeySetDocument): PublicKeySetDocument {
  return { keys: doc.keys.map((k) => ({ kid: k.kid, alg: k.alg, status: k.status, publicJwk: publicJwkOf(k) })) };
}

/**
 * The verification keys of either document: a full key set (public halves derived, private parts
 * dropped) or a public key set. A public key set that carries private members is refused, so a
 * mix-up when storing the two secrets cannot silently hand private keys to the verifiers.
 */
export function parseVerificationKeys(raw: string | undefined, alg: SigningAlg): VerificationEntry[] {
  let doc: unknown;
  try {
    doc = raw ? JSON.parse(raw) : undefined;
  } catch {
    throw new ConfigurationError('public key set is not valid JSON');
  }
  const keys = (doc as { keys?: unknown } | undefined)?.keys;
  const isFullSet = Array.isArray(keys) && keys.some((k) => k && typeof k === 'object' && 'privateJwk' in k);
  if (isFullSet || (doc && typeof doc === 'object' && 'refreshTokenKey' in doc)) {
    return parseKeySet(raw, alg).keys.map((k) => ({ kid: k.kid, alg: k.alg, status: k.status, jwk: publicJwkOf(k) }));
  }
  if (!Array.isArray(keys) || keys.length === 0) throw new ConfigurationError('public key set: "keys" must be a non-empty array');
  const entries: VerificationEntry[] = [];
  for (const key of keys as Record<string, unknown>[]) {
    const jwk = key?.publicJwk as Record<string, unknown> | undefined;
    if (typeof key?.kid !== 'string' || !KID_PATTERN.test(key.kid)) throw new ConfigurationError('public key set: every key needs a kid of 8-64 URL-safe characters');
    if (!SIGNING_ALGS.includes(key.alg as SigningAlg)) throw new ConfigurationError(`public key set: key ${key.kid} has an unsupported alg`);
    if (key.status !== 'current' && key.status !== 'previous') throw new ConfigurationError(`public key set: key ${key.kid} status must be current or previous`);
    const want = expectedKty(key.alg as SigningAlg);
    if (!jwk || typeof jwk !== 'object' || jwk.kty !== want.kty || (want.crv && jwk.crv !== want.crv)) {
      throw new ConfigurationError(`public key set: key ${key.kid} is not a ${String(key.alg)} public key`);
    }
    if (Object.keys(jwk).some((name) => PRIVATE_MEMBERS.has(name))) {
      throw new ConfigurationError(`public key set: key ${key.kid} carries private key material; store only public keys here`);
    }
    entries.push({ kid: key.kid, alg: key.alg as SigningAlg, status: key.status, jwk: { ...jwk, kid: key.kid, alg: key.alg, use: 'sig' } });
  }
  if (!entries.some((e) => e.alg === alg)) throw new ConfigurationError(`public key set: no ${alg} key`);
  return entries;
}
