/**
 * Cookie mode over HTTP through serverless-offline: the refresh token travels only in the
 * HttpOnly cookie, and every forged use of that cookie is refused without changing anything.
 * The gateway's default CORS origins include the demo app's http://localhost:5173.
 */
import { describe, expect, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { call, post } from '../helpers/http';

const APP = 'http://localhost:5173';
const EVIL = 'https://evil.example';
const PASSWORD = 'correct horse battery';
const COOKIE = '__Host-refresh_token';
const cookieMode = (origin = APP) => ({ 'x-auth-transport': 'cookie', origin });

/** The attributes of a Set-Cookie line, lower-cased, one per entry. */
const attributeList = (attributes: string) => attributes.toLowerCase().split(';').map((a) => a.trim()).filter(Boolean);

/** The refresh cookie a response sets, with its attributes. */
function setCookie(headers: Headers): { value: string; attributes: string } | undefined {
  const line = headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`));
  if (!line) return undefined;
  const semi = line.indexOf(';');
  return { value: line.slice(COOKIE.length + 1, semi), attributes: line.slice(semi + 1) };
}

const sendCookie = (value: string) => ({ cookie: `${COOKIE}=${value}` });

async function cookieLogin() {
  const email = uniqueEmail('cookie');
  const registered = await post('/auth/register', { email, password: PASSWORD }, cookieMode());
  expect(registered.status).toBe(201);
  const login = await post('/auth/login', { email, password: PASSWORD }, cookieMode());
  expect(login.status).toBe(200);
  const cookie = setCookie(login.headers);
  expect(cookie).toBeDefined();
  return { email, login, token: cookie!.value };
}

/** A refresh token as any client (an attacker included) gets it, in the body. */
async function bodyModeToken(): Promise<string> {
  const answer = await post('/auth/register', { email: uniqueEmail('cookie-body'), password: PASSWORD });
  expect(answer.status).toBe(201);
  return answer.body.refreshToken as string;
}

/**
 * What a refresh with this cookie answers: '200' while the token still rotates (no attack
 * consumed or revoked it), else the status and error code, so that a revoked token is told
 * apart from a failing service.
 */
async function refreshWith(token: string): Promise<string> {
  const answer = await post('/auth/refresh', undefined, { ...cookieMode(), ...sendCookie(token) });
  return answer.status === 200 ? '200' : `${answer.status} ${answer.body?.error?.code}`;
}

describe('cookie mode', () => {
  it('login keeps the device token in an HttpOnly __Host-device cookie; the next login with it gets none', async () => {
    const { email, login } = await cookieLogin();
    const line = login.headers.getSetCookie().find((c) => c.startsWith('__Host-device='));
    expect(line).toBeDefined();
    const [pair, ...attributes] = line!.split(';');
    expect(attributeList(attributes.join(';'))).toEqual(expect.arrayContaining(['httponly', 'secure', 'samesite=strict', 'path=/']));
    expect(attributeList(attributes.join(';')).some((a) => a.startsWith('domain'))).toBe(false);
    expect(login.body).not.toHaveProperty('deviceToken');
    const again = await post('/auth/login', { email, password: PASSWORD }, { ...cookieMode(), cookie: pair! });
    expect(again.status).toBe(200);
    expect(again.headers.getSetCookie().some((c) => c.startsWith('__Host-device='))).toBe(false);
  });

  it('body mode: login answers a deviceToken the client sends back with its next login, which then gets none', async () => {
    const email = uniqueEmail('device');
    expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
    const first = await post('/auth/login', { email, password: PASSWORD });
    expect(first.body.deviceToken).toMatch(/^[\w-]{43}$/);
    const again = await post('/auth/login', { email, password: PASSWORD, deviceToken: first.body.deviceToken });
    expect(again.status).toBe(200);
    expect(again.body).not.toHaveProperty('deviceToken');
  });

  it('login sets the refresh token in an HttpOnly, Secure, SameSite __Host- cookie (Path=/, no Domain), and not in the body', async () => {
    const { login, token } = await cookieLogin();
    expect(Object.keys(login.body).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType', 'user']);
    expect(login.text).not.toContain(token);
    const cookie = setCookie(login.headers)!;
    expect(token).toMatch(/^[\w-]{22}\.[\w-]{43}$/);
    const attributes = attributeList(cookie.attributes);
    for (const attribute of ['httponly', 'secure', 'samesite=strict', 'path=/', 'max-age=604800']) expect(attributes).toContain(attribute);
    expect(attributes.filter((a) => a.startsWith('domain=') || a.startsWith('path='))).toEqual(['path=/']);
  });

  it('register in cookie mode answers 201 with the user and the cookie, no refreshToken field', async () => {
    const answer = await post('/auth/register', { email: uniqueEmail('cookie-reg'), password: PASSWORD }, cookieMode());
    expect(answer.status).toBe(201);
    expect(answer.body.refreshToken).toBeUndefined();
    expect(answer.body.user.emailVerified).toBe(false);
    expect(setCookie(answer.headers)?.value).toMatch(/^[\w-]{22}\.[\w-]{43}$/);
  });

  it('reauthenticate in cookie mode puts the session\'s replacement refresh token in the cookie, never in the body', async () => {
    const { login, token } = await cookieLogin();
    const answer = await post('/auth/reauthenticate', { password: PASSWORD }, { ...cookieMode(), authorization: `Bearer ${login.body.accessToken}` });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType']);
    const replaced = setCookie(answer.headers);
    expect(replaced?.value).toMatch(/^[\w-]{22}\.[\w-]{43}$/);
    expect(answer.text).not.toContain(replaced!.value);
    expect(await refreshWith(replaced!.value)).toBe('200');
    expect(replaced!.value).not.toBe(token);
  });

  it('reauthenticate from a foreign origin in cookie mode is refused (csrf_rejected) and changes nothing', async () => {
    const { login, token } = await cookieLogin();
    const answer = await post('/auth/reauthenticate', { password: PASSWORD }, { ...cookieMode(EVIL), authorization: `Bearer ${login.body.accessToken}` });
    expect([answer.status, answer.body?.error?.code]).toEqual([403, 'csrf_rejected']);
    expect(setCookie(answer.headers)).toBeUndefined();
    expect(await refreshWith(token)).toBe('200');
  });

  it('refresh reads the cookie, rotates it into a new cookie and answers without a refreshToken field', async () => {
    const { token } = await cookieLogin();
    const answer = await post('/auth/refresh', undefined, { ...cookieMode(), ...sendCookie(token) });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType']);
    const successor = setCookie(answer.headers)!.value;
    expect(successor).not.toBe(token);
    expect(await refreshWith(successor)).toBe('200');
  });

  it('a refused refresh cookie (its session revoked) is cleared in the 401 answer', async () => {
    const { token } = await cookieLogin();
    expect((await post('/auth/logout', { refreshToken: token })).status).toBe(204);
    const answer = await post('/auth/refresh', undefined, { ...cookieMode(), ...sendCookie(token) });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_refresh_token');
    expect(setCookie(answer.headers)?.value).toBe('');
    expect(setCookie(answer.headers)?.attributes.toLowerCase()).toContain('max-age=0');
  });

  it('refresh in cookie mode without a cookie answers 401 invalid_refresh_token', async () => {
    const answer = await post('/auth/refresh', undefined, cookieMode());
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_refresh_token');
  });

  it('logout reads the cookie, revokes its session and clears the cookie with matching attributes', async () => {
    const { token } = await cookieLogin();
    const answer = await post('/auth/logout', undefined, { ...cookieMode(), ...sendCookie(token) });
    expect(answer.status).toBe(204);
    const cleared = setCookie(answer.headers)!;
    expect(cleared.value).toBe('');
    const attributes = attributeList(cleared.attributes);
    for (const attribute of ['httponly', 'secure', 'samesite=strict', 'path=/', 'max-age=0']) expect(attributes).toContain(attribute);
    expect(await refreshWith(token)).toBe('401 invalid_refresh_token');
  });

  it('logout of the other sessions in cookie mode keeps this device\'s cookie and session', async () => {
    const { email, login, token } = await cookieLogin();
    const second = await post('/auth/login', { email, password: PASSWORD }, cookieMode());
    const otherToken = setCookie(second.headers)!.value;
    const answer = await post('/auth/logout', { scope: 'others' }, { ...cookieMode(), ...sendCookie(token), authorization: `Bearer ${login.body.accessToken}` });
    expect(answer.status).toBe(204);
    expect(setCookie(answer.headers)).toBeUndefined();
    expect(await refreshWith(otherToken)).toBe('401 invalid_refresh_token');
    expect(await refreshWith(token)).toBe('200');
  });

  it('logout in cookie mode without a cookie still answers 204 and clears the cookie', async () => {
    const answer = await post('/auth/logout', undefined, cookieMode());
    expect(answer.status).toBe(204);
    expect(setCookie(answer.headers)?.value).toBe('');
  });

  it('grants CORS with credentials to an allowed origin and to no other', async () => {
    const preflight = (origin: string) =>
      call('OPTIONS', '/auth/refresh', {
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-auth-transport' },
      });
    const allowed = await preflight(APP);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-auth-transport');
    const refused = await preflight(EVIL);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('cookie mode: CSRF attacks', () => {
  const expectRejected = (answer: { status: number; body: any }) => {
    expect(answer.status).toBe(403);
    expect(answer.body?.error?.code).toBe('csrf_rejected');
  };

  it('attack: a cross-site refresh relying on the cookie without the header is refused and rotates nothing', async () => {
    const { token } = await cookieLogin();
    expectRejected(await post('/auth/refresh', undefined, { origin: EVIL, ...sendCookie(token) }));
    expect(await refreshWith(token)).toBe('200');
  });

  it('attack: a cookie-mode refresh from a foreign origin is refused and rotates nothing', async () => {
    const { token } = await cookieLogin();
    expectRejected(await post('/auth/refresh', undefined, { ...cookieMode(EVIL), ...sendCookie(token) }));
    expect(await refreshWith(token)).toBe('200');
  });

  it('attack: a forged form post logging the victim out (text/plain, cookie attached) is refused and the session survives', async () => {
    const { token } = await cookieLogin();
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      expectRejected(await call('POST', '/auth/logout', { body: 'scope=local', headers: { 'content-type': contentType, origin: EVIL, ...sendCookie(token) } }));
    }
    expect(await refreshWith(token)).toBe('200');
  });

  it('attack: a cookie-mode login from a foreign origin is refused and sets no cookie (login CSRF)', async () => {
    const { email } = await cookieLogin();
    const answer = await post('/auth/login', { email, password: PASSWORD }, cookieMode(EVIL));
    expectRejected(answer);
    expect(setCookie(answer.headers)).toBeUndefined();
  });

  it('attack: a cookie-mode request with no Origin header at all is refused', async () => {
    const { token } = await cookieLogin();
    expectRejected(await post('/auth/refresh', undefined, { 'x-auth-transport': 'cookie', ...sendCookie(token) }));
    expect(await refreshWith(token)).toBe('200');
  });

  it('attack: cookie tossing: a refresh token planted under another name (__Secure-, unprefixed, other case) is never used in place of the victim\'s', async () => {
    // The attacker's own session: what a sibling subdomain would plant with Domain=<parent>.
    const attackers = await bodyModeToken();
    for (const name of ['__Secure-refresh_token', 'refresh_token', '__host-refresh_token', '__HOST-refresh_token']) {
      const answer = await post('/auth/refresh', undefined, { ...cookieMode(), cookie: `${name}=${attackers}` });
      // The victim's browser has no cookie of ours: signed out, not signed into the attacker's account.
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('invalid_refresh_token');
      expect(answer.body.accessToken).toBeUndefined();
      expect(setCookie(answer.headers)?.value ?? '').toBe('');
    }
    // Nothing read it: the planted token was not even consumed.
    expect(await refreshWith(attackers)).toBe('200');
  });

  it('attack: cookie tossing: two cookies of our name (one planted) are both refused and neither is consumed', async () => {
    const victims = await bodyModeToken();
    const attackers = await bodyModeToken();
    const answer = await post('/auth/refresh', undefined, { ...cookieMode(), cookie: `${COOKIE}=${attackers}; ${COOKIE}=${victims}` });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_refresh_token');
    expect(await refreshWith(victims)).toBe('200');
    expect(await refreshWith(attackers)).toBe('200');
  });
});
