/**
 * The email identifier policy: one canonical form per address, so one person cannot end up with
 * two accounts that look the same, and no address can carry markup or hidden characters into an
 * admin screen or an email. docs/reference/endpoints.md "Email addresses" states it for users.
 *
 * 1. Unicode NFC, trim, lower-case (docs/openapi.yaml `Email`).
 * 2. Invisible and format characters are refused, never stripped: zero-width spaces and joiners,
 *    soft hyphen, bidirectional overrides (U+202E), BOM, variation selectors, any other default
 *    ignorable or format character, controls, private-use and unassigned code points, and any
 *    whitespace inside the address.
 * 3. Width folding: fullwidth and halfwidth forms (U+FF00-U+FFEF, as CJK input methods type them)
 *    are mapped to their ordinary characters, so `ａｄａ@example.com` is `ada@example.com`. Other
 *    compatibility characters (ligatures, circled or mathematical letters, superscripts) are refused
 *    rather than folded: nobody types them by accident.
 * 4. Local part: RFC 5322 dot-atom (letters, digits and ! # $ % & ' * + - / = ? ^ _ ` { | } ~,
 *    dots between atoms) plus non-ASCII letters, marks and digits (RFC 6531). No quoted strings,
 *    no comments; so `<`, `>`, `"`, `(`, `)`, `,`, `;`, `:`, `[`, `]` and `\` are refused, and
 *    markup such as `<img/src=x>` cannot be an address.
 * 5. Domain: dot-separated labels of letters, digits and inner hyphens, at least two labels,
 *    a non-numeric top-level label, no empty label, no trailing dot (`example.com.` is refused, not
 *    silently equal to `example.com`), no IP literal. Internationalised domains are stored in
 *    their Unicode form, so `xn--mnchen-3ya.de` and `münchen.de` are one domain.
 * 6. Look-alikes: a local part or domain label may not mix Latin, Greek and Cyrillic letters
 *    (`pаypal` with a Cyrillic а). A label written wholly in another script is a different
 *    address and stays allowed; telling `аррӏе` from `apple` is left to the reader (see SECURITY.md).
 * 7. Lengths: at most 254 characters, local part at most 64.
 */
import { domainToASCII, domainToUnicode } from 'node:url';

export const EMAIL_MAX_LENGTH = 254;
export const LOCAL_PART_MAX_LENGTH = 64;

const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\p{Z}\p{Default_Ignorable_Code_Point}\s]/u;
const WIDTH_FORMS = /[\uFF00-\uFFEF\u3000]/gu;
const LOCAL_ATOM = /^[\p{L}\p{M}\p{Nd}!#$%&'*+\-/=?^_`{|}~]+$/u;
const ASCII_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const MIXED = [/\p{Script=Latin}/u, /\p{Script=Greek}/u, /\p{Script=Cyrillic}/u];

export type EmailCheck = { ok: true; email: string } | { ok: false; reason: string };

function mixesScripts(text: string): boolean {
  return MIXED.filter((script) => script.test(text)).length > 1;
}

/** Canonical form of an email address, or why it is refused. */
export function canonicalEmail(raw: string): EmailCheck {
  const refuse = (reason: string): EmailCheck => ({ ok: false, reason });
  const widthFolded = raw.normalize('NFC').trim().replace(WIDTH_FORMS, (c) => c.normalize('NFKC'));
  const value = widthFolded.toLowerCase().normalize('NFC');
  if (value.length === 0) return refuse('must not be empty');
  if (value.length > EMAIL_MAX_LENGTH) return refuse(`must be at most ${EMAIL_MAX_LENGTH} characters`);
  if (INVISIBLE.test(value)) return refuse('must not contain spaces, invisible or formatting characters');
  if (value.normalize('NFKC') !== value) return refuse('must not contain compatibility characters (ligatures, styled letters)');

  const at = value.lastIndexOf('@');
  if (at <= 0 || value.indexOf('@') !== at) return refuse('must contain exactly one @ with a local part before it');
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);

  if (local.length > LOCAL_PART_MAX_LENGTH) return refuse(`must have a local part of at most ${LOCAL_PART_MAX_LENGTH} characters`);
  if (!local.split('.').every((atom) => LOCAL_ATOM.test(atom))) {
    return refuse('must have a local part of letters, digits, dots between them and !#$%&\'*+-/=?^_`{|}~');
  }
  if (mixesScripts(local)) return refuse('must not mix Latin, Greek and Cyrillic letters in one part');

  if (domain.endsWith('.')) return refuse('must not end the domain with a dot');
  const ascii = domainToASCII(domain);
  const labels = ascii.split('.');
  if (!ascii || labels.length < 2 || !labels.every((label) => ASCII_LABEL.test(label)) || /^\d+$/.test(labels.at(-1)!)) {
    return refuse('must have a domain name such as example.com');
  }
  const unicodeDomain = domainToUnicode(ascii);
  if (unicodeDomain.split('.').some(mixesScripts)) return refuse('must not mix Latin, Greek and Cyrillic letters in one part');
  const email = `${local}@${unicodeDomain}`;
  if (email.length > EMAIL_MAX_LENGTH) return refuse(`must be at most ${EMAIL_MAX_LENGTH} characters`);
  return { ok: true, email };
}

/**
 * The mailbox an address delivers to, as the key of the per-mailbox email limits only: the account
 * keeps its address as entered (canonical, lower-cased), and sign-in never folds.
 *
 * - `+tag` is dropped at every domain. Subaddressing (RFC 5233) delivers `user+anything` to `user`
 *   at Gmail, Outlook.com, iCloud, Fastmail, Proton and most mail servers, so without folding an
 *   attacker could register (or ask resets for) `victim+1`, `victim+2`, ... and send 3 emails per
 *   tag into one mailbox. A server that gives `+` another meaning only shares one allowance among
 *   those addresses, which costs little.
 * - Dots are dropped for gmail.com only, with googlemail.com folded into it: Google documents that
 *   Gmail ignores dots in the local part, so `v.i.c.t.i.m@gmail.com` is the same mailbox, one of
 *   2^(n-1) spellings. Elsewhere dots are significant (`j.smith` and `jsmith` are often two people),
 *   and folding them would let one person's requests use up another person's allowance.
 * - Other separators (`-` at Yahoo or qmail) are not folded: `-` is common inside ordinary names.
 */
export function mailboxOf(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return email;
  let local = email.slice(0, at);
  let domain = email.slice(at + 1);
  const plus = local.indexOf('+');
  // `+tag` alone (nothing before the `+`) names no other mailbox to fold into.
  if (plus > 0) local = local.slice(0, plus);
  if (domain === 'googlemail.com') domain = 'gmail.com';
  if (domain === 'gmail.com') local = local.replaceAll('.', '');
  return `${local}@${domain}`;
}
