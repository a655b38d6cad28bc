/** Access tokens for each selectable algorithm, and the pinned algorithm refusing the others. */
import { createHmac, createPrivateKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SigningAlg } from '../../lib/config';
import { generateKeySet } from '../../lib/keys/generate';
import { publicJwkOf } from '../../lib/keys/key-set';
import { KeyStore } from '../../lib/keys/key-store';
import { InvalidAccessToken, signAccessToken, verifyAccessToken } from '../../lib/tokens/access-token';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const subject = { userId: 'user-1', sessionId: 'session-1', email: 'a@example.com', roles: ['user'] };
const settingsFor = (alg: SigningAlg) => ({ issuer: 'https://auth.example.com', audience: 'https://api.example.com', alg, ttlSeconds: 900 });
const storeOf = (doc: unknown, alg: SigningAlg, publicOnly = false) => new KeyStore({ description: 'memory', load: async () => JSON.stringify(doc) }, { alg, publicOnly });

describe.each(['RS256', 'ES256', 'EdDSA'] as const)('%s access tokens', (alg) => {
  it('carry kid and typ at+jwt and every documented claim, and verify', async () => {
    const doc = await generateKeySet(alg);
    const token = await signAccessToken(storeOf(doc, alg), settingsFor(alg), subject, new Date(NOW));
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg, kid: doc.keys[0]!.kid, typ: 'at+jwt' });
    const claims = await verifyAccessToken(storeOf(doc, alg, true), settingsFor(alg), token, new Date(NOW));
    expect(claims).toMatchObject({ sub: 'user-1', sid: 'session-1', email: 'a@example.com', roles: ['user'], iat: NOW / 1000, exp: NOW / 1000 + 900 });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('expire: refused 31 s after exp (beyond the 5 s skew)', async () => {
    const doc = await generateKeySet(alg);
    const token = await signAccessToken(storeOf(doc, alg), settingsFor(alg), subject, new Date(NOW));
    await expect(verifyAccessToken(storeOf(doc, alg, true), settingsFor(alg), token, new Date(NOW + 931_000))).rejects.toBeInstanceOf(InvalidAccessToken);
  });
});

describe('algorithm pinning', () => {
  it('refuses an ES256 token when RS256 is pinned, even with the same kid', async () => {
    const es = await generateKeySet('ES256');
    const rs = await generateKeySet('RS256');
    es.keys[0]!.kid = rs.keys[0]!.kid;
    const token = await signAccessToken(storeOf(es, 'ES256'), settingsFor('ES256'), subject, new Date(NOW));
    await expect(verifyAccessToken(storeOf(rs, 'RS256', true), settingsFor('RS256'), token, new Date(NOW))).rejects.toBeInstanceOf(InvalidAccessToken);
  });

  it('refuses HS256 and HS512 tokens keyed with our public key', async () => {
    const rs = await generateKeySet('RS256');
    const genuine = await signAccessToken(storeOf(rs, 'RS256'), settingsFor('RS256'), subject, new Date(NOW));
    const payload = genuine.split('.')[1];
    for (const [alg, hash] of [['HS256', 'sha256'], ['HS512', 'sha512']] as const) {
      const header = Buffer.from(JSON.stringify({ alg, kid: rs.keys[0]!.kid, typ: 'at+jwt' })).toString('base64url');
      const secret = JSON.stringify(publicJwkOf(rs.keys[0]!));
      const mac = createHmac(hash, secret).update(`${header}.${payload}`).digest('base64url');
      await expect(verifyAccessToken(storeOf(rs, 'RS256', true), settingsFor('RS256'), `${header}.${payload}.${mac}`, new Date(NOW))).rejects.toBeInstanceOf(InvalidAccessToken);
    }
  });

  it('refuses alg none in any casing', async () => {
    const rs = await generateKeySet('RS256');
    const genuine = await signAccessToken(storeOf(rs, 'RS256'), settingsFor('RS256'), subject, new Date(NOW));
    const payload = genuine.split('.')[1];
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const header = Buffer.from(JSON.stringify({ alg, kid: rs.keys[0]!.kid, typ: 'at+jwt' })).toString('base64url');
      await expect(verifyAccessToken(storeOf(rs, 'RS256', true), settingsFor('RS256'), `${header}.${payload}.`, new Date(NOW))).rejects.toBeInstanceOf(InvalidAccessToken);
      await expect(verifyAccessToken(storeOf(rs, 'RS256', true), settingsFor('RS256'), `${header}.${payload}.AAAA`, new Date(NOW))).rejects.toBeInstanceOf(InvalidAccessToken);
    }
  });

  it('refuses wrong iss, wrong aud and a missing sub, each signed with our key', async () => {
    const rs = await generateKeySet('RS256');
    const verify = (token: string) => verifyAccessToken(storeOf(rs, 'RS256', true), settingsFor('RS256'), token, new Date(NOW));
    await expect(verify(await signAccessToken(storeOf(rs, 'RS256'), { ...settingsFor('RS256'), issuer: 'https://evil.example' }, subject, new Date(NOW)))).rejects.toBeInstanceOf(InvalidAccessToken);
    await expect(verify(await signAccessToken(storeOf(rs, 'RS256'), { ...settingsFor('RS256'), audience: 'other' }, subject, new Date(NOW)))).rejects.toBeInstanceOf(InvalidAccessToken);
    await expect(verify(await signAccessToken(storeOf(rs, 'RS256'), settingsFor('RS256'), { ...subject, userId: '' }, new Date(NOW)))).rejects.toBeInstanceOf(InvalidAccessToken);
  });
});

describe('signature encodings', () => {
  /** The genuine token's signing input, re-signed with node:crypto under `options`. */
  async function resigned(alg: 'ES256' | 'EdDSA', sign: (input: Buffer, key: KeyObject) => Buffer) {
    const doc = await generateKeySet(alg);
    const genuine = await signAccessToken(storeOf(doc, alg), settingsFor(alg), subject, new Date(NOW));
    const input = genuine.slice(0, genuine.lastIndexOf('.'));
    const key = createPrivateKey({ key: doc.keys[0]!.privateJwk as never, format: 'jwk' });
    const verify = (token: string) => verifyAccessToken(storeOf(doc, alg, true), settingsFor(alg), token, new Date(NOW));
    return { genuine, verify, forged: `${input}.${sign(Buffer.from(input), key).toString('base64url')}` };
  }

  it('attack: an ES256 signature in DER form (valid, but not the JWS encoding) is refused', async () => {
    const { genuine, verify, forged } = await resigned('ES256', (input, key) => cryptoSign('sha256', input, key));
    await expect(verify(genuine)).resolves.toMatchObject({ sub: 'user-1' });
    await expect(verify(forged)).rejects.toBeInstanceOf(InvalidAccessToken);
  });

  it('attack: a signature with a byte appended or cut is refused (ES256, EdDSA)', async () => {
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const { genuine, verify } = await resigned(alg, (input, key) => cryptoSign(alg === 'ES256' ? 'sha256' : null, input, { key, dsaEncoding: 'ieee-p1363' }));
      const [input, sig] = [genuine.slice(0, genuine.lastIndexOf('.')), Buffer.from(genuine.slice(genuine.lastIndexOf('.') + 1), 'base64url')];
      await expect(verify(`${input}.${Buffer.concat([sig, Buffer.from([0])]).toString('base64url')}`)).rejects.toBeInstanceOf(InvalidAccessToken);
      await expect(verify(`${input}.${sig.subarray(0, sig.length - 1).toString('base64url')}`)).rejects.toBeInstanceOf(InvalidAccessToken);
    }
  });

  it('attack: a 1024-bit RSA key padded with zero bytes past the key set\'s length check is refused as key material', async () => {
    const rs = await generateKeySet('RS256');
    const token = await signAccessToken(storeOf(rs, 'RS256'), settingsFor('RS256'), subject, new Date(NOW));
    // The key set counts the bytes of `n` (at least 256); the modulus itself has 1024 bits.
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const n = Buffer.concat([Buffer.alloc(200), Buffer.from(weak.n!, 'base64url')]).toString('base64url');
    const broken = { keys: [{ kid: rs.keys[0]!.kid, alg: 'RS256', status: 'current', publicJwk: { kty: 'RSA', n, e: weak.e } }] };
    const store = new KeyStore({ description: 'memory', load: async () => JSON.stringify(broken) }, { alg: 'RS256', publicOnly: true });
    const err = await verifyAccessToken(store, settingsFor('RS256'), token, new Date(NOW)).then(() => undefined, (e: unknown) => e);
    expect(err).not.toBeInstanceOf(InvalidAccessToken);
    expect(err).toMatchObject({ code: 'service_unavailable' });
  });
});
