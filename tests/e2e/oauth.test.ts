/**
 * The OAuth surface over HTTP: POST /oauth2/token (RFC 6749 §6) and POST /oauth2/revoke (RFC 7009),
 * as the issuer metadata advertises them, on a gateway of this file's own with short bounds: a
 * 4 s grace window (wide enough for a retry one request later on a loaded machine, short enough
 * to step past) and a 1 s live cache at the authorizer, so a revoked session's access token is
 * refused once that second has passed (offline has no gateway result cache).
 *
 * Two OAuth libraries nobody here wrote, openid-client and oauth4webapi, discover the issuer and
 * refresh and revoke with their own fetch. Both refuse http:// issuers unless told otherwise;
 * their documented `allowInsecureRequests` switch is the only concession made to the local stack
 * (it lets them speak http, nothing else about the requests changes).
 */
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { startFileGateway, type TestGateway } from '../helpers/gateway';
import { bearer, call, expectDenied, warm, type Answer } from '../helpers/http';

const GRACE_SECONDS = 4;
const LIVE_CACHE_SECONDS = 1;
const PASSWORD = 'correct horse battery';
const CLIENT_ID = 'lambda-jwt-auth';
const APP = 'http://localhost:5173';
const EVIL = 'https://evil.example';
const COOKIE = '__Host-refresh_token';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
let offline: TestGateway | undefined;

beforeAll(async () => {
  offline = await startFileGateway({
    REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS),
    AUTHORIZER_LIVE_CACHE_SECONDS: String(LIVE_CACHE_SECONDS),
    LOG_LEVEL: 'silent',
  });
  // The first request to each OAuth function of this fresh gateway is one that changes nothing:
  // the local gateway has cut the connection of a function's first request now and then, and the
  // shared helper then sends the request again, which for a refresh grant would present a token
  // the first attempt may have spent.
  await warm([
    { method: 'POST', path: '/oauth2/token', body: 'grant_type=refresh_token&refresh_token=warm-up&client_id=lambda-jwt-auth', headers: FORM, base: offline.url },
    { method: 'POST', path: '/oauth2/revoke', body: 'token=warm-up&client_id=lambda-jwt-auth', headers: FORM, base: offline.url },
  ]);
}, 120_000);

afterAll(async () => {
  await offline?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pastTheGrace = () => sleep((GRACE_SECONDS + 0.5) * 1000);
const pastTheBound = () => sleep(LIVE_CACHE_SECONDS * 1000 + 300);

const form = (route: string, params: Record<string, string>, headers: Record<string, string> = {}) =>
  call('POST', route, { body: new URLSearchParams(params).toString(), headers: { ...FORM, ...headers }, base: offline!.url });
const token = (params: Record<string, string>, headers?: Record<string, string>) => form('/oauth2/token', params, headers);
const revoke = (params: Record<string, string>, headers?: Record<string, string>) => form('/oauth2/revoke', params, headers);
const grant = (refreshToken: string) => token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID });
const send = (method: string, route: string, options: { json?: unknown; headers?: Record<string, string> } = {}) =>
  call(method, route, { ...options, base: offline!.url });

async function signIn(): Promise<{ accessToken: string; refreshToken: string }> {
  const answer = await send('POST', '/auth/register', { json: { email: uniqueEmail('oauth'), password: PASSWORD } });
  expect(answer.status).toBe(201);
  return answer.body;
}

async function expectWorks(accessToken: string): Promise<void> {
  expect((await send('GET', '/example/hello', { headers: bearer(accessToken) })).status, 'the access token should still work').toBe(200);
}

/** RFC 6749 §5.2: a flat `{error, error_description}`, never this API's nested body, never cached. */
function expectOAuthError(answer: Answer, status: number, error: string): string {
  expect(answer.status).toBe(status);
  expect(Object.keys(answer.body).sort()).toEqual(['error', 'error_description']);
  expect(answer.body.error).toBe(error);
  expect(typeof answer.body.error_description).toBe('string');
  expect(answer.headers.get('cache-control')).toBe('no-store');
  expect(answer.headers.get('pragma')).toBe('no-cache');
  return answer.body.error_description;
}

describe('POST /oauth2/token (RFC 6749 §6)', () => {
  it('refreshes a form-encoded grant and rotates: RFC 6749 names, never cached, the old token spent for good', async () => {
    const signed = await signIn();
    const answer = await token({ grant_type: 'refresh_token', refresh_token: signed.refreshToken });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('pragma')).toBe('no-cache');
    expect(answer.body.refresh_token).not.toBe(signed.refreshToken);
    await expectWorks(answer.body.access_token);
    // The successor rotates in turn, with client_id as OAuth libraries send it.
    const next = await grant(answer.body.refresh_token);
    expect(next.status).toBe(200);
    expect(next.body.refresh_token).not.toBe(answer.body.refresh_token);
  });

  it('answers a JSON body with invalid_request, in the flat RFC 6749 shape rather than the nested one', async () => {
    const signed = await signIn();
    const answer = await send('POST', '/oauth2/token', { json: { grant_type: 'refresh_token', refresh_token: signed.refreshToken } });
    expect(expectOAuthError(answer, 400, 'invalid_request')).toMatch(/x-www-form-urlencoded/);
    expect(answer.body.error).not.toHaveProperty('code');
    // Nothing was consumed.
    expect((await grant(signed.refreshToken)).status).toBe(200);
  });

  it('answers unsupported_grant_type for any grant but refresh_token', async () => {
    for (const grantType of ['password', 'authorization_code', 'client_credentials', 'REFRESH_TOKEN']) {
      expectOAuthError(await token({ grant_type: grantType, refresh_token: 'x.y' }), 400, 'unsupported_grant_type');
    }
  });

  it('answers invalid_request for a missing grant_type or refresh_token, or a parameter sent twice', async () => {
    const signed = await signIn();
    expectOAuthError(await token({ refresh_token: signed.refreshToken }), 400, 'invalid_request');
    expect(expectOAuthError(await token({ grant_type: 'refresh_token', refresh_token: '' }), 400, 'invalid_request')).toMatch(/refresh_token is required/);
    const twice = `grant_type=refresh_token&refresh_token=${signed.refreshToken}&refresh_token=other.token`;
    const repeated = await call('POST', '/oauth2/token', { body: twice, headers: FORM, base: offline!.url });
    expect(expectOAuthError(repeated, 400, 'invalid_request')).toMatch(/refresh_token must not be sent more than once/);
    expect((await grant(signed.refreshToken)).status).toBe(200);
  });

  it('answers invalid_grant for an unknown, malformed or forged refresh token', async () => {
    const signed = await signIn();
    const [id] = signed.refreshToken.split('.');
    for (const presented of ['nonsense', 'AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', `${id}.${'A'.repeat(43)}`]) {
      expectOAuthError(await grant(presented), 400, 'invalid_grant');
    }
  });

  it('answers 401 invalid_client, with no Bearer challenge, for another client_id or any client credential', async () => {
    const signed = await signIn();
    const base = { grant_type: 'refresh_token', refresh_token: signed.refreshToken };
    for (const answer of [
      await token({ ...base, client_id: 'someone-else' }),
      await token({ ...base, client_id: CLIENT_ID, client_secret: 'guessed' }),
      await token(base, { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:guessed`).toString('base64')}` }),
    ]) {
      expectOAuthError(answer, 401, 'invalid_client');
      expect(answer.headers.get('www-authenticate')).toBeNull();
    }
    expect((await grant(signed.refreshToken)).status).toBe(200);
  });

  it('answers invalid_scope for a scope parameter: the scope follows the roles', async () => {
    const signed = await signIn();
    expectOAuthError(await token({ grant_type: 'refresh_token', refresh_token: signed.refreshToken, scope: 'role:admin' }), 400, 'invalid_scope');
    expect((await grant(signed.refreshToken)).status).toBe(200);
  });

  it('answers a retry within the grace window with the same successor, at either endpoint', async () => {
    const signed = await signIn();
    const first = await grant(signed.refreshToken);
    expect(first.status).toBe(200);
    const retry = await grant(signed.refreshToken);
    expect(retry.status).toBe(200);
    expect(retry.body.refresh_token).toBe(first.body.refresh_token);
    const retryThere = await send('POST', '/auth/refresh', { json: { refreshToken: signed.refreshToken } });
    expect(retryThere.status).toBe(200);
    expect(retryThere.body.refreshToken).toBe(first.body.refresh_token);
  });

  it('detects reuse as /auth/refresh does: a replay after the grace window is invalid_grant and revokes the whole session', async () => {
    const signed = await signIn();
    const rotated = await grant(signed.refreshToken);
    expect(rotated.status).toBe(200);
    await pastTheGrace();
    expect(expectOAuthError(await grant(signed.refreshToken), 400, 'invalid_grant')).toMatch(/already used; the session has been revoked/);
    // The successor dies with its session, and the session's access tokens with it.
    expectOAuthError(await grant(rotated.body.refresh_token), 400, 'invalid_grant');
    await pastTheBound();
    expectDenied(await send('GET', '/example/hello', { headers: bearer(rotated.body.access_token) }), 'the reused session\'s access token');
  });

  it('attack: a refresh token replayed at the OAuth endpoint after its rotation at /auth/refresh is reuse, and ends the session', async () => {
    const signed = await signIn();
    const rotated = await send('POST', '/auth/refresh', { json: { refreshToken: signed.refreshToken } });
    expect(rotated.status).toBe(200);
    await pastTheGrace();
    expect(expectOAuthError(await grant(signed.refreshToken), 400, 'invalid_grant')).toMatch(/already used/);
    const successor = await send('POST', '/auth/refresh', { json: { refreshToken: rotated.body.refreshToken } });
    expect(successor.status).toBe(401);
    expect(successor.body.error.code).toBe('invalid_refresh_token');
  });

  it('attack: a refresh token replayed at /auth/refresh after its rotation at the OAuth endpoint is reuse, and ends the session', async () => {
    const signed = await signIn();
    const rotated = await grant(signed.refreshToken);
    expect(rotated.status).toBe(200);
    await pastTheGrace();
    const replay = await send('POST', '/auth/refresh', { json: { refreshToken: signed.refreshToken } });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('refresh_token_reused');
    expectOAuthError(await grant(rotated.body.refresh_token), 400, 'invalid_grant');
  });

  describe('cookie mode', () => {
    const setCookie = (answer: Answer) => answer.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`));
    const cookieOf = (answer: Answer) => setCookie(answer)!.slice(COOKIE.length + 1).split(';')[0]!;

    async function cookieSignIn(): Promise<string> {
      const answer = await send('POST', '/auth/register', {
        json: { email: uniqueEmail('oauth-cookie'), password: PASSWORD },
        headers: { 'x-auth-transport': 'cookie', origin: APP },
      });
      expect(answer.status).toBe(201);
      return cookieOf(answer);
    }

    it('reads the refresh token from the cookie and sets its successor there, never in the body', async () => {
      const presented = await cookieSignIn();
      const answer = await token({ grant_type: 'refresh_token' }, { 'x-auth-transport': 'cookie', origin: APP, cookie: `${COOKIE}=${presented}` });
      expect(answer.status).toBe(200);
      expect(answer.body).not.toHaveProperty('refresh_token');
      expect(cookieOf(answer)).not.toBe(presented);
      const attributes = setCookie(answer)!.toLowerCase().split(';').map((a) => a.trim());
      expect(attributes).toEqual(expect.arrayContaining(['httponly', 'secure', 'path=/']));
      // The successor in the cookie is the live one.
      expect((await grant(cookieOf(answer))).status).toBe(200);
    });

    it('attack: a cross-site form post to /oauth2/token relying on the refresh cookie is refused and rotates nothing', async () => {
      const presented = await cookieSignIn();
      const answer = await token({ grant_type: 'refresh_token' }, { origin: EVIL, cookie: `${COOKIE}=${presented}` });
      expect(expectOAuthError(answer, 400, 'invalid_request')).toMatch(/X-Auth-Transport/);
      expect((await grant(presented)).status).toBe(200);
    });

    it('attack: a cross-site form post to /oauth2/revoke with the victim\'s refresh cookie logs nobody out', async () => {
      const presented = await cookieSignIn();
      const answer = await revoke({ token_type_hint: 'refresh_token' }, { origin: EVIL, cookie: `${COOKIE}=${presented}` });
      expect(expectOAuthError(answer, 400, 'invalid_request')).toMatch(/X-Auth-Transport/);
      expect((await grant(presented)).status).toBe(200);
    });
  });
});

describe('POST /oauth2/revoke (RFC 7009)', () => {
  it('revoking a refresh token ends its session: 200 with no body, refresh fails, the authorizer refuses its access token', async () => {
    const signed = await signIn();
    const other = await signIn();
    await expectWorks(signed.accessToken);
    const answer = await revoke({ token: signed.refreshToken, token_type_hint: 'refresh_token', client_id: CLIENT_ID });
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expectOAuthError(await grant(signed.refreshToken), 400, 'invalid_grant');
    await pastTheBound();
    expectDenied(await send('GET', '/example/hello', { headers: bearer(signed.accessToken) }), 'the revoked session\'s access token');
    await expectWorks(other.accessToken);
  });

  it('revoking an access token ends its session the same way, whatever the hint says', async () => {
    const signed = await signIn();
    await expectWorks(signed.accessToken);
    expect((await revoke({ token: signed.accessToken, token_type_hint: 'refresh_token' })).status).toBe(200);
    expectOAuthError(await grant(signed.refreshToken), 400, 'invalid_grant');
    await pastTheBound();
    expectDenied(await send('GET', '/example/hello', { headers: bearer(signed.accessToken) }), 'the revoked session\'s access token');
  });

  it('answers 200 for an unknown, malformed or already revoked token, and for an unknown hint', async () => {
    const signed = await signIn();
    for (const presented of ['nonsense', 'AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', 'a.b.c']) {
      const answer = await revoke({ token: presented, token_type_hint: 'something_else' });
      expect(answer.status).toBe(200);
      expect(answer.text).toBe('');
    }
    expect((await revoke({ token: signed.refreshToken })).status).toBe(200);
    expect((await revoke({ token: signed.refreshToken })).status).toBe(200);
  });

  it('answers invalid_request without a token, invalid_client for another client, and a JSON body with invalid_request', async () => {
    const signed = await signIn();
    expectOAuthError(await revoke({ token_type_hint: 'refresh_token' }), 400, 'invalid_request');
    expectOAuthError(await revoke({ token: signed.refreshToken, client_id: 'someone-else' }), 401, 'invalid_client');
    expectOAuthError(await send('POST', '/oauth2/revoke', { json: { token: signed.refreshToken } }), 400, 'invalid_request');
    // None of them revoked anything.
    expect((await grant(signed.refreshToken)).status).toBe(200);
  });

  it('attack: a forged access token (our claims, not our signature) at /oauth2/revoke ends no session', async () => {
    const signed = await signIn();
    const [header, payload] = signed.accessToken.split('.') as [string, string];
    const forged = `${header}.${payload}.${Buffer.from('not our signature').toString('base64url')}`;
    expect((await revoke({ token: forged })).status).toBe(200);
    await pastTheBound();
    await expectWorks(signed.accessToken);
    expect((await grant(signed.refreshToken)).status).toBe(200);
  });
});

describe('OAuth client libraries, through the discovered metadata, with no custom fetch', () => {
  const issuer = () => new URL(offline!.url.replace('127.0.0.1', 'localhost'));

  it('serves exactly what the metadata advertises', async () => {
    const metadata = (await send('GET', '/.well-known/oauth-authorization-server')).body;
    expect(metadata).toMatchObject({
      token_endpoint: `${metadata.issuer}/oauth2/token`,
      revocation_endpoint: `${metadata.issuer}/oauth2/revoke`,
      grant_types_supported: ['refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      response_types_supported: [],
    });
    expect(metadata).not.toHaveProperty('authorization_endpoint');
    expect(metadata).not.toHaveProperty('introspection_endpoint');
  });

  it('openid-client: refreshTokenGrant rotates, tokenRevocation ends the session, a refresh after it is invalid_grant', async () => {
    const signed = await signIn();
    const config = await openid.discovery(issuer(), CLIENT_ID, undefined, openid.None(), { execute: [openid.allowInsecureRequests] });
    expect(config.serverMetadata().token_endpoint).toBe(`${config.serverMetadata().issuer}/oauth2/token`);
    const tokens = await openid.refreshTokenGrant(config, signed.refreshToken);
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 900 });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    await expectWorks(tokens.access_token);
    await openid.tokenRevocation(config, tokens.refresh_token!);
    await expect(openid.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('oauth4webapi: refreshTokenGrantRequest rotates, revocationRequest ends the session, a refresh after it is invalid_grant', async () => {
    const signed = await signIn();
    const insecure = { [oauth.allowInsecureRequests]: true } as const;
    const as = await oauth.processDiscoveryResponse(issuer(), await oauth.discoveryRequest(issuer(), { ...insecure, algorithm: 'oauth2' }));
    const client: oauth.Client = { client_id: CLIENT_ID };
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), signed.refreshToken, insecure),
    );
    expect(refreshed.token_type).toBe('bearer');
    await expectWorks(refreshed.access_token);
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, oauth.None(), refreshed.refresh_token!, insecure));
    const after = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshed.refresh_token!, insecure);
    await expect(oauth.processRefreshTokenResponse(as, client, after)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
