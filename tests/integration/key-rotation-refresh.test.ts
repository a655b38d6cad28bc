/**
 * Rotating the refresh-token HMAC key must not break grace retries. A refresh derives its
 * successor with the HMAC key its container holds as current; around a rotation, the first
 * attempt and the retry may run in containers holding different versions of the key set (each
 * caches it for up to 5 minutes). Both orders are played here with two key stores over the same
 * DynamoDB Local tables, as two containers would be.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KeySetDocument } from '../../lib/keys/key-set';
import { bootstrapKeySet, scheduledRotation } from '../../lib/keys/rotation';
import type { KeySource } from '../../lib/keys/sources';
import { refresh } from '../../lib/usecases/refresh';
import { register } from '../../lib/usecases/register';
import { testClock, testDeps, uniqueEmail } from '../helpers/deps';

const DAY = 86_400_000;
const meta = { ip: '203.0.113.7', userAgent: 'vitest/1.0' };
const sourceOf = (doc: KeySetDocument): KeySource => ({ description: 'test key set', load: async () => JSON.stringify(doc) });

let before: KeySetDocument;
let after: KeySetDocument;

beforeAll(async () => {
  const start = new Date(Date.now() - 30 * DAY);
  before = await bootstrapKeySet('RS256', start);
  ({ doc: after } = await scheduledRotation(before, new Date(), { alg: 'RS256', accessTokenTtlSeconds: 900, refreshReuseGraceSeconds: 10 }));
  expect(after.refreshTokenKey).not.toBe(before.refreshTokenKey);
});

function containers() {
  const clock = testClock();
  return { clock, old: testDeps({ clock, keySource: sourceOf(before) }).deps, rotated: testDeps({ clock, keySource: sourceOf(after) }).deps };
}

async function signedUp(deps: ReturnType<typeof containers>['old']) {
  return register(deps, { email: uniqueEmail('rotation'), password: 'correct horse battery', name: undefined }, meta);
}

describe('refresh-token HMAC key rotation', () => {
  it('answers a retry in a container that already has the rotated key with the same successor', async () => {
    const { clock, old, rotated } = containers();
    const { refreshToken } = await signedUp(old);
    const first = await refresh(old, refreshToken);
    clock.advance(2_000);
    const retry = await refresh(rotated, refreshToken);
    expect(retry.refreshToken).toBe(first.refreshToken);
    // The session is intact: the successor still works.
    expect((await refresh(rotated, first.refreshToken)).refreshToken).toEqual(expect.any(String));
  });

  it('answers a retry in a container still holding the old key set with the same successor', async () => {
    const { clock, old, rotated } = containers();
    const { refreshToken } = await signedUp(rotated);
    const first = await refresh(rotated, refreshToken);
    clock.advance(2_000);
    const retry = await refresh(old, refreshToken);
    expect(retry.refreshToken).toBe(first.refreshToken);
  });

  it('still treats a replay after the grace window as reuse, whichever key derived the successor', async () => {
    const { clock, old, rotated } = containers();
    const { refreshToken } = await signedUp(old);
    const first = await refresh(old, refreshToken);
    clock.advance(11_000);
    await expect(refresh(rotated, refreshToken)).rejects.toMatchObject({ code: 'refresh_token_reused' });
    await expect(refresh(rotated, first.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });
});
