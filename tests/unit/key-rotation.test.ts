/**
 * The signing key set's rotation, driven step by step the way Secrets Manager drives it, against
 * a stateful aws-sdk-client-mock of the service (tests/helpers/secrets-manager.ts): bootstrap on
 * stack creation, scheduled promotions, repeated and failed steps, pruning, emergency rotation.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseKeySet, parseVerificationKeys, type KeySetDocument } from '../../lib/keys/key-set';
import { KeyStore } from '../../lib/keys/key-store';
import { RotationRefused, scheduledRotation } from '../../lib/keys/rotation';
import { NEXT_KEY_LEAD_SECONDS, previousKeyRetentionSeconds } from '../../lib/keys/rotation-policy';
import { ROTATION_STEPS, rotateNow, runRotationStep, type RotationContext } from '../../lib/keys/rotation-steps';
import { fakeSecretsManager } from '../helpers/secrets-manager';

const KEYS = 'auth/prod/signing-keys';
const PUBLIC = 'auth/prod/public-keys';
// ES256 keeps key generation fast; the rotation does not depend on the algorithm (one RS256 run below).
const policy = { alg: 'ES256' as const, accessTokenTtlSeconds: 900, refreshReuseGraceSeconds: 10 };
const DAY = 86_400_000;

let sm: ReturnType<typeof fakeSecretsManager>;
let clock: Date;
let ctx: RotationContext;

beforeEach(() => {
  sm = fakeSecretsManager();
  clock = new Date('2026-01-01T00:00:00Z');
  ctx = { client: sm.client, policy, publicSecretId: PUBLIC, clock: () => clock };
  sm.create(KEYS, '{}');
  sm.create(PUBLIC, '{}', { rotationEnabled: false });
});
afterEach(() => sm.restore());

/** Secrets Manager's rotation: stage the token, then the four steps in order. */
async function rotate(token: string): Promise<void> {
  sm.stagePending(KEYS, token);
  for (const Step of ROTATION_STEPS) await runRotationStep(ctx, { Step, SecretId: KEYS, ClientRequestToken: token });
}

const keySet = (): KeySetDocument => parseKeySet(sm.current(KEYS), ctx.policy.alg);
const kids = (doc: KeySetDocument, status: string) => doc.keys.filter((k) => k.status === status).map((k) => k.kid);
const publishedKids = () => parseVerificationKeys(sm.current(PUBLIC), ctx.policy.alg).map((k) => k.kid).sort();

describe('the first rotation of a new stack', () => {
  it('works the same with RS256 keys, the default algorithm', async () => {
    ctx = { ...ctx, policy: { ...policy, alg: 'RS256' } };
    await rotate('token-1');
    expect(keySet().keys.map((k) => [k.alg, k.status])).toEqual([['RS256', 'current'], ['RS256', 'next']]);
  });

  it('turns the {} placeholder into a key set with a current and a published next key', async () => {
    await rotate('token-1');
    const doc = keySet();
    expect(kids(doc, 'current')).toHaveLength(1);
    expect(kids(doc, 'next')).toHaveLength(1);
    expect(doc.refreshTokenKeys?.map((k) => k.status)).toEqual(['next']);
    expect(doc.keys.every((k) => k.createdAt === clock.toISOString())).toBe(true);
    expect(publishedKids()).toEqual(doc.keys.map((k) => k.kid).sort());
    expect(sm.current(PUBLIC)).not.toContain('"d"');
    expect(sm.calls).toEqual([
      'DescribeSecret', 'GetSecretValue', 'GetSecretValue', 'PutSecretValue', // createSecret
      'DescribeSecret', 'GetSecretValue', 'PutSecretValue', // setSecret
      'DescribeSecret', 'GetSecretValue', 'GetSecretValue', 'GetSecretValue', // testSecret
      'DescribeSecret', 'UpdateSecretVersionStage', // finishSecret
    ]);
  });
});

describe('scheduled rotation', () => {
  beforeEach(async () => {
    await rotate('token-1');
  });

  it('promotes the next key once it has been published long enough, and publishes a new next key', async () => {
    const before = keySet();
    clock = new Date(clock.getTime() + 30 * DAY);
    await rotate('token-2');
    const after = keySet();
    expect(kids(after, 'current')).toEqual(kids(before, 'next'));
    expect(kids(after, 'previous')).toEqual(kids(before, 'current'));
    expect(after.keys.find((k) => k.status === 'previous')?.retiredAt).toBe(clock.toISOString());
    expect(after.keys.find((k) => k.status === 'current')?.activatedAt).toBe(clock.toISOString());
    const [newNext] = kids(after, 'next');
    expect(kids(before, 'next')).not.toContain(newNext);
    // The refresh-token HMAC key moved the same way: the staged one signs, the old one is kept.
    expect(after.refreshTokenKey).toBe(before.refreshTokenKeys?.[0]?.key);
    expect(after.refreshTokenKeys?.find((k) => k.status === 'previous')?.key).toBe(before.refreshTokenKey);
    expect(publishedKids()).toEqual(after.keys.map((k) => k.kid).sort());
  });

  it('refuses to let a next key sign before verifiers caching the JWKS can have it', async () => {
    const before = sm.current(KEYS);
    clock = new Date(clock.getTime() + (NEXT_KEY_LEAD_SECONDS - 60) * 1000);
    await expect(rotate('token-2')).rejects.toBeInstanceOf(RotationRefused);
    expect(sm.current(KEYS)).toBe(before);
    clock = new Date(clock.getTime() + 120_000);
    await rotate('token-3');
    expect(sm.current(KEYS)).not.toBe(before);
  });

  it('drops a previous key at the rotation after every token it signed has expired', async () => {
    clock = new Date(clock.getTime() + 30 * DAY);
    await rotate('token-2');
    const retired = kids(keySet(), 'previous');
    expect(retired).toHaveLength(1);
    clock = new Date(clock.getTime() + 30 * DAY);
    await rotate('token-3');
    expect(kids(keySet(), 'previous')).not.toEqual(expect.arrayContaining(retired));
    expect(publishedKids()).not.toEqual(expect.arrayContaining(retired));
  });

  it('keeps a previous key while tokens it signed may live: stale signers plus one token lifetime', async () => {
    const doc = keySet();
    const retention = previousKeyRetentionSeconds(900);
    const previousAt = (secondsAgo: number) => ({
      ...doc,
      keys: [...doc.keys.map((k) => (k.status === 'next' ? { ...k, createdAt: new Date(clock.getTime() - DAY).toISOString() } : k)),
        { ...doc.keys[0]!, kid: 'old-key-000', status: 'previous' as const, retiredAt: new Date(clock.getTime() - secondsAgo * 1000).toISOString() }],
    });
    const keptDoc = (await scheduledRotation(previousAt(retention - 60), clock, policy)).doc;
    expect(keptDoc.keys.map((k) => k.kid)).toContain('old-key-000');
    const droppedDoc = (await scheduledRotation(previousAt(retention + 60), clock, policy)).doc;
    expect(droppedDoc.keys.map((k) => k.kid)).not.toContain('old-key-000');
  });

  it('stages a next key for a hand-made key set that has none, keeping the current one signing', async () => {
    const handMade = keySet();
    handMade.keys = handMade.keys.filter((k) => k.status === 'current');
    delete handMade.refreshTokenKeys;
    sm.create(KEYS, JSON.stringify(handMade));
    await rotate('token-2');
    const after = keySet();
    expect(kids(after, 'current')).toEqual(kids(handMade, 'current'));
    expect(kids(after, 'next')).toHaveLength(1);
    expect(after.refreshTokenKey).toBe(handMade.refreshTokenKey);
  });
});

describe('repeated and failed steps', () => {
  beforeEach(async () => {
    await rotate('token-1');
    clock = new Date(clock.getTime() + 30 * DAY);
  });

  it('createSecret repeated with the same ClientRequestToken keeps the first pending set', async () => {
    sm.stagePending(KEYS, 'token-2');
    const step = { Step: 'createSecret' as const, SecretId: KEYS, ClientRequestToken: 'token-2' };
    await runRotationStep(ctx, step);
    const pending = sm.current(KEYS, 'AWSPENDING');
    await runRotationStep(ctx, step);
    await runRotationStep(ctx, step);
    expect(sm.current(KEYS, 'AWSPENDING')).toBe(pending);
    expect(sm.calls.filter((c) => c === 'PutSecretValue')).toHaveLength(2 + 1); // token-1's two, then one
  });

  it('setSecret and finishSecret repeated are no-ops the second time', async () => {
    await rotate('token-2');
    const current = sm.current(KEYS);
    const published = sm.current(PUBLIC);
    await runRotationStep(ctx, { Step: 'setSecret', SecretId: KEYS, ClientRequestToken: 'token-2' });
    await runRotationStep(ctx, { Step: 'finishSecret', SecretId: KEYS, ClientRequestToken: 'token-2' });
    expect([sm.current(KEYS), sm.current(PUBLIC)]).toEqual([current, published]);
  });

  it('leaves AWSCURRENT alone when a step fails, and the retried step completes the rotation', async () => {
    const before = sm.current(KEYS);
    sm.stagePending(KEYS, 'token-2');
    const run = (Step: (typeof ROTATION_STEPS)[number]) => runRotationStep(ctx, { Step, SecretId: KEYS, ClientRequestToken: 'token-2' });
    await run('createSecret');
    sm.failNext('PutSecretValue');
    // The injected Secrets Manager failure itself, not some other error on the way.
    await expect(run('setSecret')).rejects.toMatchObject({ name: 'InternalServiceError' });
    // testSecret refuses while verifiers would not know the pending keys yet.
    await expect(run('testSecret')).rejects.toThrow(/does not publish/);
    expect(sm.current(KEYS)).toBe(before);
    await run('setSecret');
    await run('testSecret');
    sm.failNext('UpdateSecretVersionStage');
    await expect(run('finishSecret')).rejects.toMatchObject({ name: 'InternalServiceError' });
    expect(sm.current(KEYS)).toBe(before);
    await run('finishSecret');
    expect(sm.current(KEYS)).toBe(sm.current(KEYS, 'AWSCURRENT'));
    expect(sm.current(KEYS)).not.toBe(before);
    expect(sm.current(KEYS, 'AWSPREVIOUS')).toBe(before);
  });

  it('testSecret refuses a pending set that drops a key live tokens were signed with', async () => {
    sm.stagePending(KEYS, 'token-2');
    const doc = keySet();
    const current = doc.keys.find((k) => k.status === 'current')!;
    const broken = { ...doc, keys: doc.keys.filter((k) => k !== current).map((k) => (k.status === 'next' ? { ...k, status: 'current' as const } : k)) };
    await sm.client.send(
      new (await import('@aws-sdk/client-secrets-manager')).PutSecretValueCommand({
        SecretId: KEYS,
        ClientRequestToken: 'token-2',
        SecretString: JSON.stringify(broken),
        VersionStages: ['AWSPENDING'],
      }),
    );
    await runRotationStep(ctx, { Step: 'setSecret', SecretId: KEYS, ClientRequestToken: 'token-2' });
    await expect(runRotationStep(ctx, { Step: 'testSecret', SecretId: KEYS, ClientRequestToken: 'token-2' })).rejects.toThrow(
      new RegExp(`drops keys live tokens need: ${current.kid}`),
    );
  });

  it('testSecret refuses a pending set that drops a data key secrets may be sealed under, even in an emergency', async () => {
    sm.stagePending(KEYS, 'token-2');
    const doc = keySet();
    const broken = { ...doc, dataKeys: (doc.dataKeys ?? []).filter((k) => k.status !== 'current').map((k) => ({ ...k, status: 'current' as const })) };
    await sm.client.send(
      new (await import('@aws-sdk/client-secrets-manager')).PutSecretValueCommand({
        SecretId: KEYS,
        ClientRequestToken: 'token-2',
        SecretString: JSON.stringify(broken),
        VersionStages: ['AWSPENDING'],
      }),
    );
    await runRotationStep(ctx, { Step: 'setSecret', SecretId: KEYS, ClientRequestToken: 'token-2' });
    await expect(runRotationStep({ ...ctx, mode: 'emergency' }, { Step: 'testSecret', SecretId: KEYS, ClientRequestToken: 'token-2' })).rejects.toThrow(
      /drops 1 data key/,
    );
  });

  it('refuses a token that is not staged AWSPENDING, and a secret without rotation enabled', async () => {
    await expect(runRotationStep(ctx, { Step: 'createSecret', SecretId: KEYS, ClientRequestToken: 'never-staged' })).rejects.toThrow(/not staged/);
    sm.create('other', '{}', { rotationEnabled: false });
    sm.stagePending('other', 't');
    await expect(runRotationStep(ctx, { Step: 'createSecret', SecretId: 'other', ClientRequestToken: 't' })).rejects.toThrow(/not enabled/);
  });

  it('refuses to overwrite a key set it cannot read, rather than replacing live keys', async () => {
    sm.create(KEYS, '{"keys": "damaged"}');
    sm.stagePending(KEYS, 'token-2');
    await expect(runRotationStep(ctx, { Step: 'createSecret', SecretId: KEYS, ClientRequestToken: 'token-2' })).rejects.toMatchObject({ name: 'ConfigurationError' });
    expect(sm.current(KEYS)).toBe('{"keys": "damaged"}');
  });
});

describe('emergency rotation (a leaked key)', () => {
  it('replaces every signing and refresh-token key at once and unpublishes the leaked ones', async () => {
    await rotate('token-1');
    clock = new Date(clock.getTime() + 30 * DAY);
    await rotate('token-2');
    const leaked = keySet();
    clock = new Date(clock.getTime() + 60_000);
    await rotateNow({ ...ctx, mode: 'emergency', outsideRotation: true }, KEYS, 'emergency-1');
    const after = keySet();
    const leakedKids = leaked.keys.map((k) => k.kid);
    expect(after.keys.map((k) => k.kid).filter((kid) => leakedKids.includes(kid))).toEqual([]);
    expect(kids(after, 'current')).toHaveLength(1);
    expect(kids(after, 'next')).toHaveLength(1);
    const leakedHmac = [leaked.refreshTokenKey, ...(leaked.refreshTokenKeys ?? []).map((k) => k.key)];
    expect([after.refreshTokenKey, ...(after.refreshTokenKeys ?? []).map((k) => k.key)].filter((k) => leakedHmac.includes(k))).toEqual([]);
    expect(publishedKids()).toEqual(after.keys.map((k) => k.kid).sort());
    // Run by hand, the steps leave no AWSPENDING label for the next scheduled rotation to trip on.
    expect(sm.current(KEYS, 'AWSPENDING')).toBeUndefined();
  });
});

describe('the key store over a rotated key set', () => {
  const sourceOf = (raw: string) => ({ description: 'test', load: async () => raw });

  it('signs with the current key only and publishes next and previous keys, current first', async () => {
    await rotate('token-1');
    clock = new Date(clock.getTime() + 30 * DAY);
    await rotate('token-2');
    const doc = keySet();
    const store = new KeyStore(sourceOf(sm.current(KEYS)!), { alg: 'ES256', clock: () => clock });
    expect((await store.signingKey()).kid).toBe(kids(doc, 'current')[0]);
    expect((await store.publicJwks()).map((k) => k.kid)).toEqual([...kids(doc, 'current'), ...kids(doc, 'next'), ...kids(doc, 'previous')]);
    const verifier = new KeyStore(sourceOf(sm.current(PUBLIC)!), { alg: 'ES256', publicOnly: true, clock: () => clock });
    expect((await verifier.publicJwks()).map((k) => k.kid)).toEqual([...kids(doc, 'current'), ...kids(doc, 'next'), ...kids(doc, 'previous')]);
    expect((await store.refreshKeys()).map((b) => b.toString('base64url'))).toEqual([
      doc.refreshTokenKey,
      ...(doc.refreshTokenKeys ?? []).filter((k) => k.status === 'next').map((k) => k.key),
      ...(doc.refreshTokenKeys ?? []).filter((k) => k.status === 'previous').map((k) => k.key),
    ]);
  });

  it('stops verifying and publishing a previous key once its retention has passed, before any rotation', async () => {
    await rotate('token-1');
    clock = new Date(clock.getTime() + 30 * DAY);
    await rotate('token-2');
    const [retired] = kids(keySet(), 'previous');
    const retentionMs = previousKeyRetentionSeconds(900) * 1000;
    const at = (ms: number) => new KeyStore(sourceOf(sm.current(PUBLIC)!), { alg: 'ES256', publicOnly: true, previousKeyRetentionMs: retentionMs, clock: () => new Date(clock.getTime() + ms) });
    expect(await at(retentionMs - 1000).verificationKey(retired!)).toBeDefined();
    expect(await at(retentionMs + 1000).verificationKey(retired!)).toBeUndefined();
    expect((await at(retentionMs + 1000).publicJwks()).map((k) => k.kid)).not.toContain(retired);
  });
});
