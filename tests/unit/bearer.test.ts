import { describe, expect, it } from 'vitest';
import { bearerCredential, bearerToken } from '../../lib/http/bearer';

const jws = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';

describe('bearerToken', () => {
  it('takes the token after the scheme in any case', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) expect(bearerToken(`${scheme} ${jws}`)).toBe(jws);
  });

  it('takes token68, padding included', () => {
    expect(bearerToken('Bearer a.b-c_d~e+f/g==')).toBe('a.b-c_d~e+f/g==');
  });

  it('refuses another scheme, a missing or doubled space, two tokens, an empty token and what is not a string', () => {
    for (const header of [`Basic ${jws}`, `Bearer${jws}`, `Bearer  ${jws}`, `Bearer ${jws} ${jws}`, 'Bearer ', 'Bearer', `Bearer ${jws}\t`, `Bearer =${jws}`, '', undefined, null]) {
      expect(bearerToken(header)).toBeUndefined();
    }
  });
});

describe('bearerCredential', () => {
  it('takes what follows the scheme in any case, its form unchecked', () => {
    expect(bearerCredential(`BEARER ${jws}`)).toBe(jws);
    expect(bearerCredential(`Bearer  ${jws}`)).toBe(` ${jws}`);
    expect(bearerCredential(`Bearer ${jws}~`)).toBe(`${jws}~`);
  });

  it('accepts everything bearerToken accepts, unchanged', () => {
    for (const header of [`Bearer ${jws}`, `bearer ${jws}`, 'Bearer a.b-c_d~e+f/g==']) expect(bearerCredential(header)).toBe(bearerToken(header));
  });

  it('refuses another scheme, a missing space, an empty credential and what is not a string', () => {
    for (const header of [`Basic ${jws}`, `Bearer${jws}`, 'Bearer ', 'Bearer', '', undefined, null]) expect(bearerCredential(header)).toBeUndefined();
  });
});
