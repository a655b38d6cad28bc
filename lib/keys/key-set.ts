/**
 * The signing key set: one JSON document stored as a Secrets Manager secret (or, locally, a
 * git-ignored file). Shape:
 *
 *   {
 *     "refreshTokenKey": "<base64url, >= 32 random bytes>",   // HMAC key deriving refresh successors
 *     "refreshTokenKeys": [ { "status": "next" | "previous", "key", "createdAt"?, "retiredAt"? } ],
 *     "dataKeys": [ { "status": "next" | "current" | "previous", "key", "createdAt"?, "activatedAt"?, "retiredAt"? } ],
 *     "keys": [ { "kid", "alg", "status": "next" | "current" | "previous",
 *                 "createdAt"?, "activatedAt"?, "retiredAt"?, "privateJwk": { ... } } ]
 *   }
 *
 * Exactly one key per algorithm is `current` (it signs). A `next` key is published in the JWKS
 * ahead of signing, so verifiers caching the JWKS know it before the first token it signs;
 * `previous` keys only verify, so tokens signed before a rotation stay valid until they expire.
 * Timestamps (ISO-8601) drive the rotation (lib/keys/rotation.ts). The HMAC key moves through the
 * same states: `refreshTokenKey` is the current one, `refreshTokenKeys` the others.
 *
 * `dataKeys` encrypt data at rest (TOTP secrets, lib/mfa/secret-box.ts). They move through the
 * same three states, but a `previous` data key is never dropped by a rotation, scheduled or
 * emergency: ciphertexts sealed under it stay in the database until they are next used (and
 * re-sealed under the current key), which may be years for a factor used rarely. Dropping one is
 * an operator's decision, once nothing is sealed under it. A set without data keys (written before
 * they existed) gets them from its next rotation.
 *
 * The verifying functions (authorizer, JWKS) can instead read a public key set, a separate secret
 * holding no private material (`npm run keys:generate -- --public FILE` derives it):
 *
 *   { "keys": [ { "kid", "alg", "status", "publicJwk": { ... } } ] }
 */
import { ConfigurationError } from '../errors';
import type { SigningAlg } from '../config';
import { SIGNING_ALGS } from '../config';

export type KeyStatus = 'next' | 'current' | 'previous';
const KEY_STATUSES: readonly KeyStatus[] = ['next', 'current', 'previous'];

export interface KeyTimestamps {
  /** When the key was made, and published as `next`. */
  createdAt?: string;
  /** When it started signing. */
  activatedAt?: string;
  /** When it stopped signing (became `previous`). */
  retiredAt?: string;
}

export interface StoredKey extends KeyTimestamps {
  kid: string;
  alg: SigningAlg;
  status: KeyStatus;
  privateJwk: Record<string, unknown>;
}

export interface RefreshKeyEntry extends KeyTimestamps {
  status: 'next' | 'previous';
  key: string;
}

export interface DataKeyEntry extends KeyTimestamps {
  status: KeyStatus;
  key: string;
}

export interface KeySetDocument {
  refreshTokenKey: string;
  refreshTokenKeys?: RefreshKeyEntry[];
  dataKeys?: DataKeyEntry[];
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
 * Checks what every key entry of either document needs (kid, alg, status, a JWK of the right
 * type, RSA at least 2048 bits) and returns the entry's JWK. `label` names the document in errors.
 */
function checkEntry(label: string, key: unknown, jwkField: 'privateJwk' | 'publicJwk', seen: Set<string>): Record<string, unknown> {
  if (!key || typeof key !== 'object') throw new ConfigurationError(`${label}: a key entry is not an object`);
  const { kid, alg, status } = key as Record<string, unknown>;
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) {
    throw new ConfigurationError(`${label}: every key needs a kid of 8-64 URL-safe characters`);
  }
  if (seen.has(kid)) throw new ConfigurationError(`${label}: duplicate kid ${kid}`);
  seen.add(kid);
  if (!SIGNING_ALGS.includes(alg as SigningAlg)) throw new ConfigurationError(`${label}: key ${kid} has an unsupported alg`);
  if (!KEY_STATUSES.includes(status as KeyStatus)) {
    throw new ConfigurationError(`${label}: key ${kid} status must be next, current or previous`);
  }
  checkTimestamps(`${label}: key ${kid}`, key as KeyTimestamps);
  const jwk = (key as Record<string, unknown>)[jwkField] as Record<string, unknown> | undefined;
  const want = expectedKty(alg as SigningAlg);
  if (!jwk || typeof jwk !== 'object' || jwk.kty !== want.kty || (want.crv && jwk.crv !== want.crv)) {
    throw new ConfigurationError(`${label}: key ${kid} is not a ${String(alg)} key`);
  }
  if (alg === 'RS256' && (typeof jwk.n !== 'string' || base64urlBytes(jwk.n) < 256)) {
    throw new ConfigurationError(`${label}: RSA key ${kid} is shorter than 2048 bits`);
  }
  return jwk;
}

function checkTimestamps(label: string, entry: KeyTimestamps): void {
  for (const name of ['createdAt', 'activatedAt', 'retiredAt'] as const) {
    const value = entry[name];
    if (value !== undefined && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) {
      throw new ConfigurationError(`${label}: ${name} must be an ISO-8601 date`);
    }
  }
}

function checkRefreshKeys(label: string, entries: unknown): void {
  if (entries === undefined) return;
  if (!Array.isArray(entries)) throw new ConfigurationError(`${label}: "refreshTokenKeys" must be an array`);
  for (const entry of entries as Partial<RefreshKeyEntry>[]) {
    if (!entry || typeof entry !== 'object' || (entry.status !== 'next' && entry.status !== 'previous')) {
      throw new ConfigurationError(`${label}: every refreshTokenKeys entry needs status next or previous`);
    }
    if (typeof entry.key !== 'string' || base64urlBytes(entry.key) < 32) {
      throw new ConfigurationError(`${label}: refreshTokenKeys keys must be base64url of at least 32 bytes`);
    }
    checkTimestamps(`${label}: a refreshTokenKeys entry`, entry);
  }
}

function checkDataKeys(label: string, entries: unknown): void {
  if (entries === undefined) return;
  if (!Array.isArray(entries)) throw new ConfigurationError(`${label}: "dataKeys" must be an array`);
  for (const entry of entries as Partial<DataKeyEntry>[]) {
    if (!entry || typeof entry !== 'object' || !KEY_STATUSES.includes(entry.status as KeyStatus)) {
      throw new ConfigurationError(`${label}: every dataKeys entry needs status next, current or previous`);
    }
    if (typeof entry.key !== 'string' || base64urlBytes(entry.key) < 32) {
      throw new ConfigurationError(`${label}: dataKeys keys must be base64url of at least 32 bytes`);
    }
    checkTimestamps(`${label}: a dataKeys entry`, entry);
  }
  if (entries.length > 0 && (entries as DataKeyEntry[]).filter((k) => k.status === 'current').length !== 1) {
    throw new ConfigurationError(`${label}: dataKeys needs exactly one current key`);
  }
}

function parseJsonObject(label: string, raw: string | undefined): Record<string, unknown> {
  if (!raw || !raw.trim()) throw new ConfigurationError(`${label} is empty`);
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(`${label} is not valid JSON`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigurationError(`${label} must be a JSON object`);
  return doc as Record<string, unknown>;
}

/**
 * Parses and checks a key set document. Rejects anything a careless edit could produce (empty,
 * not JSON, no current key for the configured algorithm, weak RSA modulus, short HMAC key), with a
 * message that names the problem but never echoes key material.
 */
export function parseKeySet(raw: string | undefined, alg: SigningAlg): KeySetDocument {
  const label = 'signing key set';
  const doc = parseJsonObject(label, raw) as Partial<KeySetDocument>;
  const { refreshTokenKey, keys } = doc;
  if (typeof refreshTokenKey !== 'string' || base64urlBytes(refreshTokenKey) < 32) {
    throw new ConfigurationError(`${label}: refreshTokenKey must be base64url of at least 32 bytes`);
  }
  checkRefreshKeys(label, doc.refreshTokenKeys);
  checkDataKeys(label, doc.dataKeys);
  if (!Array.isArray(keys) || keys.length === 0) throw new ConfigurationError(`${label}: "keys" must be a non-empty array`);
  const seen = new Set<string>();
  for (const key of keys) {
    const jwk = checkEntry(label, key, 'privateJwk', seen);
    if (typeof jwk.d !== 'string') throw new ConfigurationError(`${label}: key ${key.kid} has no private part`);
  }
  const current = keys.filter((k) => k.status === 'current' && k.alg === alg);
  if (current.length !== 1) {
    throw new ConfigurationError(`${label}: needs exactly one current ${alg} key, found ${current.length}`);
  }
  return {
    refreshTokenKey,
    ...(doc.refreshTokenKeys ? { refreshTokenKeys: doc.refreshTokenKeys } : {}),
    ...(doc.dataKeys ? { dataKeys: doc.dataKeys } : {}),
    keys,
  };
}

export interface VerificationEntry {
  kid: string;
  alg: SigningAlg;
  status: KeyStatus;
  /** When a previous key stopped signing: verifiers drop it once its tokens have all expired. */
  retiredAt?: string | undefined;
  /** Public JWK with kid, alg and use, ready for a JWKS. */
  jwk: Record<string, unknown>;
}

export interface PublicKeySetDocument {
  keys: ({ kid: string; alg: SigningAlg; status: KeyStatus; publicJwk: Record<string, unknown> } & KeyTimestamps)[];
}

/** The public key set derived from a full key set. */
export function toPublicKeySet(doc: KeySetDocument): PublicKeySetDocument {
  return {
    keys: doc.keys.map((k) => ({
      kid: k.kid,
      alg: k.alg,
      status: k.status,
      ...timestampsOf(k),
      publicJwk: publicJwkOf(k),
    })),
  };
}

function timestampsOf(k: KeyTimestamps): KeyTimestamps {
  const out: KeyTimestamps = {};
  if (k.createdAt) out.createdAt = k.createdAt;
  if (k.activatedAt) out.activatedAt = k.activatedAt;
  if (k.retiredAt) out.retiredAt = k.retiredAt;
  return out;
}

/**
 * The verification keys of either document: a full key set (public halves derived, private parts
 * dropped) or a public key set. A public key set that carries private members is refused, so a
 * mix-up when storing the two secrets cannot silently hand private keys to the verifiers.
 */
export function parseVerificationKeys(raw: string | undefined, alg: SigningAlg): VerificationEntry[] {
  const label = 'public key set';
  const doc = parseJsonObject(label, raw);
  const keys = doc.keys;
  const isFullSet = 'refreshTokenKey' in doc || (Array.isArray(keys) && keys.some((k) => k && typeof k === 'object' && 'privateJwk' in k));
  if (isFullSet) {
    return parseKeySet(raw, alg).keys.map((k) => ({ kid: k.kid, alg: k.alg, status: k.status, retiredAt: k.retiredAt, jwk: publicJwkOf(k) }));
  }
  if (!Array.isArray(keys) || keys.length === 0) throw new ConfigurationError(`${label}: "keys" must be a non-empty array`);
  const seen = new Set<string>();
  const entries = keys.map((key: PublicKeySetDocument['keys'][number]) => {
    const jwk = checkEntry(label, key, 'publicJwk', seen);
    if (Object.keys(jwk).some((name) => PRIVATE_MEMBERS.has(name))) {
      throw new ConfigurationError(`${label}: key ${key.kid} carries private key material; store only public keys here`);
    }
    return { kid: key.kid, alg: key.alg, status: key.status, retiredAt: key.retiredAt, jwk: { ...jwk, kid: key.kid, alg: key.alg, use: 'sig' } };
  });
  if (!entries.some((e) => e.alg === alg)) throw new ConfigurationError(`${label}: no ${alg} key`);
  return entries;
}
