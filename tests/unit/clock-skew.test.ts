/** How long past `exp` an access token still works: at most 5 s (API.md), configurable below that. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
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
  return { token: await signAccessToken(store(false), base, subject, new Date(NOW)), verifier: store(true) };
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

  it('a token issued more than 5 s in the future is refused', async () => {
    const { token, verifier } = await tokenAndStore();
    await expect(verifyAccessToken(verifier, base, token, new Date(NOW - 6_000))).rejects.toBeInstanceOf(InvalidAccessToken);
    await expect(verifyAccessToken(verifier, base, token, new Date(NOW - 4_000))).resolves.toMatchObject({ sub: 'user-1' });
  });
});
