/**
 * The email identifier policy (lib/email-address.ts), one attack per test: addresses that would register
 * a second account looking like an existing one, or carry hidden characters or markup.
 */
import { describe, expect, it } from 'vitest';
import { canonicalEmail, mailboxOf } from '../../lib/email-address';
import { parseLogin, parseRegister } from '../../lib/validation';

const PASSWORD = 'correct horse battery';
const refused = (email: string) => expect(canonicalEmail(email)).toMatchObject({ ok: false });
const same = (a: string, b: string) => expect(canonicalEmail(a)).toEqual(canonicalEmail(b));

describe('email identifier policy', () => {
  it('a trailing-dot domain (x@example.com.) is refused, not a second account', () => {
    refused('x@example.com.');
    refused('x@example..com');
    refused('x@.example.com');
  });

  it('a zero-width space (U+200B) hidden in the address is refused', () => {
    refused('x\u200b@example.com');
    refused('x@exam\u200bple.com');
  });

  it('a soft hyphen (U+00AD) hidden in the address is refused, not stripped', () => {
    refused('x\u00ad@example.com');
    refused('x@exam\u00adple.com');
  });

  it('a right-to-left override (U+202E) or other bidi control is refused', () => {
    for (const c of ['\u202e', '\u202d', '\u2066', '\u200f', '\u061c']) refused(`ad${c}a@example.com`);
  });

  it('other invisible characters (joiners, BOM, word joiner, variation selector, Hangul filler) are refused', () => {
    for (const c of ['\u200c', '\u200d', '\ufeff', '\u2060', '\ufe0f', '\u3164', '\u00a0', '\u2028']) refused(`ad${c}a@example.com`);
  });

  it('fullwidth letters fold to the ordinary address, so they cannot register a twin account', () => {
    same('ａｄａ@example.com', 'ada@example.com');
    same('ada@ｅｘａｍｐｌｅ．ｃｏｍ', 'ada@example.com');
    expect(canonicalEmail('ＡＤＡ@example.com')).toEqual({ ok: true, email: 'ada@example.com' });
  });

  it('other compatibility characters (ligatures, styled and circled letters) are refused rather than folded', () => {
    for (const email of ['\ufb01nance@example.com', '\u{1d41a}da@example.com', '\u24d0da@example.com', 'ada\u00b2@example.com']) refused(email);
  });

  it('markup in the local part (<img/src=x>) is refused', () => {
    refused('<img/src=x>@example.com');
    refused('"<script>"@example.com');
    for (const c of ['<', '>', '(', ')', ',', ';', ':', '[', ']', '\\', '"']) refused(`a${c}b@example.com`);
  });

  it('a Latin address with one Cyrillic or Greek look-alike letter is refused', () => {
    refused('p\u0430ypal@example.com');
    refused('ada@ex\u0430mple.com');
    refused('\u03bfscar@example.com');
  });

  it('an internationalised domain in Punycode and in Unicode is one address', () => {
    same('ada@xn--mnchen-3ya.de', 'ada@münchen.de');
    same('ada@MÜNCHEN.DE', 'ada@münchen.de');
  });

  it('keeps ordinary and international addresses working', () => {
    for (const email of ['ada.lovelace+tag@example.co.uk', "o'brien@example.ie", 'élise@exämple.fr', 'ユーザー@example.jp', 'user@例え.jp', 'пользователь@пример.рф']) {
      expect(canonicalEmail(email)).toMatchObject({ ok: true });
    }
  });

  it('refuses IP literals, numeric top-level labels, bad labels and over-long local parts', () => {
    for (const email of ['a@[192.0.2.1]', 'a@192.0.2.1', 'a@-example.com', 'a@example-.com', 'a@ex_ample.com', `${'a'.repeat(65)}@example.com`, 'a.@example.com', '.a@example.com']) refused(email);
  });

  it('login and registration use the same canonical form', () => {
    expect(parseRegister({ email: 'ＡＤＡ@example.com', password: PASSWORD }).email).toBe('ada@example.com');
    expect(parseLogin({ email: 'ada@xn--mnchen-3ya.de', password: PASSWORD }).email).toBe('ada@münchen.de');
    expect(() => parseRegister({ email: 'x@example.com.', password: PASSWORD })).toThrow();
  });
});

describe('mailbox of an address (the key of the per-mailbox email limits)', () => {
  it('folds +tag at every domain, and nothing else outside Gmail', () => {
    expect(mailboxOf('victim+1@example.com')).toBe('victim@example.com');
    expect(mailboxOf('victim+a+b@example.com')).toBe('victim@example.com');
    // Dots and hyphens are significant at most domains: two people, two allowances.
    expect(mailboxOf('j.smith@example.com')).toBe('j.smith@example.com');
    expect(mailboxOf('j-smith@example.com')).toBe('j-smith@example.com');
    // Nothing before the `+`: no other mailbox to fold into.
    expect(mailboxOf('+news@example.com')).toBe('+news@example.com');
  });

  it('folds dots and googlemail.com for Gmail, which ignores dots', () => {
    expect(mailboxOf('v.i.c.t.i.m+x@gmail.com')).toBe('victim@gmail.com');
    expect(mailboxOf('vic.tim@googlemail.com')).toBe('victim@gmail.com');
    expect(mailboxOf('vic.tim@gmail.com.example')).toBe('vic.tim@gmail.com.example');
  });
});
