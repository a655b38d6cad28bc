/**
 * Cookie mode and its CSRF defence, through the same httpHandler chain the functions use (the
 * checks run before the body is looked at). Each attack on the cookie is a test of its own.
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import {
  clearedRefreshCookie,
  cookieModeSettings,
  refreshCookie,
  refreshTokenFromCookie,
  tokenAnswer,
  type CookieModeSettings,
} from '../../lib/http/cookie-mode';
import { httpHandler, type HttpEvent } from '../../lib/http/middleware';
import { json } from '../../lib/http/responses';

const APP = 'https://app.example.com';
const settings: CookieModeSettings = { allowedOrigins: [APP, 'http://localhost:5173'], sameSite: 'Strict', maxAgeSeconds: 604_800 };
const TOKEN = 'q2v7YQ3m0cJc1x9C4p1h8w.3Jt0abcdefghijklmnopqrstuvwxyz0123456789ABC';

/** A stand-in for /auth/refresh: answers which transport the chain decided and the token it saw. */
const config = { clientIpHeader: undefined, maxBodyBytes: 16_384 };
const refreshLike = httpHandler({ config, body: 'json', cookieMode: { settings, readsCookie: true } }, async (request) =>
  json(200, { transport: request.transport, token: request.refreshCookie ?? null }),
);
const loginLike = httpHandler({ config, body: 'json', cookieMode: { settings, readsCookie: false } }, async (request) =>
  json(200, { transport: request.transport }),
);

function event(options: { headers?: Record<string, string>; cookies?: string[]; body?: string } = {}): HttpEvent {
  return {
    version: '2.0',
    routeKey: 'POST /auth/refresh',
    rawPath: '/auth/refresh',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...options.headers },
    ...(options.cookies ? { cookies: options.cookies } : {}),
    body: options.body ?? '{}',
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST', path: '/auth/refresh', sourceIp: '127.0.0.1', userAgent: 'test', protocol: 'HTTP/1.1' } },
  } as unknown as HttpEvent;
}

async function run(handler: typeof refreshLike, e: HttpEvent) {
  const result = await handler(e, {} as Context);
  return { status: result.statusCode, body: JSON.parse(result.body ?? 'null') };
}

const cookieHeaders = (origin = APP) => ({ 'x-auth-transport': 'cookie', origin });
const withCookie = [`__Host-refresh_token=${TOKEN}`];

describe('cookie mode: transport', () => {
  it('reads the refresh token from the cookie with the header and an allowed origin', async () => {
    const answer = await run(refreshLike, event({ headers: cookieHeaders(), cookies: withCookie }));
    expect(answer).toEqual({ status: 200, body: { transport: 'cookie', token: TOKEN } });
  });

  it('reads the cookie from a Cookie header too (REST API events), among other cookies', async () => {
    const answer = await run(refreshLike, event({ headers: { ...cookieHeaders(), cookie: `theme=dark; __Host-refresh_token=${TOKEN}` } }));
    expect(answer.body).toEqual({ transport: 'cookie', token: TOKEN });
  });

  it('stays in body mode without the header and without a cookie', async () => {
    expect((await run(refreshLike, event())).body).toEqual({ transport: 'body', token: null });
  });

  it('accepts the header value case-insensitively and refuses any other value with invalid_request', async () => {
    expect((await run(refreshLike, event({ headers: { ...cookieHeaders(), 'x-auth-transport': 'Cookie' }, cookies: withCookie }))).body.transport).toBe('cookie');
    const other = await run(refreshLike, event({ headers: { ...cookieHeaders(), 'x-auth-transport': 'body' } }));
    expect(other.status).toBe(400);
    expect(other.body.error.code).toBe('invalid_request');
  });

  it('lets login and register run in body mode even when the browser holds a refresh cookie', async () => {
    expect((await run(loginLike, event({ cookies: withCookie }))).body).toEqual({ transport: 'body' });
  });
});

describe('cookie mode: CSRF attacks', () => {
  const expectRejected = (answer: { status: number; body: any }) => {
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ error: { code: 'csrf_rejected', message: expect.any(String) } });
  };

  it('attack: a cross-site form post carrying the cookie (no header, form content type) is refused as csrf_rejected before any parsing', async () => {
    for (const contentType of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      expectRejected(await run(refreshLike, event({ headers: { 'content-type': contentType, origin: 'https://evil.example' }, cookies: withCookie, body: 'a=b' })));
    }
  });

  it('attack: a request relying on the cookie without the X-Auth-Transport header is refused, even from an allowed origin', async () => {
    expectRejected(await run(refreshLike, event({ headers: { origin: APP }, cookies: withCookie })));
  });

  it('attack: a cookie-mode request from an origin outside the allow-list is refused', async () => {
    expectRejected(await run(refreshLike, event({ headers: cookieHeaders('https://evil.example'), cookies: withCookie })));
  });

  it('attack: look-alike origins (suffix, prefix, other scheme or port, "null") are refused', async () => {
    for (const origin of ['https://app.example.com.evil.example', 'https://evilapp.example.com', 'http://app.example.com', 'https://app.example.com:8443', 'null', `${APP}/`]) {
      expectRejected(await run(refreshLike, event({ headers: cookieHeaders(origin), cookies: withCookie })));
    }
  });

  it('attack: a cookie-mode request without any Origin header is refused', async () => {
    expectRejected(await run(refreshLike, event({ headers: { 'x-auth-transport': 'cookie' }, cookies: withCookie })));
  });

  it('attack: a cookie-mode login from a foreign origin is refused, so no cookie is planted (login CSRF)', async () => {
    expectRejected(await run(loginLike, event({ headers: cookieHeaders('https://evil.example') })));
  });

  it('attack: a second refresh cookie of our name (a tossed one) makes neither trusted', async () => {
    const tossed = ['__Host-refresh_token=attacker.token', ...withCookie];
    expect((await run(refreshLike, event({ headers: cookieHeaders(), cookies: tossed }))).body).toEqual({ transport: 'cookie', token: null });
  });

  it('attack: cookie tossing: a refresh cookie a sibling subdomain can set (__Secure-, unprefixed, other case) is never read', async () => {
    for (const name of ['__Secure-refresh_token', 'refresh_token', '__host-refresh_token', ' __Host-refresh_tokens', 'x__Host-refresh_token']) {
      // Alone: the victim has no cookie of ours, and is not signed into the attacker's session.
      expect((await run(refreshLike, event({ headers: cookieHeaders(), cookies: [`${name}=attacker.token`] }))).body).toEqual({ transport: 'cookie', token: null });
      // Beside the victim's own: the victim's is the one read.
      expect((await run(refreshLike, event({ headers: cookieHeaders(), cookies: [`${name}=attacker.token`, ...withCookie] }))).body).toEqual({ transport: 'cookie', token: TOKEN });
    }
  });
});

describe('cookie mode: the cookie', () => {
  it('is a __Host- cookie (Secure, Path=/, no Domain: only our host can set it), HttpOnly and SameSite, for the refresh token lifetime', () => {
    const value = refreshCookie(TOKEN, settings);
    expect(value).toBe(`__Host-refresh_token=${TOKEN}; Path=/; Max-Age=604800; HttpOnly; Secure; SameSite=Strict`);
    expect(value).not.toMatch(/Domain=/i);
  });

  it('is cleared with the same name, path and attributes, already expired', () => {
    expect(clearedRefreshCookie(settings)).toBe(
      '__Host-refresh_token=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict',
    );
  });

  it('moves the refresh token out of the body into the cookies array in cookie mode only', () => {
    const tokens = { accessToken: 'a.b.c', refreshToken: TOKEN, tokenType: 'Bearer', expiresIn: 900 };
    const cookie = tokenAnswer(200, tokens, 'cookie', settings);
    expect(JSON.parse(cookie.body!)).toEqual({ accessToken: 'a.b.c', tokenType: 'Bearer', expiresIn: 900 });
    expect(cookie.cookies).toEqual([refreshCookie(TOKEN, settings)]);
    expect(cookie.body).not.toContain(TOKEN);
    const body = tokenAnswer(200, tokens, 'body', settings);
    expect(JSON.parse(body.body!)).toEqual(tokens);
    expect(body.cookies).toBeUndefined();
  });

  it('takes its origins and SameSite from the configuration, refusing "*" and unknown SameSite values', () => {
    const base = { AUTH_MODE: 'local', SIGNING_KEYS_FILE: 'x.json' };
    expect(cookieModeSettings(loadConfig(base))).toEqual({
      allowedOrigins: ['http://localhost:3000', 'http://localhost:5173'],
      sameSite: 'Strict',
      maxAgeSeconds: 604_800,
    });
    expect(loadConfig({ ...base, CORS_ALLOWED_ORIGINS: ' https://a.example , https://b.example ', REFRESH_COOKIE_SAME_SITE: 'Lax' })).toMatchObject({
      allowedOrigins: ['https://a.example', 'https://b.example'],
      refreshCookieSameSite: 'Lax',
    });
    expect(() => loadConfig({ ...base, CORS_ALLOWED_ORIGINS: '*' })).toThrow(/refused/);
    expect(() => loadConfig({ ...base, REFRESH_COOKIE_SAME_SITE: 'strictish' })).toThrow(/REFRESH_COOKIE_SAME_SITE/);
  });

  it('allows no origin in production unless CORS_ALLOWED_ORIGINS lists them', () => {
    const prod = { AUTH_MODE: 'production', ISSUER: 'https://i', AUDIENCE: 'a', SIGNING_KEYS_SECRET_ID: 's', USERS_TABLE: 'u', SESSIONS_TABLE: 's' };
    expect(loadConfig(prod).allowedOrigins).toEqual([]);
    expect(loadConfig({ ...prod, CORS_ALLOWED_ORIGINS: APP }).allowedOrigins).toEqual([APP]);
  });
});
