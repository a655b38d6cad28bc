/**
 * Header and claim tricks against the access-token verifier, one test per attack. Hostile tokens
 * are signed with our real key where that matters, so only the trick itself can cause the refusal.
 */
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { generateKeySet } from '../../lib/keys/generate';
import { publicJwkOf, type KeySetDocument } from '../../lib/keys/key-set';
import { KeyStore } from '../../lib/keys/key-store';
import { InvalidAccessToken, signAccessToken, verifyAccessToken } from '../../lib/tokens/access-token';

const settings = { issuer: 'https://auth.example.com', audience: 'https://api.example.com', alg: 'RS256' as const, ttlSeconds: 900 };
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const nowSeconds = NOW / 1000;
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

let doc: KeySetDocument;
let keys: KeyStore;
let genuine: string;
let header: Record<string, unknown>;
let claims: Record<string, unknown>;

function signRaw(rawHeader: string, rawPayload: string): string {
  const key = createPrivateKey({ key: doc.keys[0]!.privateJwk as never, format: 'jwk' });
  const input = `${b64(rawHeader)}.${b64(rawPayload)}`;
  return `${input}.${cryptoSign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
}
const signed = (h: Record<string, unknown>, c: Record<string, unknown>) => signRaw(JSON.stringify(h), JSON.stringify(c));

async function refused(token: string): Promise<void> {
  await expect(verifyAccessToken(keys, settings, token, new Date(NOW))).rejects.toBeInstanceOf(InvalidAccessToken);
}

beforeAll(async () => {
  doc = await generateKeySet('RS256');
  keys = new KeyStore({ description: 'memory', load: async () => JSON.stringify(doc) }, { alg: 'RS256' });
  genuine = await signAccessToken(keys, settings, { userId: 'user-1', sessionId: 'session-1', email: 'a@example.com', roles: ['user'] }, new Date(NOW));
  header = JSON.parse(Buffer.from(genuine.split('.')[0]!, 'base64url').toString());
  claims = JSON.parse(Buffer.from(genuine.split('.')[1]!, 'base64url').toString());
});

describe('access-token header and claim attacks', () => {
  it('accepts the genuine token and a re-signed copy of it (the control case)', async () => {
    await expect(verifyAccessToken(keys, settings, genuine, new Date(NOW))).resolves.toMatchObject({ sub: 'user-1', sid: 'session-1' });
    await expect(verifyAccessToken(keys, settings, signed(header, claims), new Date(NOW))).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('refuses a token signed by a foreign key under our kid', async () => {
    const attacker = await generateKeySet('RS256');
    const attackerKey = createPrivateKey({ key: attacker.keys[0]!.privateJwk as never, format: 'jwk' });
    const input = `${b64(header)}.${b64(claims)}`;
    await refused(`${input}.${cryptoSign('RSA-SHA256', Buffer.from(input), attackerKey).toString('base64url')}`);
  });

  it('refuses a payload altered under the original signature (privilege escalation by editing roles)', async () => {
    const [h, , sig] = genuine.split('.');
    await refused(`${h}.${b64({ ...claims, roles: ['admin'] })}.${sig}`);
  });

  it('refuses an embedded jwk header, whether it holds an attacker key or even our own', async () => {
    const attacker = await generateKeySet('RS256');
    const attackerKey = createPrivateKey({ key: attacker.keys[0]!.privateJwk as never, format: 'jwk' });
    const input = `${b64({ ...header, jwk: publicJwkOf(attacker.keys[0]!) })}.${b64(claims)}`;
    await refused(`${input}.${cryptoSign('RSA-SHA256', Buffer.from(input), attackerKey).toString('base64url')}`);
    await refused(signed({ ...header, jwk: publicJwkOf(doc.keys[0]!) }, claims));
  });

  it('refuses jku and x5u headers without making any outbound request', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    await refused(signed({ ...header, jku: 'https://attacker.example/jwks.json' }, claims));
    await refused(signed({ ...header, x5u: 'https://attacker.example/cert.pem' }, claims));
    expect(fetchSpy).not.toHaveBeenCalled();
    fetchSpy.mockRestore();
  });

  it('refuses kid path traversal, SQL-ish and 10 KB kids, and an unknown kid', async () => {
    for (const kid of ['../../etc/passwd', "' OR 1=1 --", 'k'.repeat(10_240), 'unknown-kid-123']) {
      await refused(signed({ ...header, kid }, claims));
    }
  });

  it('refuses an unknown crit header', async () => {
    await refused(signed({ ...header, crit: ['x-custom'], 'x-custom': true }, claims));
  });

  it('refuses a token without exp, without iat, without sub, without sid or without jti', async () => {
    for (const claim of ['exp', 'iat', 'sub', 'sid', 'jti']) {
      const { [claim]: _dropped, ...rest } = claims;
      await refused(signed(header, rest));
    }
  });

  it('refuses a token over the size cap before decoding it', async () => {
    const big = signed(header, { ...claims, pad: 'x'.repeat(5000) });
    const decode = vi.spyOn(Buffer, 'from');
    await refused(big);
    expect(decode).not.toHaveBeenCalled();
    decode.mockRestore();
  });

  it('refuses exp given as a string', async () => {
    await refused(signed(header, { ...claims, exp: String(claims.exp) }));
  });

  it('refuses nbf in the future beyond the allowed skew', async () => {
    await refused(signed(header, { ...claims, nbf: nowSeconds + 120 }));
  });

  it('refuses iat far in the future', async () => {
    await refused(signed(header, { ...claims, iat: nowSeconds + 3600, exp: nowSeconds + 4500 }));
  });

  it('refuses a token older than the maximum token age even with a far exp', async () => {
    await refused(signed(header, { ...claims, iat: nowSeconds - 7200, exp: nowSeconds + 3600 }));
  });

  it('attack: a long-lived token under our key (exp a year after iat) is refused though it is fresh', async () => {
    await refused(signed(header, { ...claims, iat: nowSeconds - 10, exp: nowSeconds - 10 + 365 * 86_400 }));
    // The configured lifetime itself is accepted: only a longer one is refused.
    await expect(
      verifyAccessToken(keys, settings, signed(header, { ...claims, iat: nowSeconds - 10, exp: nowSeconds - 10 + settings.ttlSeconds }), new Date(NOW)),
    ).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('refuses duplicate claims (a second sub smuggled after the first), even under our signature', async () => {
    await refused(signRaw(JSON.stringify(header), JSON.stringify(claims).replace(/}$/, ',"sub":"admin"}')));
    await refused(signRaw(JSON.stringify(header), JSON.stringify(claims).replace(/}$/, ',"s\\u0075b":"admin"}')));
  });

  it('refuses a duplicate alg in the header', async () => {
    await refused(signRaw(JSON.stringify(header).replace(/}$/, ',"alg":"none"}'), JSON.stringify(claims)));
  });

  it('refuses a two-part token, an empty signature and a non-base64url token', async () => {
    const [h, p] = genuine.split('.');
    await refused(`${h}.${p}`);
    await refused(`${h}.${p}.`);
    await refused(`${h}.${p}.***`);
  });

  it('refuses a token whose aud is missing', async () => {
    const { aud: _aud, ...rest } = claims;
    await refused(signed(header, rest));
  });

  it('refuses roles that are not a list of strings', async () => {
    await refused(signed(header, { ...claims, roles: 'admin' }));
    await refused(signed(header, { ...claims, roles: [{ admin: true }] }));
  });
});
