/**
 * The TOTP secret box on a real KeyStore whose key set is rotated by the real rotation functions:
 * what a warm container sees before and after scheduled and emergency rotations.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KeySetDocument } from '../../lib/keys/key-set';
import { KeyStore } from '../../lib/keys/key-store';
import { bootstrapKeySet, emergencyRotation, scheduledRotation, withDataKeys } from '../../lib/keys/rotation';
import { NEXT_KEY_LEAD_SECONDS } from '../../lib/keys/rotation-policy';
import type { KeySource } from '../../lib/keys/sources';
import { SealedSecretUnreadable, SecretBox, sealedKeyId, totpSecretBox, type SealContext } from '../../lib/mfa/secret-box';

const policy = { alg: 'ES256' as const, accessTokenTtlSeconds: 900, refreshReuseGraceSeconds: 10 };

/** A key set held in memory, swapped by the test; the store reloads on `clear()`. */
async function rotatingKeys(start: Date) {
  let doc: KeySetDocument = await bootstrapKeySet(policy.alg, start);
  const source: KeySource = { description: 'memory', load: async () => JSON.stringify(doc) };
  const store = new KeyStore(source, { alg: policy.alg });
  return {
    store,
    box: totpSecretBox(store),
    get doc() {
      return doc;
    },
    async rotate(at: Date) {
      doc = (await scheduledRotation(doc, at, policy)).doc;
      store.clear();
    },
    dropPreviousDataKeys() {
      doc = { ...doc, dataKeys: doc.dataKeys?.filter((k) => k.status !== 'previous') };
      store.clear();
    },
    async emergency(at: Date) {
      doc = await emergencyRotation(policy.alg, at, doc);
      store.clear();
    },
  };
}

const currentDataKey = (doc: KeySetDocument) => doc.dataKeys!.find((k) => k.status === 'current')!.key;

const context = (): SealContext => ({ userId: randomUUID(), factorId: randomUUID() });
const secret = () => randomBytes(20);

async function unreadable(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SealedSecretUnreadable);
  return (err as SealedSecretUnreadable).reason;
}

/** Flips one bit of the decoded part `index` (1 key id, 2 IV, 3 ciphertext + tag) of a sealed secret. */
function flipBit(sealed: string, index: number, byte = 0): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[byte] = bytes[byte]! ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SecretBox', () => {
  it('opens what it sealed, for the same user and factor', async () => {
    const { box } = await rotatingKeys(new Date('2026-01-01T00:00:00Z'));
    const ctx = context();
    const plaintext = secret();
    const sealed = await box.seal(plaintext, ctx);
    expect(sealed).toMatch(/^v1\.[\w-]{12}\.[\w-]{16}\.[\w-]+$/);
    expect(sealed).not.toContain(plaintext.toString('base64url'));
    expect(await box.open(sealed, ctx)).toEqual({ plaintext, stale: false });
  });

  it('uses a fresh IV every time: sealing the same secret twice gives different ciphertexts', async () => {
    const { box } = await rotatingKeys(new Date('2026-01-01T00:00:00Z'));
    const ctx = context();
    const plaintext = secret();
    const a = await box.seal(plaintext, ctx);
    const b = await box.seal(plaintext, ctx);
    expect(a).not.toBe(b);
  });

  it('refuses a tampered ciphertext, tag, IV or key id (attack: editing the stored secret)', async () => {
    const { box } = await rotatingKeys(new Date('2026-01-01T00:00:00Z'));
    const ctx = context();
    const sealed = await box.seal(secret(), ctx);
    const bodyLength = Buffer.from(sealed.split('.')[3]!, 'base64url').length;
    expect(await unreadable(box.open(flipBit(sealed, 3, 0), ctx))).toBe('forged');
    expect(await unreadable(box.open(flipBit(sealed, 3, bodyLength - 1), ctx))).toBe('forged');
    expect(await unreadable(box.open(flipBit(sealed, 2), ctx))).toBe('forged');
    expect(await unreadable(box.open(flipBit(sealed, 1), ctx))).toBe('unknown_key');
    for (const broken of ['', 'v1', sealed.replace(/^v1/, 'v2'), `${sealed}.x`, sealed.slice(0, sealed.lastIndexOf('.')) + '.AAAA']) {
      expect(await unreadable(box.open(broken, ctx))).toBe('malformed');
    }
  });

  it("refuses a ciphertext moved to another factor or another user (attack: copying one user's secret onto another factor)", async () => {
    const { box } = await rotatingKeys(new Date('2026-01-01T00:00:00Z'));
    const ctx = context();
    const sealed = await box.seal(secret(), ctx);
    expect(await unreadable(box.open(sealed, { ...ctx, factorId: randomUUID() }))).toBe('forged');
    expect(await unreadable(box.open(sealed, { ...ctx, userId: randomUUID() }))).toBe('forged');
  });

  it('refuses a ciphertext sealed for another purpose with the same keys', async () => {
    const keys = await rotatingKeys(new Date('2026-01-01T00:00:00Z'));
    const other = new SecretBox(() => keys.store.dataKeys(), 'passkey');
    const ctx = context();
    expect(await unreadable(keys.box.open(await other.seal(secret(), ctx), ctx))).toBe('forged');
  });

  it('opens an old ciphertext after a scheduled rotation, with its key as previous, and says it is stale', async () => {
    const start = new Date('2026-01-01T00:00:00Z');
    const keys = await rotatingKeys(start);
    const ctx = context();
    const plaintext = secret();
    const sealed = await keys.box.seal(plaintext, ctx);
    const oldCurrent = currentDataKey(keys.doc);

    await keys.rotate(new Date(start.getTime() + (NEXT_KEY_LEAD_SECONDS + 1) * 1000));
    expect(currentDataKey(keys.doc)).not.toBe(oldCurrent);
    expect(keys.doc.dataKeys?.find((k) => k.status === 'previous')?.key).toBe(oldCurrent);

    expect(await keys.box.open(sealed, ctx)).toEqual({ plaintext, stale: true });
    const resealed = await keys.box.seal(plaintext, ctx);
    expect(sealedKeyId(resealed)).not.toBe(sealedKeyId(sealed));
    expect(await keys.box.open(resealed, ctx)).toEqual({ plaintext, stale: false });
  });

  it('opens a ciphertext sealed under the next key (a container that loaded the rotated set first)', async () => {
    const start = new Date('2026-01-01T00:00:00Z');
    const keys = await rotatingKeys(start);
    const nextKey = Buffer.from(keys.doc.dataKeys!.find((k) => k.status === 'next')!.key, 'base64url');
    const ahead = new SecretBox(async () => [nextKey], 'totp');
    const ctx = context();
    const plaintext = secret();
    expect((await keys.box.open(await ahead.seal(plaintext, ctx), ctx)).plaintext).toEqual(plaintext);
  });

  it('opens a secret sealed before a scheduled rotation, an emergency rotation and a year of scheduled ones', async () => {
    const start = new Date('2026-01-01T00:00:00Z');
    const keys = await rotatingKeys(start);
    const ctx = context();
    const plaintext = secret();
    const sealed = await keys.box.seal(plaintext, ctx);
    const day = 86_400_000;
    await keys.rotate(new Date(start.getTime() + (NEXT_KEY_LEAD_SECONDS + 1) * 1000));
    await keys.emergency(new Date(start.getTime() + day));
    // Monthly scheduled rotations, each far past the signing and HMAC keys' retention.
    for (let month = 1; month <= 12; month += 1) await keys.rotate(new Date(start.getTime() + month * 30 * day));
    expect(keys.doc.refreshTokenKeys?.length).toBeLessThanOrEqual(3);
    expect(await keys.box.open(sealed, ctx)).toEqual({ plaintext, stale: true });
  });

  it('seals under a new data key after an emergency rotation (the leaked one only opens)', async () => {
    const start = new Date('2026-01-01T00:00:00Z');
    const keys = await rotatingKeys(start);
    const ctx = context();
    const before = await keys.box.seal(secret(), ctx);
    const leaked = currentDataKey(keys.doc);
    await keys.emergency(new Date(start.getTime() + 1000));
    expect(currentDataKey(keys.doc)).not.toBe(leaked);
    expect(keys.doc.dataKeys?.find((k) => k.key === leaked)?.status).toBe('previous');
    expect(sealedKeyId(await keys.box.seal(secret(), ctx))).not.toBe(sealedKeyId(before));
  });

  it('cannot open a ciphertext once its data key was removed from the set by hand', async () => {
    const start = new Date('2026-01-01T00:00:00Z');
    const keys = await rotatingKeys(start);
    const ctx = context();
    const sealed = await keys.box.seal(secret(), ctx);
    await keys.rotate(new Date(start.getTime() + (NEXT_KEY_LEAD_SECONDS + 1) * 1000));
    keys.dropPreviousDataKeys();
    expect(await unreadable(keys.box.open(sealed, ctx))).toBe('unknown_key');
  });

  it('opens a ciphertext sealed by a container that loaded a newer set (reloads once on an unknown key)', async () => {
    const start = new Date('2026-01-01T00:00:00Z');
    let doc: KeySetDocument = await bootstrapKeySet(policy.alg, start);
    const source: KeySource = { description: 'memory', load: async () => JSON.stringify(doc) };
    const stale = totpSecretBox(new KeyStore(source, { alg: policy.alg }));
    const ctx = context();
    await stale.seal(secret(), ctx); // loads the set
    doc = await emergencyRotation(policy.alg, new Date(start.getTime() + 1000), doc);
    const plaintext = secret();
    const sealed = await totpSecretBox(new KeyStore(source, { alg: policy.alg })).seal(plaintext, ctx);
    expect((await stale.open(sealed, ctx)).plaintext).toEqual(plaintext);
  });

  it('names the key by an id that is not the key, nor a prefix of its encodings', async () => {
    const keys = await rotatingKeys(new Date('2026-01-01T00:00:00Z'));
    const id = sealedKeyId(await keys.box.seal(secret(), context()));
    const raw = Buffer.from(currentDataKey(keys.doc), 'base64url');
    expect(id).toBeDefined();
    expect(currentDataKey(keys.doc).startsWith(id!)).toBe(false);
    expect(raw.toString('hex').includes(Buffer.from(id!, 'base64url').toString('hex'))).toBe(false);
  });
});

describe('a key set written before data keys existed', () => {
  it('gets a current and a next data key from its next scheduled rotation, and the local stack adds them in place', async () => {
    const start = new Date('2026-01-01T00:00:00Z');
    const { dataKeys: _dropped, ...old } = await bootstrapKeySet(policy.alg, start);
    const staged = (await scheduledRotation(old, new Date(start.getTime() + (NEXT_KEY_LEAD_SECONDS + 1) * 1000), policy)).doc;
    expect(staged.dataKeys?.map((k) => k.status).sort()).toEqual(['current', 'next']);
    expect(withDataKeys(old, start).dataKeys?.map((k) => k.status).sort()).toEqual(['current', 'next']);
    const store = new KeyStore({ description: 'memory', load: async () => JSON.stringify(old) }, { alg: policy.alg });
    await expect(store.dataKeys()).rejects.toMatchObject({ code: 'service_unavailable' });
  });
});
