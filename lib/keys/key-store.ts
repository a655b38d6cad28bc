/**
 * One key store per container. It loads the key set once, imports every key once, and hands out
 * imported keys: nothing is fetched or imported per request.
 *
 * - A failed load is never cached: the next request tries again, and until then nothing is signed.
 * - The loaded set is reused for `maxAgeMs` (5 minutes by default); after that it is reloaded so a
 *   rotation reaches warm containers. If a reload fails, the last good set keeps serving.
 * - A verifier meeting an unknown `kid` reloads early (at most every 30 s), so a key added during a
 *   rotation is picked up without waiting for the max age.
 * - `publicOnly` stores (authorizer, JWKS) never import private keys or keep the HMAC key.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { importJWK, type CryptoKey } from 'jose';
import type { SigningAlg } from '../config';
import { AppError, serviceUnavailable } from '../errors';
import { describeError, log } from '../log';
import { parseKeySet, parseVerificationKeys, publicJwkOf } from './key-set';
import type { KeySource } from './sources';

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  key: CryptoKey;
}

export interface VerificationKey {
  kid: string;
  alg: SigningAlg;
  key: CryptoKey;
  /** The same public key for node:crypto, which verifies several times faster than WebCrypto. */
  publicKey: KeyObject;
  jwk: Record<string, unknown>;
}

interface LoadedKeys {
  signing: SigningKey | undefined;
  verification: Map<string, VerificationKey>;
  refreshKey: Buffer | undefined;
  loadedAt: number;
}

export interface KeyStoreOptions {
  alg: SigningAlg;
  publicOnly?: boolean;
  maxAgeMs?: number;
  now?: () => number;
}

const UNKNOWN_KID_RELOAD_MS = 30_000;

export class KeyStore {
  private loaded: LoadedKeys | undefined;
  private inflight: Promise<LoadedKeys> | undefined;
  private lastForcedReload = 0;
  private readonly alg: SigningAlg;
  private readonly publicOnly: boolean;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: KeySource,
    options: KeyStoreOptions,
  ) {
    this.alg = options.alg;
    this.publicOnly = options.publicOnly ?? false;
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  /** The current key for the configured algorithm. */
  async signingKey(): Promise<SigningKey> {
    const keys = await this.keys();
    if (!keys.signing) throw new Error('this key store holds public keys only');
    return keys.signing;
  }

  /** The HMAC key that derives refresh-token successors. */
  async refreshKey(): Promise<Buffer> {
    const keys = await this.keys();
    if (!keys.refreshKey) throw new Error('this key store holds public keys only');
    return keys.refreshKey;
  }

  /** The verification key for `kid`, restricted to the pinned algorithm; undefined if unknown. */
  async verificationKey(kid: string): Promise<VerificationKey | undefined> {
    let keys = await this.keys();
    let found = keys.verification.get(kid);
    if (!found && this.now() - this.lastForcedReload > UNKNOWN_KID_RELOAD_MS) {
      this.lastForcedReload = this.now();
      keys = await this.keys(true);
      found = keys.verification.get(kid);
    }
    return found && found.alg === this.alg ? found : undefined;
  }

  /** Public JWKs of every key of the pinned algorithm, current first. */
  async publicJwks(): Promise<Record<string, unknown>[]> {
    const keys = await this.keys();
    return [...keys.verification.values()].map((k) => k.jwk);
  }

  /** Drops the cache (tests, and after an operator rotates keys in place). */
  clear(): void {
    this.loaded = undefined;
    this.inflight = undefined;
  }

  private async keys(force = false): Promise<LoadedKeys> {
    const fresh = this.loaded && !force && this.now() - this.loaded.loadedAt < this.maxAgeMs;
    if (fresh && this.loaded) return this.loaded;
    this.inflight ??= this.load().finally(() => {
      this.inflight = undefined;
    });
    try {
      this.loaded = await this.inflight;
      return this.loaded;
    } catch (err) {
      if (this.loaded) {
        log.warn('key set reload failed; keeping the last good key set', { source: this.source.description, error: describeError(err) });
        return this.loaded;
      }
      log.error('cannot load the signing key set; refusing to sign or verify', {
        source: this.source.description,
        error: describeError(err),
      });
      throw err instanceof AppError ? err : serviceUnavailable(err);
    }
  }

  private async load(): Promise<LoadedKeys> {
    const raw = await this.source.load();
    const verification = new Map<string, VerificationKey>();
    if (this.publicOnly) {
      // Current key first so the JWKS lists it first.
      const entries = parseVerificationKeys(raw, this.alg).sort(currentFirst);
      for (const entry of entries) {
        if (entry.alg !== this.alg) continue;
        const key = (await importJWK(entry.jwk, entry.alg)) as CryptoKey;
        verification.set(entry.kid, { kid: entry.kid, alg: entry.alg, key, publicKey: nodeKey(entry.jwk), jwk: entry.jwk });
      }
      return { signing: undefined, verification, refreshKey: undefined, loadedAt: this.now() };
    }
    const doc = parseKeySet(raw, this.alg);
    let signing: SigningKey | undefined;
    for (const stored of [...doc.keys].sort(currentFirst)) {
      if (stored.alg !== this.alg) continue;
      const jwk = publicJwkOf(stored);
      const key = (await importJWK(jwk, stored.alg)) as CryptoKey;
      verification.set(stored.kid, { kid: stored.kid, alg: stored.alg, key, publicKey: nodeKey(jwk), jwk });
      if (stored.status === 'current') {
        const privateKey = (await importJWK({ ...stored.privateJwk, alg: stored.alg }, stored.alg)) as CryptoKey;
        signing = { kid: stored.kid, alg: stored.alg, key: privateKey };
      }
    }
    return { signing, verification, refreshKey: Buffer.from(doc.refreshTokenKey, 'base64url'), loadedAt: this.now() };
  }
}

function nodeKey(jwk: Record<string, unknown>): KeyObject {
  return createPublicKey({ key: jwk as never, format: 'jwk' });
}

function currentFirst(a: { status: string }, b: { status: string }): number {
  return a.status === b.status ? 0 : a.status === 'current' ? -1 : 1;
}
