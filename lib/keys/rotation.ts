/**
 * Key set rotation as pure functions of (key set, time): what the next version of the secret
 * holds. The Secrets Manager steps (rotation-steps.ts) and the CLI only store what these return.
 *
 * Scheduled rotation, one stage per run:
 *   - no `next` key yet (a new or older key set): add one, sign on with the current key;
 *   - a `next` key published for at least NEXT_KEY_LEAD_SECONDS: it becomes `current`, the current
 *     key becomes `previous` (with `retiredAt`), and a fresh `next` key is published;
 *   - a `next` key published more recently: refuse, because verifiers may not have it yet.
 *   Every run drops `previous` keys whose tokens have all expired. The refresh-token HMAC key
 *   and the data-encryption key move through the same three states, so every warm container
 *   knows a key before it is used. Previous data keys are never dropped (see lib/keys/key-set.ts):
 *   what they sealed stays in the database until it is used again and re-sealed.
 *
 * Emergency rotation (a leaked secret): every signing and HMAC key of the set is replaced at
 * once. Tokens signed with the old keys stop verifying, refreshes in their grace window are
 * treated as replays; both are the point when the keys may be in someone else's hands. The data
 * keys get a new current key too, but the old ones stay as `previous`: dropping them would not
 * take back what a leak exposed (whoever holds the key and a copy of the table has the secrets
 * already), it would only make every user's authenticator unusable. Secrets re-seal under the
 * new key as they are used.
 */
import { randomBytes } from 'node:crypto';
import type { SigningAlg } from '../config';
import { generateSigningKey } from './generate';
import type { DataKeyEntry, KeySetDocument, RefreshKeyEntry, StoredKey } from './key-set';
import { NEXT_KEY_LEAD_SECONDS, previousKeyRetentionSeconds, previousRefreshKeyRetentionSeconds } from './rotation-policy';

export interface RotationPolicy {
  alg: SigningAlg;
  accessTokenTtlSeconds: number;
  refreshReuseGraceSeconds: number;
}

export class RotationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationRefused';
  }
}

export type RotationOutcome = 'bootstrapped' | 'staged' | 'promoted' | 'emergency';

const newHmacKey = () => randomBytes(32).toString('base64url');
const secondsSince = (iso: string | undefined, now: Date) =>
  iso === undefined ? Number.POSITIVE_INFINITY : (now.getTime() - Date.parse(iso)) / 1000;

/** A first key set: a current key and a published next one, for both signing and refresh HMAC. */
export async function bootstrapKeySet(alg: SigningAlg, now: Date): Promise<KeySetDocument> {
  const at = now.toISOString();
  const current = { ...(await generateSigningKey(alg, 'current')), createdAt: at, activatedAt: at };
  const next = { ...(await generateSigningKey(alg, 'next')), createdAt: at };
  return {
    refreshTokenKey: newHmacKey(),
    refreshTokenKeys: [{ status: 'next', key: newHmacKey(), createdAt: at }],
    dataKeys: newDataKeyLineage(at),
    keys: [current, next],
  };
}

/** A current data key and a published next one. */
function newDataKeyLineage(at: string): DataKeyEntry[] {
  return [
    { status: 'current', key: newHmacKey(), createdAt: at, activatedAt: at },
    { status: 'next', key: newHmacKey(), createdAt: at },
  ];
}

/**
 * The data keys after a scheduled rotation. A set without any gets a current and a next key (no
 * container can have sealed anything yet). Otherwise, on promotion, the next key becomes current
 * and the current one previous (kept, whatever its age); a set with no next key gets one.
 */
function rotatedDataKeys(entries: DataKeyEntry[] | undefined, at: string, promote: boolean): DataKeyEntry[] {
  const list = entries ?? [];
  if (!list.some((k) => k.status === 'current')) return [...list, ...newDataKeyLineage(at)];
  const next = list.find((k) => k.status === 'next');
  if (!next) return [...list, { status: 'next', key: newHmacKey(), createdAt: at }];
  if (!promote) return list;
  return [
    ...list.map((k): DataKeyEntry => {
      if (k.status === 'current') return { ...k, status: 'previous', retiredAt: at };
      if (k === next) return { ...k, status: 'current', activatedAt: at };
      return k;
    }),
    { status: 'next', key: newHmacKey(), createdAt: at },
  ];
}

function withHmacNext(entries: RefreshKeyEntry[] | undefined, at: string): RefreshKeyEntry[] {
  const list = entries ?? [];
  return list.some((k) => k.status === 'next') ? list : [...list, { status: 'next', key: newHmacKey(), createdAt: at }];
}

/** Drops previous keys (signing and HMAC) that nothing live can need any more. */
function pruned(doc: KeySetDocument, now: Date, policy: RotationPolicy): KeySetDocument {
  const keyRetention = previousKeyRetentionSeconds(policy.accessTokenTtlSeconds);
  const hmacRetention = previousRefreshKeyRetentionSeconds(policy.refreshReuseGraceSeconds);
  const at = now.toISOString();
  return {
    ...doc,
    // A previous key without retiredAt (written by hand or an older version) is dated now, so it
    // gets a full retention period rather than being dropped blind.
    keys: doc.keys
      .map((k) => (k.status === 'previous' && !k.retiredAt ? { ...k, retiredAt: at } : k))
      .filter((k) => k.status !== 'previous' || secondsSince(k.retiredAt, now) < keyRetention),
    refreshTokenKeys: (doc.refreshTokenKeys ?? [])
      .map((k) => (k.status === 'previous' && !k.retiredAt ? { ...k, retiredAt: at } : k))
      .filter((k) => k.status !== 'previous' || secondsSince(k.retiredAt, now) < hmacRetention),
  };
}

export async function scheduledRotation(
  input: KeySetDocument,
  now: Date,
  policy: RotationPolicy,
): Promise<{ doc: KeySetDocument; outcome: RotationOutcome }> {
  const doc = pruned(input, now, policy);
  const at = now.toISOString();
  const current = doc.keys.find((k) => k.status === 'current' && k.alg === policy.alg);
  const next = doc.keys.find((k) => k.status === 'next' && k.alg === policy.alg);
  const hmacNext = doc.refreshTokenKeys?.find((k) => k.status === 'next');

  if (!current) throw new RotationRefused(`the key set has no current ${policy.alg} key to sign with`);
  if (!next) {
    // Stage only: publish a next key (and HMAC key) now; the following rotation promotes them.
    const keys: StoredKey[] = [...doc.keys, { ...(await generateSigningKey(policy.alg, 'next')), createdAt: at }];
    return {
      doc: { ...doc, keys, refreshTokenKeys: withHmacNext(doc.refreshTokenKeys, at), dataKeys: rotatedDataKeys(doc.dataKeys, at, false) },
      outcome: 'staged',
    };
  }

  const published = secondsSince(next.createdAt, now);
  if (!(published >= NEXT_KEY_LEAD_SECONDS)) {
    throw new RotationRefused(
      `next key ${next.kid} was published ${Math.floor(published)} s ago; it may sign only after ` +
        `${NEXT_KEY_LEAD_SECONDS} s, when every verifier's cached JWKS has it. ` +
        'For a leaked key use the emergency rotation.',
    );
  }

  const keys: StoredKey[] = doc.keys.map((k) => {
    if (k === current) return { ...k, status: 'previous', retiredAt: at };
    if (k === next) return { ...k, status: 'current', activatedAt: at };
    return k;
  });
  keys.push({ ...(await generateSigningKey(policy.alg, 'next')), createdAt: at });

  if (!hmacNext) {
    // No HMAC key was staged (a hand-edited set): keep the current one and stage a next one, as a
    // key no container has loaded yet would break grace retries across containers.
    return {
      doc: { ...doc, keys, refreshTokenKeys: withHmacNext(doc.refreshTokenKeys, at), dataKeys: rotatedDataKeys(doc.dataKeys, at, true) },
      outcome: 'promoted',
    };
  }
  // The HMAC key follows the same path: its next key was loaded by every container long ago.
  const refreshTokenKeys: RefreshKeyEntry[] = [
    ...(doc.refreshTokenKeys ?? []).filter((k) => k !== hmacNext),
    { status: 'previous', key: doc.refreshTokenKey, retiredAt: at },
    { status: 'next', key: newHmacKey(), createdAt: at },
  ];
  return { doc: { refreshTokenKey: hmacNext.key, refreshTokenKeys, dataKeys: rotatedDataKeys(doc.dataKeys, at, true), keys }, outcome: 'promoted' };
}

/** `doc` with a data-key lineage when it has none (a set written before they existed); otherwise `doc`. */
export function withDataKeys(doc: KeySetDocument, now: Date): KeySetDocument {
  return doc.dataKeys?.length ? doc : { ...doc, dataKeys: newDataKeyLineage(now.toISOString()) };
}

/**
 * Replaces every signing and HMAC key at once; keys of other algorithms go too, they were in the
 * same secret. The data keys of `leaked` stay, as `previous` (a `next` one never sealed anything
 * and goes), beside a new current and next data key: see the module comment.
 */
export async function emergencyRotation(alg: SigningAlg, now: Date, leaked?: KeySetDocument): Promise<KeySetDocument> {
  const fresh = await bootstrapKeySet(alg, now);
  const at = now.toISOString();
  const kept = (leaked?.dataKeys ?? [])
    .filter((k) => k.status !== 'next')
    .map((k): DataKeyEntry => (k.status === 'previous' ? k : { ...k, status: 'previous', retiredAt: at }));
  return { ...fresh, dataKeys: [...kept, ...(fresh.dataKeys ?? [])] };
}
