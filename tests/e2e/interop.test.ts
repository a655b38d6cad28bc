/**
 * Verifiers nobody here wrote, pointed at the gateway over HTTP the way a resource server would
 * point them at the deployed issuer: OAuth/OIDC discovery (oauth4webapi), aws-jwt-verify against
 * the JWKS, and jose's createRemoteJWKSet. Each must accept a real access token and refuse a
 * tampered one; the discovery document must name the tokens' `iss` byte for byte.
 */
import { readFileSync } from 'node:fs';
import { JwtVerifier } from 'aws-jwt-verify';
import { JwtInvalidSignatureError } from 'aws-jwt-verify/error';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { call, get, post } from '../helpers/http';

const AUDIENCE = 'lambda-jwt-auth-local';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

async function signedIn(): Promise<{ accessToken: string }> {
  const answer = await post('/auth/register', { email: uniqueEmail('interop'), password: 'correct horse battery' });
  expect(answer.status).toBe(201);
  return answer.body;
}

/** The token with one claim changed and the signature kept: a forgery. */
function tampered(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  claims.roles = ['admin'];
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

/** aws-jwt-verify's own fetcher speaks only https; a local gateway needs a plain-fetch one. */
const httpFetcher = {
  fetch: async (uri: string) => {
    const response = await fetch(uri);
    if (!response.ok) throw new Error(`${uri} answered ${response.status}`);
    return response.arrayBuffer();
  },
};

let issuer: string;
let metadata: oauth.AuthorizationServer;
let token: string;

beforeAll(async () => {
  ({ accessToken: token } = await signedIn());
  issuer = decodeJwt(token).iss!;
  const response = await oauth.discoveryRequest(new URL(issuer), { ...insecure, algorithm: 'oidc' });
  metadata = await oauth.processDiscoveryResponse(new URL(issuer), response);
});

describe('issuer metadata', () => {
  it('is the stack URL, following the port the gateway runs on', () => {
    expect(issuer).toBe(`http://localhost:${new URL(inject('apiUrl')).port}`);
  });

  it('serves the same document at both well-known paths, with issuer byte-identical to the tokens\' iss', async () => {
    const oidc = await get('/.well-known/openid-configuration');
    const rfc8414 = await get('/.well-known/oauth-authorization-server');
    for (const answer of [oidc, rfc8414]) {
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    }
    expect(rfc8414.body).toEqual(oidc.body);
    expect(oidc.body.issuer).toBe(issuer);
    expect(oidc.body.jwks_uri).toBe(`${issuer}/.well-known/jwks.json`);
    expect(oidc.body.token_endpoint).toBe(`${issuer}/oauth2/token`);
    expect(oidc.body.revocation_endpoint).toBe(`${issuer}/oauth2/revoke`);
  });

  it('passes oauth4webapi discovery both ways (OIDC and RFC 8414)', async () => {
    const response = await oauth.discoveryRequest(new URL(issuer), { ...insecure, algorithm: 'oauth2' });
    const viaRfc8414 = await oauth.processDiscoveryResponse(new URL(issuer), response);
    expect(viaRfc8414).toEqual(metadata);
    expect(new URL(metadata.jwks_uri!).href).toBe(metadata.jwks_uri);
  });

  it('publishes a jwks_uri that answers the JWKS: the signing key first, and the next key before it signs', async () => {
    const uri = new URL(metadata.jwks_uri!);
    const jwks = await call('GET', uri.pathname, { base: uri.origin });
    expect(jwks.status).toBe(200);
    const keys = jwks.body.keys as { kid: string }[];
    const keySet = JSON.parse(readFileSync(inject('keysFile'), 'utf8')) as { keys: { kid: string; status: string }[] };
    const kidOf = (status: string) => keySet.keys.find((k) => k.status === status)?.kid;
    expect(keys[0]!.kid).toBe(decodeProtectedHeader(token).kid);
    expect(keys[0]!.kid).toBe(kidOf('current'));
    expect(keys.map((k) => k.kid)).toContain(kidOf('next'));
  });
});

describe('RFC 9068 claims', () => {
  it('carries client_id and a scope derived from the roles', () => {
    expect(decodeJwt(token)).toMatchObject({ client_id: 'lambda-jwt-auth', scope: 'role:user' });
  });
});

describe('oauth4webapi validateJwtAccessToken (RFC 9068 resource server checks)', () => {
  const request = (accessToken: string) =>
    new Request('https://api.example.com/orders', { headers: { authorization: `Bearer ${accessToken}` } });

  it('accepts our access token, checking typ at+jwt, iss, aud, exp and the required claims including client_id', async () => {
    const claims = await oauth.validateJwtAccessToken(metadata, request(token), AUDIENCE, insecure);
    expect(claims).toMatchObject({ iss: issuer, aud: AUDIENCE, client_id: 'lambda-jwt-auth' });
  });

  it('refuses a tampered token', async () => {
    await expect(oauth.validateJwtAccessToken(metadata, request(tampered(token)), AUDIENCE, insecure)).rejects.toMatchObject({
      code: oauth.INVALID_RESPONSE,
      message: 'JWT signature verification failed',
    });
  });

  it('refuses our token for another audience', async () => {
    await expect(oauth.validateJwtAccessToken(metadata, request(token), 'https://other.example.com', insecure)).rejects.toMatchObject({
      code: oauth.JWT_CLAIM_COMPARISON,
      cause: expect.objectContaining({ claim: 'aud' }),
    });
  });
});

describe('aws-jwt-verify against our JWKS', () => {
  const verifierFor = (options: { scope?: string } = {}) =>
    JwtVerifier.create(
      {
        issuer,
        audience: AUDIENCE,
        jwksUri: metadata.jwks_uri!,
        ...options,
        // aws-jwt-verify never looks at the header's typ: without this check an ID token or any
        // other JWT signed with these keys would pass as an access token.
        customJwtCheck: ({ header }) => {
          if (header.typ !== 'at+jwt') throw new Error('not an access token');
        },
      },
      { jwksCache: new SimpleJwksCache({ fetcher: httpFetcher }) },
    );

  it('accepts our access token', async () => {
    const payload = await verifierFor().verify(token);
    expect(payload).toMatchObject({ iss: issuer, client_id: 'lambda-jwt-auth', scope: 'role:user' });
  });

  it('enforces scopes from our scope claim', async () => {
    await expect(verifierFor({ scope: 'role:user' }).verify(token)).resolves.toMatchObject({ scope: 'role:user' });
    await expect(verifierFor({ scope: 'role:admin' }).verify(token)).rejects.toThrow(/scope/i);
  });

  it('refuses a tampered token', async () => {
    await expect(verifierFor().verify(tampered(token))).rejects.toBeInstanceOf(JwtInvalidSignatureError);
  });

  it('refuses a JWT signed with our key but not typed at+jwt, thanks to the typ check in customJwtCheck', async () => {
    const keySet = JSON.parse(readFileSync(inject('keysFile'), 'utf8'));
    const current = keySet.keys.find((k: { status: string }) => k.status === 'current');
    const claims = decodeJwt(token);
    const idTokenLike = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: current.kid, typ: 'JWT' })
      .sign(await importJWK(current.privateJwk, 'RS256'));
    await expect(verifierFor().verify(idTokenLike)).rejects.toThrow(/not an access token/);
  });
});

describe('jose createRemoteJWKSet from the discovered jwks_uri', () => {
  it('verifies our access token with issuer, audience and typ pinned', async () => {
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer,
      audience: AUDIENCE,
      typ: 'at+jwt',
      algorithms: ['RS256'],
      requiredClaims: ['client_id', 'scope', 'sid', 'jti'],
    });
    expect(protectedHeader.kid).toEqual(expect.any(String));
    expect(payload.sub).toEqual(expect.any(String));
  });

  it('refuses a tampered token', async () => {
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri!));
    await expect(jwtVerify(tampered(token), jwks, { issuer, audience: AUDIENCE })).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });
});
