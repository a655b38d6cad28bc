/** KeyStore caching: load and import once, never cache a failure, keep the last good set, reload on unknown kid. */
import { describe, expect, it, vi } from 'vitest';
import { generateKeySet, generateSigningKey } from '../../lib/keys/generate';
import { parseKeySet, publicJwkOf } from '../../lib/keys/key-set';
import { KeyStore } from '../../lib/keys/key-store';
import type { KeySource } from '../../lib/keys/sources';

function countingSource(docs: (() => string)[]): KeySource & { calls: number } {
  const source = {
    description: 'test',
    calls: 0,
    async load() {
      const next = docs[Math.min(source.calls, docs.length - 1)]!;
      source.calls += 1;
      return next();
    },
  };
  return source;
}

describe('KeyStore', () => {
  it('loads and imports once for many concurrent and later calls', async () => {
    const doc = JSON.stringify(await generateKeySet('ES256'));
    const source = countingSource([() => doc]);
    const store = new KeyStore(source, { alg: 'ES256' });
    await Promise.all(Array.from({ length: 20 }, () => store.signingKey()));
    await store.refreshKey();
    await store.publicJwks();
    expect(source.calls).toBe(1);
  });

  it('does not cache a failure: the next call loads again', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const doc = JSON.stringify(await generateKeySet('RS256'));
    const source = countingSource([() => { throw new Error('down'); }, () => doc]);
    const store = new KeyStore(source, { alg: 'RS256' });
    await expect(store.signingKey()).rejects.toMatchObject({ code: 'service_unavailable' });
    await expect(store.signingKey()).resolves.toMatchObject({ alg: 'RS256' });
    vi.restoreAllMocks();
  });

  it('keeps serving the last good set when a reload after the max age fails', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let now = 0;
    const doc = JSON.stringify(await generateKeySet('RS256'));
    const source = countingSource([() => doc, () => { throw new Error('down'); }]);
    const store = new KeyStore(source, { alg: 'RS256', maxAgeMs: 1000, clock: () => new Date(now) });
    const first = await store.signingKey();
    now = 5000;
    await expect(store.signingKey()).resolves.toBe(first);
    expect(source.calls).toBe(2);
    vi.restoreAllMocks();
  });

  it('reloads early when a token names an unknown kid, so a rotation is picked up', async () => {
    const before = await generateKeySet('RS256');
    const added = await generateSigningKey('RS256');
    const after = { ...before, keys: [added, { ...before.keys[0]!, status: 'previous' as const }] };
    const source = countingSource([() => JSON.stringify(before), () => JSON.stringify(after)]);
    const store = new KeyStore(source, { alg: 'RS256', publicOnly: true, clock: () => new Date(100_000) });
    await store.publicJwks();
    await expect(store.verificationKey(added.kid)).resolves.toMatchObject({ kid: added.kid });
    await expect(store.verificationKey(before.keys[0]!.kid)).resolves.toMatchObject({ kid: before.keys[0]!.kid });
    expect(source.calls).toBe(2);
    // A second unknown kid right after does not trigger another load (rate-limited).
    await expect(store.verificationKey('unknownkid000')).resolves.toBeUndefined();
    expect(source.calls).toBe(2);
  });

  it('public-only stores refuse to sign or hand out the refresh key', async () => {
    const doc = JSON.stringify(await generateKeySet('EdDSA'));
    const store = new KeyStore(countingSource([() => doc]), { alg: 'EdDSA', publicOnly: true });
    // A programming error (a verifier asked to sign), not an outage: never service_unavailable.
    for (const call of [() => store.signingKey(), () => store.refreshKey()]) {
      const error = await call().then(() => undefined, (err: unknown) => err);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toBe('this key store holds public keys only');
      expect(error).not.toHaveProperty('code');
    }
    const jwks = await store.publicJwks();
    expect(jwks).toHaveLength(1);
    expect(jwks[0]).not.toHaveProperty('d');
  });
});

describe('parseKeySet', () => {
  it('rejects empty, non-JSON, keyless and weak sets with a ConfigurationError that echoes no key material', async () => {
    const good = await generateKeySet('RS256');
    const weakHmac = { ...good, refreshTokenKey: 'c2hvcnQ' };
    const noCurrent = { ...good, keys: good.keys.map((k) => ({ ...k, status: 'previous' })) };
    const { generateKeyPairSync } = await import('node:crypto');
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' });
    const weakRsa = { ...good, keys: [{ ...good.keys[0]!, privateJwk: weak }] };
    for (const raw of ['', '  ', '{', '[]', JSON.stringify({ ...good, keys: [] }), JSON.stringify(weakHmac), JSON.stringify(noCurrent), JSON.stringify(weakRsa)]) {
      let error: unknown;
      try {
        parseKeySet(raw, 'RS256');
      } catch (err) {
        error = err;
      }
      expect(error).toMatchObject({ name: 'ConfigurationError' });
      expect(String((error as Error).message)).not.toContain(String(good.keys[0]!.privateJwk.d).slice(0, 12));
    }
  });

  it('strips every private member from the public JWK', async () => {
    const set = await generateKeySet('RS256');
    const pub = publicJwkOf(set.keys[0]!);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(pub).not.toHaveProperty(member);
    expect(pub).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256', kid: set.keys[0]!.kid });
  });
});
