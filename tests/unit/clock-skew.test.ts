/** How long past `exp` an access token still works: at most 5 s (docs/reference/configuration.md, CLOCK_SKEW_SECONDS), configurable below that. */
import { describe, expect, it } from 'vitest';
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { loadConfig, MAX_CLOCK_SKEW_SECONDS } from '../../lib/config';
import { generateKeySet } from '../../lib/keys/generate';
import { KeyStore } from '../../lib/keys/key-store';
import { InvalidAccessToken, signAccessToken, verifyAccessToken } from '../../lib/tokens/access-token';
import { accessSettings } from '../../lib/tokens/access-settings';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const subject = { userId: 'user-1', sessionId: 'session-1', email: 'a@example.com', roles: ['user'] };
const base = { issuer: 'https://auth.example.com', audience: 'https://api.example.com', alg: 'ES256' as const, ttlSeconds: 900 };

async function tokenAndStore() {
  const doc = await generateKeySet('ES256');
  const store = (publicOnly: boolean) => new KeyStore({ description: 'memory', load: async () => JSON.stringify(doc) }, { alg: 'ES256', publicOnly });
  const token = await signAccessToken(store(false), base, subject, new Date(NOW));
  /** The genuine token's header and claims with `changes`, signed with the same key. */
  const resigned = (changes: Record<string, unknown>) => {
    const [h, p] = token.split('.');
    const claims = { ...JSON.parse(Buffer.from(p!, 'base64url').toString()), ...changes };
    const input = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const key = createPrivateKey({ key: doc.keys[0]!.privateJwk as never, format: 'jwk' });
    return `${input}.${cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
  return { token, verifier: store(true), resigned };
}
const EXP = NOW + 900_000;

describe('clock skew', () => {
  it('a token replayed 30 s after exp is refused (the old tolerance), and 5 s after exp too', async () => {
    const { token, verifier } = await tokenAndStore();
    await expect(verifyAccessToken(verifier, base, token, new Date(EXP + 30_000))).rejects.toBeInstanceOf(InvalidAccessToken);
    await expect(verifyAccessToken(verifier, base, token, new Date(EXP + 5_000))).rejects.toBeInstanceOf(InvalidAccessToken);
    await expect(verifyAccessToken(verifier, base, token, new Date(EXP + 4_999))).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('a verifier configured with more than 5 s still refuses a token 6 s past exp', async () => {
    const { token, verifier } = await tokenAndStore();
    await expect(verifyAccessToken(verifier, { ...base, clockSkewSeconds: 30 }, token, new Date(EXP + 6_000))).rejects.toBeInstanceOf(InvalidAccessToken);
  });

  it('CLOCK_SKEW_SECONDS=0 refuses a token at exp; the setting reaches the verifier settings', async () => {
    const { token, verifier } = await tokenAndStore();
    const config = loadConfig({ AUTH_MODE: 'local', SIGNING_KEYS_FILE: 'x.json', CLOCK_SKEW_SECONDS: '0' });
    const settings = { ...accessSettings(config), ...base, clockSkewSeconds: config.clockSkewSeconds };
    expect(accessSettings(config).clockSkewSeconds).toBe(0);
    await expect(verifyAccessToken(verifier, settings, token, new Date(EXP))).rejects.toBeInstanceOf(InvalidAccessToken);
    await expect(verifyAccessToken(verifier, settings, token, new Date(EXP - 1_000))).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('CLOCK_SKEW_SECONDS above 5 stops the cold start instead of widening the window; the default is 5', () => {
    expect(() => loadConfig({ AUTH_MODE: 'local', SIGNING_KEYS_FILE: 'x.json', CLOCK_SKEW_SECONDS: '30' })).toThrow(/CLOCK_SKEW_SECONDS/);
    expect(loadConfig({ AUTH_MODE: 'local', SIGNING_KEYS_FILE: 'x.json' }).clockSkewSeconds).toBe(5);
  });

  it('no token is accepted longer than its lifetime + the skew after iat, whatever exp it carries (the age check once allowed twice the skew)', async () => {
    const { verifier, resigned } = await tokenAndStore();
    const ttl = base.ttlSeconds;
    const iat = NOW / 1000;
    const at = (secondsAfterIat: number) => new Date(NOW + secondsAfterIat * 1000);
    // The old check (now - iat - skew > ttl + skew) accepted this one: 909 s old, exp still ahead.
    const stretched = resigned({ iat, exp: iat + ttl + 2 * MAX_CLOCK_SKEW_SECONDS + 60 });
    await expect(verifyAccessToken(verifier, base, stretched, at(ttl + 2 * MAX_CLOCK_SKEW_SECONDS - 1))).rejects.toBeInstanceOf(InvalidAccessToken);
    await expect(verifyAccessToken(verifier, base, stretched, at(1))).rejects.toBeInstanceOf(InvalidAccessToken);
    // A token of exactly the configured lifetime: accepted until 5 s past exp, refused from then on.
    const regular = resigned({ iat, exp: iat + ttl });
    await expect(verifyAccessToken(verifier, base, regular, at(ttl + MAX_CLOCK_SKEW_SECONDS - 1))).resolves.toMatchObject({ sub: 'user-1' });
    await expect(verifyAccessToken(verifier, base, regular, at(ttl + MAX_CLOCK_SKEW_SECONDS))).rejects.toBeInstanceOf(InvalidAccessToken);
  });

  it('a token issued more than 5 s in the future is refused', async () => {
    const { token, verifier } = await tokenAndStore();
    await expect(verifyAccessToken(verifier, base, token, new Date(NOW - 6_000))).rejects.toBeInstanceOf(InvalidAccessToken);
    await expect(verifyAccessToken(verifier, base, token, new Date(NOW - 4_000))).resolves.toMatchObject({ sub: 'user-1' });
  });
});
