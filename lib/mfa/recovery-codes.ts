/**
 * Recovery codes: 10 single-use codes that stand in for the second factor when the authenticator
 * is lost. Shown once when issued; only salted hashes are stored.
 *
 * - Format `xxxx-xxxx-xxxx`: 12 characters of Crockford's base32 (digits and lower-case letters
 *   without i, l, o, u), 60 random bits per code. Typed back, input is forgiving: case, dashes
 *   and spaces do not matter, and `o`, `i`, `l` are read as `0`, `1`, `1`.
 * - Stored: SHA-256 over a random 128-bit salt of the set and the normalised code. Not bcrypt:
 *   a slow salted hash is for low-entropy secrets, and these are 60 random bits. The hash must
 *   also be deterministic given the stored salt, because the single-use rule is a DynamoDB
 *   condition that names the hash being removed (`contains(recoveryCodes, :hash)`); with bcrypt
 *   the service would have to bcrypt the input against each of the 10 hashes (about a second of
 *   CPU per attempt) and could not name the matched one in the condition without that work.
 *   Someone holding a copy of the table has to search 2^60 codes per user (the salt stops one
 *   search from serving every user), and even a found code is only a second factor: the
 *   password is still needed.
 * - No key of the key set is involved (an HMAC would need one): no change to the key set can take
 *   the recovery codes with it, since they are how users get back in when a sealed TOTP secret
 *   becomes unreadable (its data key removed from the set by hand).
 */
import { createHash, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const GROUPS = 3;
const GROUP_LENGTH = 4;
const CODE_LENGTH = GROUPS * GROUP_LENGTH;
const SALT_BYTES = 16;
const NORMALISED = new RegExp(`^[${ALPHABET}]{${CODE_LENGTH}}$`);
/** Crockford's decoding of the letters it leaves out: they are read as the digits they resemble. */
const LOOK_ALIKES: Record<string, string> = { o: '0', i: '1', l: '1' };

/** What is stored of a set: its salt and the hashes of its unused codes. */
export interface RecoveryCodeSet {
  /** base64url, 16 random bytes, new for every set. */
  salt: string;
  /** base64url SHA-256 of each code. */
  hashes: string[];
}

export interface IssuedRecoveryCodes {
  /** Shown to the user once, never stored. */
  codes: string[];
  set: RecoveryCodeSet;
}

function randomCode(): string {
  // 256 is a multiple of 32: masking a random byte to 5 bits gives every character equal odds.
  const bytes = randomBytes(CODE_LENGTH);
  let plain = '';
  for (const byte of bytes) plain += ALPHABET[byte & 31];
  return plain;
}

function formatted(plain: string): string {
  const groups: string[] = [];
  for (let i = 0; i < CODE_LENGTH; i += GROUP_LENGTH) groups.push(plain.slice(i, i + GROUP_LENGTH));
  return groups.join('-');
}

/**
 * A code as typed, in its canonical form (12 lower-case characters), or undefined when it cannot
 * be one of ours (answer `invalid_code` without reading anything).
 */
export function normaliseRecoveryCode(input: string): string | undefined {
  if (input.length > 64) return undefined;
  const plain = input
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/[oil]/g, (c) => LOOK_ALIKES[c] ?? c);
  return NORMALISED.test(plain) ? plain : undefined;
}

/** The stored hash of a normalised code in the set with this salt. */
export function hashRecoveryCode(salt: string, normalised: string): string {
  return createHash('sha256').update(Buffer.from(salt, 'base64url')).update(normalised, 'utf8').digest('base64url');
}

/** A new set of 10 distinct codes and what to store of it. */
export function newRecoveryCodes(): IssuedRecoveryCodes {
  const plain = new Set<string>();
  while (plain.size < RECOVERY_CODE_COUNT) plain.add(randomCode());
  const salt = randomBytes(SALT_BYTES).toString('base64url');
  return {
    codes: [...plain].map(formatted),
    set: { salt, hashes: [...plain].map((code) => hashRecoveryCode(salt, code)) },
  };
}

/**
 * The stored hash a typed code would have in the set with this salt, or undefined if the input
 * is not shaped like a code. Whether the set still holds it is for the conditional write to say.
 */
export function recoveryCodeHash(salt: string, input: string): string | undefined {
  const normalised = normaliseRecoveryCode(input);
  return normalised === undefined ? undefined : hashRecoveryCode(salt, normalised);
}
