import { describe, expect, it } from 'vitest';
import { AppError, type FieldProblem } from '../../lib/errors';
import { statusOf } from '../../lib/http/middleware';
import { parseChangePassword, parseDeleteAccount, parseLogin, parseLogout, parseMfaVerify, parsePasskeyLogin, parsePasskeyRegister, parseReauthenticate, parseRefresh, parseRegister, parseReset } from '../../lib/validation';

const PASSWORD = 'correct horse battery';

/** Runs `fn`, expects an invalid_request AppError, returns its details. */
function rejection(fn: () => unknown): FieldProblem[] {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(AppError);
  const error = thrown as AppError;
  expect(error.code).toBe('invalid_request');
  expect(statusOf(error.code)).toBe(400);
  return error.details ?? [];
}

const fieldsOf = (details: FieldProblem[]) => details.map((d) => d.field);

const credentialParsers = [
  ['parseRegister', parseRegister],
  ['parseLogin', parseLogin],
] as const;

describe.each(credentialParsers)('%s email', (_name, parse) => {
  it('is trimmed and lower-cased', () => {
    expect(parse({ email: '  Ada.Lovelace@Example.COM \n', password: PASSWORD }).email).toBe('ada.lovelace@example.com');
  });

  it('is accepted at 254 characters and rejected at 255', () => {
    // The local part is capped at 64 (lib/email.ts): the length lives in the domain labels.
    const address = (last: number) => `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(last)}.com`;
    const at254 = address(57);
    const at255 = address(58);
    expect([at254.length, at255.length]).toEqual([254, 255]);
    expect(parse({ email: at254, password: PASSWORD }).email).toBe(at254);
    expect(fieldsOf(rejection(() => parse({ email: at255, password: PASSWORD })))).toEqual(['email']);
  });

  it.each(['', '   ', 'ada', 'ada@', '@example.com', 'ada@example', 'ada lovelace@example.com', 'ada@@example.com', 'ada@exa mple.com', 'ada\u0000@example.com'])(
    'rejects the malformed address %j',
    (email) => {
      expect(fieldsOf(rejection(() => parse({ email, password: PASSWORD })))).toEqual(['email']);
    },
  );

  it.each([[undefined], [42], [null], [{}], [['ada@example.com']]])('rejects a missing or non-string email (%j)', (email) => {
    expect(fieldsOf(rejection(() => parse({ email, password: PASSWORD })))).toEqual(['email']);
  });
});

describe.each(credentialParsers)('%s password', (_name, parse) => {
  const withPassword = (password: unknown) => parse({ email: 'ada@example.com', password });

  it('accepts 8 and 72 ASCII bytes', () => {
    expect(withPassword('a'.repeat(8)).password).toBe('a'.repeat(8));
    expect(withPassword('a'.repeat(72)).password).toBe('a'.repeat(72));
  });

  it('rejects 7 and 73 ASCII bytes instead of truncating', () => {
    expect(fieldsOf(rejection(() => withPassword('a'.repeat(7))))).toEqual(['password']);
    expect(fieldsOf(rejection(() => withPassword('a'.repeat(73))))).toEqual(['password']);
  });

  it('counts bytes, not characters: 18 four-byte emoji (72 bytes) pass, 19 (76 bytes) fail', () => {
    const emoji = '\u{1F510}';
    expect(withPassword(emoji.repeat(18)).password).toBe(emoji.repeat(18));
    expect(fieldsOf(rejection(() => withPassword(emoji.repeat(19))))).toEqual(['password']);
  });

  it('counts a two-byte character as two: 4 "é" (8 bytes) pass and 37 "é" (74 bytes) fail', () => {
    // Four "é" are 8 bytes: accepted although only 4 characters long.
    expect(withPassword('\u00e9'.repeat(4)).password).toBe('\u00e9'.repeat(4));
    // 37 "é" are 74 bytes: rejected although only 37 characters long.
    expect(fieldsOf(rejection(() => withPassword('\u00e9'.repeat(37))))).toEqual(['password']);
  });

  it('measures the NFC form that gets hashed, so 36 decomposed "é" (108 bytes typed, 72 composed) pass', () => {
    expect(() => withPassword('e\u0301'.repeat(36))).not.toThrow();
  });

  it('keeps the password exactly as typed, spaces included', () => {
    expect(withPassword('  spaced out  ').password).toBe('  spaced out  ');
  });

  it.each([[12345678], [{ value: 'password123' }], [null], [['password123']], [true]])(
    'rejects the non-string password %j with details naming the field',
    (password) => {
      const details = rejection(() => withPassword(password));
      expect(details).toEqual([{ field: 'password', message: expect.any(String) }]);
    },
  );

  it('reports a missing password as required', () => {
    expect(rejection(() => parse({ email: 'ada@example.com' }))).toEqual([{ field: 'password', message: 'is required' }]);
  });

  it('reports every bad field at once', () => {
    expect(fieldsOf(rejection(() => parse({ email: 'nope', password: 'short' })))).toEqual(['email', 'password']);
  });
});

describe('parseRegister name', () => {
  const withName = (name: unknown) => parseRegister({ email: 'ada@example.com', password: PASSWORD, name });

  it('is optional', () => {
    expect(parseRegister({ email: 'ada@example.com', password: PASSWORD }).name).toBeUndefined();
    expect(withName(null).name).toBeUndefined();
  });

  it('is trimmed and accepted up to 100 characters', () => {
    expect(withName('  Ada Lovelace ').name).toBe('Ada Lovelace');
    expect(withName('n'.repeat(100)).name).toBe('n'.repeat(100));
  });

  it('is rejected over 100 characters', () => {
    expect(fieldsOf(rejection(() => withName('n'.repeat(101))))).toEqual(['name']);
  });

  it('is rejected when it is not a string', () => {
    expect(fieldsOf(rejection(() => withName(42)))).toEqual(['name']);
    expect(fieldsOf(rejection(() => withName({ first: 'Ada' })))).toEqual(['name']);
  });
});

describe('unknown fields', () => {
  it('are dropped from a registration, so a client cannot grant itself roles or pick its id', () => {
    const result = parseRegister({
      email: 'ada@example.com',
      password: PASSWORD,
      name: 'Ada',
      roles: ['admin'],
      id: 'chosen-id',
      emailVerified: true,
      passwordHash: '$2b$10$abc',
    });
    expect(result).toEqual({ email: 'ada@example.com', password: PASSWORD, name: 'Ada' });
    expect(Object.keys(result).sort()).toEqual(['email', 'name', 'password']);
  });

  it('are dropped even when smuggled through __proto__ in the JSON', () => {
    const body: unknown = JSON.parse(
      `{"email":"ada@example.com","password":"${PASSWORD}","__proto__":{"roles":["admin"],"emailVerified":true}}`,
    );
    const result = parseRegister(body) as unknown as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(['email', 'name', 'password']);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(result.roles).toBeUndefined();
    expect(result.emailVerified).toBeUndefined();
  });

  it('are dropped from login, refresh and logout bodies', () => {
    expect(Object.keys(parseLogin({ email: 'ada@example.com', password: PASSWORD, roles: ['admin'] })).sort()).toEqual(['email', 'password']);
    expect(parseRefresh({ refreshToken: 'abc.def', userId: 'x' })).toEqual({ refreshToken: 'abc.def' });
    expect(parseLogout({ refreshToken: 'abc.def', userId: 'x' })).toEqual({ refreshToken: 'abc.def', scope: 'local' });
  });
});

describe('non-object bodies', () => {
  const parsers = [
    ['parseRegister', parseRegister],
    ['parseLogin', parseLogin],
    ['parseRefresh', parseRefresh],
    ['parseLogout', parseLogout],
  ] as const;
  const bodies: [string, unknown][] = [
    ['an array', [{ email: 'ada@example.com' }]],
    ['a string', '{"email":"ada@example.com"}'],
    ['null', null],
    ['a number', 42],
    ['a boolean', true],
  ];
  for (const [name, parse] of parsers) {
    it.each(bodies)(`are rejected by ${name} when the body is %s`, (_label, body) => {
      expect(fieldsOf(rejection(() => parse(body)))).toEqual(['body']);
    });
  }

  it.each([
    ['parseRegister', parseRegister],
    ['parseLogin', parseLogin],
    ['parseRefresh', parseRefresh],
  ] as const)('include a missing body for %s', (_name, parse) => {
    expect(() => parse(undefined)).toThrow(AppError);
  });
});

describe('parseRefresh', () => {
  it('returns the refresh token as given', () => {
    expect(parseRefresh({ refreshToken: 'abc.def' })).toEqual({ refreshToken: 'abc.def' });
  });

  it.each([[undefined], [''], [42], [null], [{ value: 'abc.def' }]])('rejects the refresh token %j with details naming it', (refreshToken) => {
    expect(fieldsOf(rejection(() => parseRefresh({ refreshToken })))).toEqual(['refreshToken']);
  });
});

describe('parseLogout', () => {
  it('defaults the scope to local', () => {
    expect(parseLogout({ refreshToken: 'abc.def' })).toEqual({ refreshToken: 'abc.def', scope: 'local' });
    expect(parseLogout({ refreshToken: 'abc.def', scope: null })).toEqual({ refreshToken: 'abc.def', scope: 'local' });
  });

  it('accepts no body at all as a local logout of the Bearer session', () => {
    expect(parseLogout(undefined)).toEqual({ refreshToken: undefined, scope: 'local' });
  });

  it.each(['local', 'global', 'others'] as const)('accepts the scope %s', (scope) => {
    expect(parseLogout({ scope }).scope).toBe(scope);
  });

  it.each(['all', 'GLOBAL', 'everywhere', '', 1, true])('rejects the scope %j with details naming it', (scope) => {
    expect(fieldsOf(rejection(() => parseLogout({ refreshToken: 'abc.def', scope })))).toEqual(['scope']);
  });

  it('rejects a refresh token that is not a string', () => {
    expect(fieldsOf(rejection(() => parseLogout({ refreshToken: 42 })))).toEqual(['refreshToken']);
  });
});

describe('passwords with control characters', () => {
  // NUL first: bcrypt cycles the key bytes with a NUL between copies, so abcdefgh\0abcdefgh is abcdefgh.
  const controls = ['\u0000', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009f'];
  const fields = [
    ['parseRegister password', (pw: string) => parseRegister({ email: 'ada@example.com', password: pw }), 'password'],
    ['parseLogin password', (pw: string) => parseLogin({ email: 'ada@example.com', password: pw }), 'password'],
    ['parseReset newPassword', (pw: string) => parseReset({ token: 't', newPassword: pw }), 'newPassword'],
    ['parseChangePassword newPassword', (pw: string) => parseChangePassword({ currentPassword: PASSWORD, newPassword: pw }), 'newPassword'],
    ['parseChangePassword currentPassword', (pw: string) => parseChangePassword({ currentPassword: pw, newPassword: PASSWORD }), 'currentPassword'],
    ['parseDeleteAccount password', (pw: string) => parseDeleteAccount({ password: pw }), 'password'],
  ] as const;

  it.each(fields)('%s: refused with invalid_request naming the field', (_name, parse, field) => {
    for (const control of controls) {
      expect(rejection(() => parse(`abcdefgh${control}abcdefgh`))).toEqual([{ field, message: 'must not contain NUL or other control characters' }]);
    }
    expect(() => parse('abcdefgh abcdefgh')).not.toThrow();
  });
});

describe('passkey responses', () => {
  const assertion = {
    id: 'Y3JlZA',
    rawId: 'Y3JlZA',
    type: 'public-key',
    response: { clientDataJSON: 'e30', authenticatorData: 'YXV0aA', signature: 'c2ln', userHandle: 'dXNlcg' },
    clientExtensionResults: { appid: true },
    authenticatorAttachment: 'platform',
    role: 'admin',
  };

  it('keeps the named fields of an assertion and drops the rest (extensions, anything invented)', () => {
    expect(parsePasskeyLogin({ response: assertion })).toEqual({
      response: {
        id: 'Y3JlZA',
        rawId: 'Y3JlZA',
        type: 'public-key',
        response: { clientDataJSON: 'e30', authenticatorData: 'YXV0aA', signature: 'c2ln', userHandle: 'dXNlcg' },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      },
    });
  });

  it('refuses a field that is not base64url, a missing signature, or another type', () => {
    expect(rejection(() => parsePasskeyLogin({ response: { ...assertion, id: 'not base64url!' } }))).toEqual([{ field: 'response.id', message: expect.stringContaining('base64url') }]);
    const { signature: _dropped, ...unsigned } = assertion.response;
    expect(rejection(() => parsePasskeyLogin({ response: { ...assertion, response: unsigned } }))).toEqual([{ field: 'response.response.signature', message: 'is required' }]);
    expect(rejection(() => parsePasskeyLogin({ response: { ...assertion, type: 'password' } }))).toEqual([{ field: 'response.type', message: 'must be "public-key"' }]);
  });

  it('a registration keeps only well-formed transports and a trimmed name of at most 64 characters', () => {
    const registration = { id: 'Y3JlZA', rawId: 'Y3JlZA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'b2Jq', transports: ['internal', 'hybrid', 'bad transport', 7] } };
    expect(parsePasskeyRegister({ response: registration, name: '  Laptop ' })).toMatchObject({ name: 'Laptop', response: { response: { transports: ['internal', 'hybrid'] } } });
    expect(rejection(() => parsePasskeyRegister({ response: registration, name: 'x'.repeat(65) }))).toEqual([{ field: 'name', message: 'must be at most 64 characters' }]);
  });

  it('the second step takes exactly one of code, recoveryCode and passkey; reauthentication a passkey or a password, not both', () => {
    expect(parseMfaVerify({ mfaToken: 't', passkey: assertion })).toMatchObject({ mfaToken: 't', passkey: { id: 'Y3JlZA' } });
    expect(rejection(() => parseMfaVerify({ mfaToken: 't', code: '123456', passkey: assertion }))).toEqual([{ field: 'code', message: 'give exactly one of code, recoveryCode and passkey' }]);
    expect(parseReauthenticate({ passkey: assertion })).toMatchObject({ passkey: { id: 'Y3JlZA' } });
    expect(rejection(() => parseReauthenticate({ passkey: assertion, password: PASSWORD }))).toEqual([{ field: 'passkey', message: 'give either a passkey or a password (with a code)' }]);
  });
});
