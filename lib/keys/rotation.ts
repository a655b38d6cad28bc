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
 *   moves through the same three states, so every warm container knows a key before it is used.
 *
 * Emergency rotation (a leaked secret): every signing and HMAC key of the set is replaced at
 * once. Tokens signed with the old keys stop verifying, refreshes in their grace window are
 * treated as replays; both are the point when the keys may be in someone else's hands.
 */
import { randomBytes } from 'node:crypto';
import type { SigningAlg } from '../config';
import { generateSigningKey } from './generate';
import type { KeySetDocument, RefreshKeyEntry, StoredKey } from './key-set';
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
    keys: [current, next],
  };
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
    return { doc: { ...doc, keys, refreshTokenKeys: withHmacNext(doc.refreshTokenKeys, at) }, outcome: 'staged' };
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
    return { doc: { ...doc, keys, refreshTokenKeys: withHmacNext(doc.refreshTokenKeys, at) }, outcome: 'promoted' };
  }
  // The HMAC key follows the same path: its next key was loaded by every container long ago.
  const refreshTokenKeys: RefreshKeyEntry[] = [
    ...(doc.refreshTokenKeys ?? []).filter((k) => k !== hmacNext),
    { status: 'previous', key: doc.refreshTokenKey, retiredAt: at },
    { status: 'next', key: newHmacKey(), createdAt: at },
  ];
  return { doc: { refreshTokenKey: hmacNext.key, refreshTokenKeys, keys }, outcome: 'promoted' };
}

/**
 * Replaces every key at once. Keys of other algorithms go too: they were in the same secret.
 */
export async function emergencyRotation(alg: SigningAlg, now: Date): Promise<KeySetDocument> {
  return bootstrapKeySet(alg, now);
}
