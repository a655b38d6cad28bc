/**
 * Encryption at rest of second-factor secrets (a TOTP secret must be readable by the service, so
 * it cannot be hashed): AES-256-GCM from node:crypto, with a key derived from a key of the
 * signing key set.
 *
 * Sealed form (one string, stored beside the factor):
 *
 *   v1.<keyId>.<iv>.<ciphertext + 16-byte tag>      (base64url parts)
 *
 * - Keys: each data-encryption key of the key set (`dataKeys`, current first; see
 *   lib/keys/key-set.ts) yields an AES key by HKDF-SHA256 with a fixed salt and info label of its
 *   own. `keyId` is a second HKDF output (72 bits), which names the key without revealing
 *   anything about it. Sealing uses the current key; opening finds the key by id among all keys
 *   of the set (reloading the set once when the id is unknown: another container may have loaded
 *   a newer set first).
 * - Associated data: the format version, the key id, the purpose and the owner (user id and
 *   factor id). A ciphertext copied onto another factor or another user, or re-labelled with
 *   another key id, fails authentication instead of decrypting.
 * - A fresh random 96-bit IV per seal. With a few seals per user over a key's lifetime this stays
 *   far below the 2^32 seals per key that random GCM IVs allow.
 *
 * Rotation: a ciphertext stays readable while its key is in the set. Data keys have a lineage of
 * their own whose previous keys no rotation drops, scheduled or emergency (the signing and HMAC
 * keys, dropped minutes after they retire, would take every sealed secret with them).
 * {@link SecretBox.open} reports `stale: true` for a ciphertext sealed under a key that is no
 * longer current; the caller re-seals it and stores the new ciphertext (conditionally on the old
 * one, see FactorsRepository) on use. A key removed from the set by hand makes every ciphertext
 * still sealed under it unreadable ({@link SealedSecretUnreadable} `unknown_key`): that factor
 * cannot be used, and the user signs in with a recovery code and enrols again.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Every key of the set, current first (KeyStore.dataKeys() has this shape); `reload` asks for a
 * fresh copy of the set when a ciphertext names a key the loaded one lacks.
 */
export type KeyRing = (options?: { reload?: boolean }) => Promise<readonly Buffer[]>;

/** Who a sealed secret belongs to; bound into the ciphertext as associated data. */
export interface SealContext {
  userId: string;
  factorId: string;
}

export interface Opened {
  plaintext: Buffer;
  /** Sealed under a key that is no longer current: seal again and store the new form. */
  stale: boolean;
}

export type UnreadableReason = 'malformed' | 'unknown_key' | 'forged';

/** The sealed secret cannot be opened; `reason` says why (never any key or plaintext material). */
export class SealedSecretUnreadable extends Error {
  constructor(readonly reason: UnreadableReason) {
    super(`sealed secret unreadable: ${reason}`);
    this.name = 'SealedSecretUnreadable';
  }
}

const VERSION = 'v1';
const SALT = Buffer.from('lambda-jwt-auth secret box', 'utf8');
const ENCRYPTION_INFO = Buffer.from('aes-256-gcm key v1', 'utf8');
const KEY_ID_INFO = Buffer.from('key id v1', 'utf8');
const KEY_ID_BYTES = 9;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PART = /^[A-Za-z0-9_-]+$/;

interface DerivedKey {
  id: string;
  key: Buffer;
}

/** Derivations are cached per key buffer: the key store hands out the same buffers until it reloads. */
const derivedCache = new WeakMap<Buffer, DerivedKey>();

function derive(ikm: Buffer): DerivedKey {
  let derived = derivedCache.get(ikm);
  if (!derived) {
    derived = {
      id: Buffer.from(hkdfSync('sha256', ikm, SALT, KEY_ID_INFO, KEY_ID_BYTES)).toString('base64url'),
      key: Buffer.from(hkdfSync('sha256', ikm, SALT, ENCRYPTION_INFO, 32)),
    };
    derivedCache.set(ikm, derived);
  }
  return derived;
}

function associatedData(keyId: string, purpose: string, context: SealContext): Buffer {
  // JSON of an array: an unambiguous encoding whatever characters the ids hold.
  return Buffer.from(JSON.stringify([VERSION, keyId, purpose, context.userId, context.factorId]), 'utf8');
}

/** The id of the key a sealed secret names, or undefined if it is not a sealed secret. */
export function sealedKeyId(sealed: string): string | undefined {
  const parts = sealed.split('.');
  return parts.length === 4 && parts[0] === VERSION && PART.test(parts[1] ?? '') ? parts[1] : undefined;
}

export class SecretBox {
  /**
   * @param ring the keys of the set, current first.
   * @param purpose a label bound into every ciphertext, so secrets sealed for one use cannot be
   *   opened as another (a TOTP secret is `totp`).
   */
  constructor(
    private readonly ring: KeyRing,
    private readonly purpose: string,
  ) {}

  /** Encrypts under the current key. */
  async seal(plaintext: Buffer, context: SealContext): Promise<string> {
    const keys = await this.ring();
    const current = keys[0];
    if (!current) throw new Error('the key ring is empty');
    const { id, key } = derive(current);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(id, this.purpose, context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, id, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Decrypts, or throws {@link SealedSecretUnreadable}. */
  async open(sealed: string, context: SealContext): Promise<Opened> {
    const parts = sealed.split('.');
    const [version, keyId, ivText, bodyText] = parts;
    if (parts.length !== 4 || version !== VERSION || !keyId || !ivText || !bodyText || ![keyId, ivText, bodyText].every((p) => PART.test(p))) {
      throw new SealedSecretUnreadable('malformed');
    }
    const iv = Buffer.from(ivText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SealedSecretUnreadable('malformed');
    let keys = await this.ring();
    let index = keys.findIndex((k) => derive(k).id === keyId);
    if (index < 0) {
      keys = await this.ring({ reload: true });
      index = keys.findIndex((k) => derive(k).id === keyId);
    }
    const ikm = keys[index];
    if (!ikm) throw new SealedSecretUnreadable('unknown_key');
    const decipher = createDecipheriv('aes-256-gcm', derive(ikm).key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(keyId, this.purpose, context));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      const plaintext = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
      return { plaintext, stale: index !== 0 };
    } catch {
      throw new SealedSecretUnreadable('forged');
    }
  }
}

/** The box for TOTP secrets, on the data-encryption keys of a key store (current first). */
export function totpSecretBox(keys: { dataKeys(options?: { reload?: boolean }): Promise<Buffer[]> }): SecretBox {
  return new SecretBox((options) => keys.dataKeys(options), 'totp');
}
