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
 * - Verification keys are handed out as checked public JWKs: the verifier imports each once
 *   (lib/tokens/access-token.ts), the JWKS publishes them as they are. A signing store imports
 *   its private key into a node:crypto KeyObject, which jose signs with: the key store carries no
 *   JOSE code, so the verifying bundles (authorizer, JWKS) hold none of jose.
 * - Only the `current` key signs; `next` and `previous` keys verify (and are published). A
 *   previous key is dropped once `previousKeyRetentionMs` has passed since its `retiredAt`, so
 *   the JWKS stops publishing it as soon as every token it signed has expired.
 */
import { createPrivateKey, type JsonWebKeyInput, type KeyObject } from 'node:crypto';
import type { SigningAlg } from '../config';
import { systemClock, type Clock } from '../clock';
import { AppError, serviceUnavailable } from '../errors';
import { describeError, log } from '../log';
import { parseKeySet, parseVerificationKeys, publicJwkOf } from './key-set';
import { KEY_SET_CACHE_SECONDS } from './rotation-policy';
import type { KeySource } from './sources';

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  /** A node:crypto KeyObject: jose signs with it, and importing it needs no JOSE code here. */
  key: KeyObject;
}

export interface VerificationKey {
  kid: string;
  alg: SigningAlg;
  /** Public JWK with kid, alg and use. */
  jwk: Record<string, unknown>;
}

interface LoadedKeys {
  signing: SigningKey | undefined;
  verification: Map<string, VerificationKey>;
  refreshKey: Buffer | undefined;
  /** Every HMAC key: current first, then next and previous (grace retries may need them). */
  refreshKeys: Buffer[];
  /** Every data-encryption key: current first, then next and previous (never dropped by age). */
  dataKeys: Buffer[];
  loadedAt: number;
}

export interface KeyStoreOptions {
  alg: SigningAlg;
  publicOnly?: boolean;
  maxAgeMs?: number;
  /** How long a previous key keeps verifying after its retiredAt (default: forever). */
  previousKeyRetentionMs?: number;
  /** Defaults to the system clock; tests move their own. */
  clock?: Clock;
}

type JwkInput = JsonWebKeyInput['key'];

const UNKNOWN_KID_RELOAD_MS = 30_000;

export class KeyStore {
  private loaded: LoadedKeys | undefined;
  private inflight: Promise<LoadedKeys> | undefined;
  private lastForcedReload = 0;
  private readonly alg: SigningAlg;
  private readonly publicOnly: boolean;
  private readonly maxAgeMs: number;
  private readonly previousKeyRetentionMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly source: KeySource,
    options: KeyStoreOptions,
  ) {
    this.alg = options.alg;
    this.publicOnly = options.publicOnly ?? false;
    this.maxAgeMs = options.maxAgeMs ?? KEY_SET_CACHE_SECONDS * 1000;
    this.previousKeyRetentionMs = options.previousKeyRetentionMs ?? Number.POSITIVE_INFINITY;
    this.clock = options.clock ?? systemClock;
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

  /**
   * Every HMAC key of the set, current first. A retried refresh whose first attempt ran in a
   * container with another current key (just before or after a rotation) derives its successor
   * with one of the others.
   */
  async refreshKeys(): Promise<Buffer[]> {
    const keys = await this.keys();
    if (!keys.refreshKey) throw new Error('this key store holds public keys only');
    return keys.refreshKeys;
  }

  /**
   * Every data-encryption key of the set (lib/mfa/secret-box.ts), current first. With `reload`, a
   * caller that met a ciphertext under a key it does not know (sealed by a container that loaded a
   * newer set) reloads first, at most every 30 s like an unknown `kid`. A set without data keys
   * (older than them) answers 503 until its next rotation adds them.
   */
  async dataKeys(options: { reload?: boolean } = {}): Promise<Buffer[]> {
    let keys = await this.keys();
    if (options.reload && this.nowMs() - this.lastForcedReload > UNKNOWN_KID_RELOAD_MS) {
      this.lastForcedReload = this.nowMs();
      keys = await this.keys(true);
    }
    if (!keys.refreshKey) throw new Error('this key store holds public keys only');
    if (keys.dataKeys.length === 0) throw serviceUnavailable(new Error('the key set has no data key; run a scheduled rotation to add one'));
    return keys.dataKeys;
  }

  /** The verification key for `kid`, restricted to the pinned algorithm; undefined if unknown. */
  /**
   * The key for `kid` from a loaded key set that is still fresh, as a plain value; undefined
   * otherwise (not loaded, stale, unknown kid), and then {@link verificationKey} decides. The
   * authorizer asks this first: its warm path then waits on no promise for the key.
   */
  loadedVerificationKey(kid: string): VerificationKey | undefined {
    const loaded = this.loaded;
    if (!loaded || this.nowMs() - loaded.loadedAt >= this.maxAgeMs) return undefined;
    const found = loaded.verification.get(kid);
    return found && found.alg === this.alg ? found : undefined;
  }

  async verificationKey(kid: string): Promise<VerificationKey | undefined> {
    let keys = await this.keys();
    let found = keys.verification.get(kid);
    if (!found && this.nowMs() - this.lastForcedReload > UNKNOWN_KID_RELOAD_MS) {
      this.lastForcedReload = this.nowMs();
      keys = await this.keys(true);
      found = keys.verification.get(kid);
    }
    return found && found.alg === this.alg ? found : undefined;
  }

  /** Public JWKs of every key of the pinned algorithm: current, then next, then previous. */
  async publicJwks(): Promise<Record<string, unknown>[]> {
    const keys = await this.keys();
    return [...keys.verification.values()].map((k) => k.jwk);
  }

  private nowMs(): number {
    return this.clock().getTime();
  }

  /** Drops the cache (tests, and after an operator rotates keys in place). */
  clear(): void {
    this.loaded = undefined;
    this.inflight = undefined;
  }

  private async keys(force = false): Promise<LoadedKeys> {
    const fresh = this.loaded && !force && this.nowMs() - this.loaded.loadedAt < this.maxAgeMs;
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
      const entries = parseVerificationKeys(raw, this.alg).sort(byStatus);
      for (const entry of entries) {
        if (entry.alg !== this.alg || this.expired(entry)) continue;
        verification.set(entry.kid, { kid: entry.kid, alg: entry.alg, jwk: entry.jwk });
      }
      return { signing: undefined, verification, refreshKey: undefined, refreshKeys: [], dataKeys: [], loadedAt: this.nowMs() };
    }
    const doc = parseKeySet(raw, this.alg);
    let signing: SigningKey | undefined;
    for (const stored of [...doc.keys].sort(byStatus)) {
      if (stored.alg !== this.alg || this.expired(stored)) continue;
      verification.set(stored.kid, { kid: stored.kid, alg: stored.alg, jwk: publicJwkOf(stored) });
      if (stored.status === 'current') {
        signing = { kid: stored.kid, alg: stored.alg, key: createPrivateKey({ key: stored.privateJwk as JwkInput, format: 'jwk' }) };
      }
    }
    const refreshKeys = [doc.refreshTokenKey, ...[...(doc.refreshTokenKeys ?? [])].sort(byStatus).map((k) => k.key)].map((k) =>
      Buffer.from(k, 'base64url'),
    );
    const dataKeys = [...(doc.dataKeys ?? [])].sort(byStatus).map((k) => Buffer.from(k.key, 'base64url'));
    return { signing, verification, refreshKey: refreshKeys[0], refreshKeys, dataKeys, loadedAt: this.nowMs() };
  }

  private expired(entry: { status: string; retiredAt?: string | undefined }): boolean {
    if (entry.status !== 'previous' || !entry.retiredAt) return false;
    return this.nowMs() - Date.parse(entry.retiredAt) >= this.previousKeyRetentionMs;
  }
}

const STATUS_ORDER: Record<string, number> = { current: 0, next: 1, previous: 2 };

function byStatus(a: { status: string }, b: { status: string }): number {
  return (STATUS_ORDER[a.status] ?? 3) - (STATUS_ORDER[b.status] ?? 3);
}
