/**
 * Token attacks over HTTP through the offline gateway and the real authorizer bundle: a
 * representative set of forged tokens, each refused by the authorizer (403 from the gateway),
 * never a 500, never a 200, and never an authorizer crash (which offline answers 401).
 */
import { createHmac, createPrivateKey, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { publicJwkOf, type KeySetDocument } from '../../lib/keys/key-set';
import { uniqueEmail } from '../helpers/deps';
import { bearer, expectDenied, get, post } from '../helpers/http';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function keySet(): KeySetDocument {
  return JSON.parse(readFileSync(inject('keysFile'), 'utf8')) as KeySetDocument;
}

async function victim() {
  const answer = await post('/auth/register', { email: uniqueEmail('victim'), password: 'correct horse battery' });
  expect(answer.status).toBe(201);
  const [h, p] = (answer.body.accessToken as string).split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>,
    accessToken: answer.body.accessToken as string,
    refreshToken: answer.body.refreshToken as string,
  };
}

/** Signs header.payload with the real private key, for tokens that differ only in their claims. */
function signWithOurKey(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const current = keySet().keys.find((k) => k.status === 'current')!;
  const key = createPrivateKey({ key: current.privateJwk as never, format: 'jwk' });
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${cryptoSign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
}

/** Refused by the authorizer itself (403), not by a crash or timeout (which `get` throws on). */
async function expectRefused(token: string) {
  for (const path of ['/auth/me', '/example/hello']) expectDenied(await get(path, bearer(token)), `the token on ${path}`);
}

describe('forged access tokens over HTTP', () => {
  it('refuses alg none', async () => {
    const { header, claims } = await victim();
    await expectRefused(`${b64({ ...header, alg: 'none' })}.${b64(claims)}.`);
    await expectRefused(`${b64({ ...header, alg: 'nOnE' })}.${b64(claims)}.`);
  });

  it('refuses HS256 signed with the public key as the secret', async () => {
    const { header, claims } = await victim();
    const current = keySet().keys.find((k) => k.status === 'current')!;
    const secret = JSON.stringify(publicJwkOf(current));
    const input = `${b64({ ...header, alg: 'HS256' })}.${b64(claims)}`;
    await expectRefused(`${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`);
  });

  it('refuses a token signed by a foreign key under our kid', async () => {
    const { header, claims } = await victim();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const input = `${b64(header)}.${b64(claims)}`;
    await expectRefused(`${input}.${cryptoSign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url')}`);
  });

  it('refuses an expired token signed with our own key', async () => {
    const { header, claims } = await victim();
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(signWithOurKey(header, { ...claims, iat: now - 3600, exp: now - 1800 }));
  });

  it('refuses a token for another audience signed with our own key', async () => {
    const { header, claims } = await victim();
    await expectRefused(signWithOurKey(header, { ...claims, aud: 'some-other-api' }));
  });

  it('refuses a token without sid signed with our own key', async () => {
    const { header, claims } = await victim();
    const { sid: _sid, ...rest } = claims;
    await expectRefused(signWithOurKey(header, rest));
  });

  it('refuses a token of another type signed with our own key', async () => {
    const { header, claims } = await victim();
    await expectRefused(signWithOurKey({ ...header, typ: 'JWT' }, claims));
  });

  it('refuses the refresh token used as a bearer token', async () => {
    const { refreshToken } = await victim();
    await expectRefused(refreshToken);
  });

  it('refuses a token with a truncated signature', async () => {
    const { accessToken } = await victim();
    await expectRefused(accessToken.slice(0, -10));
  });

  it('refuses an oversized token before decoding it', async () => {
    const { header, claims } = await victim();
    await expectRefused(signWithOurKey(header, { ...claims, pad: 'x'.repeat(6000) }));
  });

  it('answers invalid_refresh_token when the access token is sent to /auth/refresh', async () => {
    const { accessToken } = await victim();
    const answer = await post('/auth/refresh', { refreshToken: accessToken });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_refresh_token');
  });

  it('refuses Basic, empty, double-space and two-token authorization headers', async () => {
    const { accessToken } = await victim();
    for (const authorization of [`Basic ${accessToken}`, 'Bearer ', `Bearer  ${accessToken}`, `Bearer ${accessToken} ${accessToken}`]) {
      expectDenied(await get('/auth/me', { authorization }), JSON.stringify(authorization.slice(0, 10)));
    }
  });

  it('accepts the genuine token with a lower-case scheme (the control case)', async () => {
    const { accessToken } = await victim();
    expect((await get('/auth/me', { authorization: `bearer ${accessToken}` })).status).toBe(200);
  });
});

describe('response headers', () => {
  it('our answers carry nosniff, and token answers no-store', async () => {
    const { accessToken } = await victim();
    const answers = [
      await post('/auth/login', { email: uniqueEmail('h'), password: 'whatever password' }),
      await get('/auth/me', bearer(accessToken)),
      await get('/.well-known/jwks.json'),
      await post('/auth/refresh', { refreshToken: 'x' }),
    ];
    for (const a of answers) expect(a.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answers[1]!.headers.get('cache-control')).toBe('no-store');
  });

  it('a __proto__ payload changes nothing', async () => {
    const email = uniqueEmail('proto');
    const answer = await post('/auth/register', JSON.parse(`{"email":"${email}","password":"correct horse battery","__proto__":{"roles":["admin"]},"constructor":{"prototype":{"roles":["admin"]}}}`));
    expect(answer.status).toBe(201);
    expect(answer.body.user.roles).toEqual(['user']);
  });
});
