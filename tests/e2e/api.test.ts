/**
 * End-to-end over HTTP through serverless-offline, running the built bundles against DynamoDB
 * Local: every endpoint and every error code of docs/openapi.yaml that a client can provoke.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { bearer, call, expectDenied, expectNoCredentials, get, post, warm } from '../helpers/http';
import { uniqueEmail } from '../helpers/deps';

const PASSWORD = 'correct horse battery';
/**
 * A race test first warms 20 workers per function it hits, then races: on a loaded 2-core machine
 * the registration race took up to 40 s in all. A hung request still fails on its own at the
 * gateway's 60 s function timeout.
 */
const RACE_TIMEOUT = 180_000;
const USER_FIELDS = ['createdAt', 'email', 'emailVerified', 'id', 'name', 'roles'];

async function registered(email = uniqueEmail('e2e')) {
  const answer = await post('/auth/register', { email, password: PASSWORD, name: 'Ada' });
  expect(answer.status).toBe(201);
  return answer.body as { user: { id: string; email: string }; accessToken: string; refreshToken: string };
}

function expectError(answer: { status: number; body: any }, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.body?.error?.code).toBe(code);
  expect(typeof answer.body.error.message).toBe('string');
  expect(Object.keys(answer.body)).toEqual(['error']);
}

describe('POST /auth/register', () => {
  it('answers 201 with the user and a token response, normalising the email and ignoring privileged fields', async () => {
    const email = uniqueEmail('reg');
    const answer = await post('/auth/register', {
      email: `  ${email.toUpperCase()} `,
      password: PASSWORD,
      name: 'Ada',
      roles: ['admin'],
      id: 'chosen-id',
      emailVerified: true,
    });
    expect(answer.status).toBe(201);
    expect(Object.keys(answer.body.user).sort()).toEqual(USER_FIELDS);
    expect(answer.body.user).toMatchObject({ email, name: 'Ada', roles: ['user'], emailVerified: false });
    expect(answer.body.user.id).not.toBe('chosen-id');
    expect(new Date(answer.body.user.createdAt).toISOString()).toBe(answer.body.user.createdAt);
    expect(answer.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(answer.body.refreshToken).toMatch(/^[\w-]{22}\.[\w-]{43}$/);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.text).not.toMatch(/passwordHash|\$2[aby]\$/);
  });

  it('answers 409 email_taken for the same email in another case', async () => {
    const email = uniqueEmail('dup');
    await registered(email);
    expectError(await post('/auth/register', { email: email.toUpperCase(), password: PASSWORD }), 409, 'email_taken');
  });

  it('answers 400 invalid_request with details for bad fields', async () => {
    const answer = await post('/auth/register', { email: 'not-an-email', password: 'short', name: 7 });
    expectError(answer, 400, 'invalid_request');
    expect(answer.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['email', 'name', 'password']);
  });

  it('rejects a password over 72 UTF-8 bytes instead of truncating it', async () => {
    expectError(await post('/auth/register', { email: uniqueEmail(), password: '😀'.repeat(19) }), 400, 'invalid_request');
    expect((await post('/auth/register', { email: uniqueEmail(), password: '😀'.repeat(18) })).status).toBe(201);
  });

  it('answers 400 invalid_json for a body that is not JSON', async () => {
    expectError(await call('POST', '/auth/register', { body: '{"email":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
  });

  it('answers 400 invalid_request for JSON that is not an object', async () => {
    expectError(await call('POST', '/auth/register', { body: '["a"]', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request');
  });

  it('answers 415 unsupported_media_type without application/json', async () => {
    expectError(await call('POST', '/auth/register', { body: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type');
  });

  it('answers 413 payload_too_large over the body cap', async () => {
    expectError(await post('/auth/register', { email: uniqueEmail(), password: PASSWORD, pad: 'x'.repeat(20_000) }), 413, 'payload_too_large');
  });

  it('creates exactly one user when 20 registrations of one email race in mixed case', async () => {
    await warm([{ method: 'POST', path: '/auth/register', json: {} }, { method: 'POST', path: '/auth/login', json: {} }], 20);
    const email = uniqueEmail('race');
    const variants = Array.from({ length: 20 }, (_, i) => (i % 2 ? email.toUpperCase() : email));
    const answers = await Promise.all(variants.map((e) => post('/auth/register', { email: e, password: PASSWORD })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(19);
    const login = await post('/auth/login', { email, password: PASSWORD });
    expect(login.body.user.id).toBe(answers.find((a) => a.status === 201)!.body.user.id);
  }, RACE_TIMEOUT);
});

describe('POST /auth/login', () => {
  it('answers 200 with the user and fresh tokens', async () => {
    const { user } = await registered();
    const answer = await post('/auth/login', { email: user.email.toUpperCase(), password: PASSWORD });
    expect(answer.status).toBe(200);
    expect(answer.body.user).toMatchObject({ id: user.id, email: user.email });
    expect(answer.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
  });

  it('answers the same 401 invalid_credentials body for a wrong password and an unknown email', async () => {
    const { user } = await registered();
    const wrong = await post('/auth/login', { email: user.email, password: 'wrong password' });
    const unknown = await post('/auth/login', { email: uniqueEmail('ghost'), password: PASSWORD });
    expectError(wrong, 401, 'invalid_credentials');
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('answers 429 too_many_attempts with Retry-After after 5 failures, even for the right password', async () => {
    const { user } = await registered();
    for (let i = 0; i < 5; i += 1) expect((await post('/auth/login', { email: user.email, password: 'wrong password' })).status).toBe(401);
    const answer = await post('/auth/login', { email: user.email, password: PASSWORD });
    expectError(answer, 429, 'too_many_attempts');
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('answers 400 invalid_request for a non-string password', async () => {
    expectError(await post('/auth/login', { email: uniqueEmail(), password: 12345678 }), 400, 'invalid_request');
  });

  it('attack: bcrypt key cycling: abcdefgh\\0abcdefgh does not sign in to the account whose password is abcdefgh', async () => {
    const email = uniqueEmail('cycled');
    expect((await post('/auth/register', { email, password: 'abcdefgh' })).status).toBe(201);
    for (const cycled of ['abcdefgh\0abcdefgh', 'abcdefgh\0abcdefgh\0abcdefgh\0', 'abcdefgh\0'.repeat(8)]) {
      const answer = await post('/auth/login', { email, password: cycled });
      expectError(answer, 400, 'invalid_request');
      expect(answer.body.error.details).toEqual([{ field: 'password', message: 'must not contain NUL or other control characters' }]);
    }
    // Nor can such a password be set in the first place.
    expectError(await post('/auth/register', { email: uniqueEmail('cycled'), password: 'abcdefgh\0abcdefgh' }), 400, 'invalid_request');
    expect((await post('/auth/login', { email, password: 'abcdefgh' })).status).toBe(200);
  });
});

describe('access tokens and GET /.well-known/jwks.json', () => {
  it('publishes public keys that verify our access tokens, with typ at+jwt and every documented claim', async () => {
    const { accessToken, user } = await registered();
    const jwks = await get('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    for (const key of jwks.body.keys) {
      expect(key).toMatchObject({ use: 'sig', alg: 'RS256' });
      expect(typeof key.kid).toBe('string');
      expect(key).not.toHaveProperty('d');
    }
    const header = decodeProtectedHeader(accessToken);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    const { payload } = await jwtVerify(accessToken, createLocalJWKSet(jwks.body), {
      // Locally the issuer is the gateway's own URL: it follows PORT.
      issuer: `http://localhost:${new URL(inject('apiUrl')).port}`,
      audience: 'lambda-jwt-auth-local',
      typ: 'at+jwt',
    });
    expect(payload).toMatchObject({ sub: user.id, email: user.email, roles: ['user'], client_id: 'lambda-jwt-auth', scope: 'role:user' });
    for (const claim of ['sid', 'jti', 'iat', 'exp']) expect(payload).toHaveProperty(claim);
    expect(payload.exp! - payload.iat!).toBe(900);
  });
});

describe('protected routes behind the authorizer', () => {
  it('GET /auth/me answers 200 with the user', async () => {
    const { accessToken, user } = await registered();
    const answer = await get('/auth/me', bearer(accessToken));
    expect(answer.status).toBe(200);
    // The user, plus the federated identities that sign in to it (none for a registration).
    expect(Object.keys(answer.body).sort()).toEqual([...USER_FIELDS, 'identities'].sort());
    expect(answer.body.identities).toEqual([]);
    expect(answer.body.id).toBe(user.id);
  });

  it('GET /example/hello echoes the authorizer context, and a lower-case bearer scheme works', async () => {
    const { accessToken, user } = await registered();
    const claims = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString());
    const answer = await get('/example/hello', { authorization: `bearer ${accessToken}` });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ message: expect.any(String), userId: user.id, sessionId: claims.sid });
  });

  it('refuses requests without a token, with a bad token or with a refresh token as bearer', async () => {
    const { accessToken, refreshToken } = await registered();
    const tampered = `${accessToken.slice(0, -4)}AAAA`;
    for (const path of ['/auth/me', '/example/hello']) {
      expectNoCredentials(await get(path));
      for (const headers of [bearer(tampered), bearer(refreshToken), { authorization: `Basic ${accessToken}` }]) {
        expectDenied(await get(path, headers), `${headers.authorization.slice(0, 12)}... on ${path}`);
      }
    }
  });
});

describe('POST /auth/refresh', () => {
  it('rotates: a new refresh token, the access token for the same session', async () => {
    const first = await registered();
    const answer = await post('/auth/refresh', { refreshToken: first.refreshToken });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
    expect(answer.body.refreshToken).not.toBe(first.refreshToken);
    expect((await get('/auth/me', bearer(answer.body.accessToken))).status).toBe(200);
  });

  it('answers a retry within the grace window with the same successor', async () => {
    const first = await registered();
    const a = await post('/auth/refresh', { refreshToken: first.refreshToken });
    const b = await post('/auth/refresh', { refreshToken: first.refreshToken });
    expect(b.status).toBe(200);
    expect(b.body.refreshToken).toBe(a.body.refreshToken);
  });

  it('yields one successor and no 5xx when 20 refreshes of one token race', async () => {
    await warm([{ method: 'POST', path: '/auth/refresh', json: {} }], 20);
    const first = await registered();
    const answers = await Promise.all(Array.from({ length: 20 }, () => post('/auth/refresh', { refreshToken: first.refreshToken })));
    expect(answers.map((a) => `${a.status} ${a.body?.error?.code ?? ''}`.trim())).toEqual(Array(20).fill('200'));
    expect(new Set(answers.map((a) => a.body.refreshToken)).size).toBe(1);
  }, RACE_TIMEOUT);

  it('leaves no usable refresh token when logout races refresh', async () => {
    await warm([{ method: 'POST', path: '/auth/refresh', json: {} }, { method: 'POST', path: '/auth/logout', json: { scope: 'nope' } }]);
    const first = await registered();
    const [refreshed, loggedOut] = await Promise.all([
      post('/auth/refresh', { refreshToken: first.refreshToken }),
      post('/auth/logout', { refreshToken: first.refreshToken }),
    ]);
    expect(loggedOut.status).toBe(204);
    // Either order is fine; a failure of either request is not.
    expect(['200', '401 invalid_refresh_token']).toContain(`${refreshed.status} ${refreshed.body?.error?.code ?? ''}`.trim());
    // The first token may also count as reused, if the grace window has passed on a slow machine.
    const again = await post('/auth/refresh', { refreshToken: first.refreshToken });
    expect(['401 invalid_refresh_token', '401 refresh_token_reused']).toContain(`${again.status} ${again.body?.error?.code}`);
    if (refreshed.status === 200) expectError(await post('/auth/refresh', { refreshToken: refreshed.body.refreshToken }), 401, 'invalid_refresh_token');
  });

  it('answers 401 invalid_refresh_token for unknown, malformed and access tokens', async () => {
    const { accessToken } = await registered();
    for (const refreshToken of ['nope', accessToken, `${'A'.repeat(22)}.${'B'.repeat(43)}`]) {
      expectError(await post('/auth/refresh', { refreshToken }), 401, 'invalid_refresh_token');
    }
  });

  it('answers 400 invalid_request without a refresh token', async () => {
    expectError(await post('/auth/refresh', {}), 400, 'invalid_request');
  });
});

describe('POST /auth/logout', () => {
  it('local: 204, and the refresh token stops working', async () => {
    const first = await registered();
    const answer = await post('/auth/logout', { refreshToken: first.refreshToken });
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    expectError(await post('/auth/refresh', { refreshToken: first.refreshToken }), 401, 'invalid_refresh_token');
  });

  it('answers 204 for an unknown or already revoked token', async () => {
    const first = await registered();
    expect((await post('/auth/logout', { refreshToken: first.refreshToken })).status).toBe(204);
    expect((await post('/auth/logout', { refreshToken: first.refreshToken })).status).toBe(204);
    expect((await post('/auth/logout', { refreshToken: 'unknown' })).status).toBe(204);
  });

  it('others: revokes every other session of the bearer and keeps its own', async () => {
    const a = await registered();
    const b = (await post('/auth/login', { email: a.user.email, password: PASSWORD })).body;
    const answer = await post('/auth/logout', { scope: 'others' }, bearer(b.accessToken));
    expect(answer.status).toBe(204);
    expectError(await post('/auth/refresh', { refreshToken: a.refreshToken }), 401, 'invalid_refresh_token');
    expect((await post('/auth/refresh', { refreshToken: b.refreshToken })).status).toBe(200);
  });

  it('global: revokes every session of the bearer', async () => {
    const a = await registered();
    const b = (await post('/auth/login', { email: a.user.email, password: PASSWORD })).body;
    expect((await post('/auth/logout', { scope: 'global' }, bearer(a.accessToken))).status).toBe(204);
    for (const token of [a.refreshToken, b.refreshToken]) {
      expectError(await post('/auth/refresh', { refreshToken: token }), 401, 'invalid_refresh_token');
    }
  });

  it('global and others answer 401 unauthorized without a valid bearer', async () => {
    const a = await registered();
    const missing = await post('/auth/logout', { scope: 'global', refreshToken: a.refreshToken });
    expectError(missing, 401, 'unauthorized');
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    const refused = await post('/auth/logout', { scope: 'others' }, bearer('x.y.z'));
    expectError(refused, 401, 'unauthorized');
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect((await post('/auth/refresh', { refreshToken: a.refreshToken })).status).toBe(200);
  });

  it('answers 400 invalid_request for an unknown scope', async () => {
    expectError(await post('/auth/logout', { scope: 'everything' }), 400, 'invalid_request');
  });
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin', async () => {
    const answer = await call('OPTIONS', '/auth/login', {
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(answer.status).toBeLessThan(300);
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it("carries CORS headers on the gateway's own 401 and 403 answers, so a browser app can see them", async () => {
    const origin = { origin: 'http://localhost:5173' };
    const missing = await get('/auth/me', origin);
    const denied = await get('/auth/me', { ...origin, authorization: 'Bearer x.y.z' });
    expect([missing.status, denied.status]).toEqual([401, 403]);
    for (const answer of [missing, denied]) expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('refuses the preflight of an origin that is not configured', async () => {
    // (serverless-offline enforces the origin list on preflights only; API Gateway on every answer.)
    const answer = await call('OPTIONS', '/auth/login', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });
});
