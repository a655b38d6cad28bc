import { describe, expect, it } from 'vitest';
import { hasDuplicateMembers } from '../../lib/tokens/duplicate-members';

const check = (json: string) => hasDuplicateMembers(json, JSON.parse(json) as Record<string, unknown>);

describe('hasDuplicateMembers', () => {
  it('finds a top-level name written twice, plainly or with escapes', () => {
    expect(check('{"sub":"a","sub":"b"}')).toBe(true);
    expect(check('{"sub":"a","s\\u0075b":"b"}')).toBe(true);
    expect(check('{"a":1,"b":{"c":2},"a":[3]}')).toBe(true);
  });

  it('does not count nested names, or quotes, braces and commas inside strings', () => {
    expect(check('{"a":{"x":1},"b":{"x":2}}')).toBe(false);
    expect(check('{"a":[{"x":1},{"x":1}],"b":1}')).toBe(false);
    expect(check('{"a":"\\"b\\":1,{\\"a\\":2}","b":"}, \\"a\\""}')).toBe(false);
    expect(check('{"roles":["a","b"],"amr":["pwd","otp"]}')).toBe(false);
    expect(check('{}')).toBe(false);
  });
});
