import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { issuerMetadata } from '../../lib/issuer-metadata';

describe('issuerMetadata', () => {
  it('names the configured issuer byte for byte and absolute endpoints under it', () => {
    const doc = issuerMetadata({ issuer: 'https://auth.example.com' });
    expect(doc).toMatchObject({
      issuer: 'https://auth.example.com',
      jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
      token_endpoint: 'https://auth.example.com/oauth2/token',
      revocation_endpoint: 'https://auth.example.com/oauth2/revoke',
      grant_types_supported: ['refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      subject_types_supported: ['public'],
      scopes_supported: ['role:user', 'email:verified'],
    });
    expect(doc.claims_supported).toEqual(expect.arrayContaining(['client_id', 'scope', 'email_verified', 'sid']));
  });

  it('keeps a trailing slash in issuer (tokens carry it) without doubling it in the URLs', () => {
    const doc = issuerMetadata({ issuer: 'https://auth.example.com/v1/' });
    expect(doc.issuer).toBe('https://auth.example.com/v1/');
    expect(doc.jwks_uri).toBe('https://auth.example.com/v1/.well-known/jwks.json');
  });

  it('advertises no authorization endpoint and no response types: sign-in is POST /auth/login', () => {
    const doc = issuerMetadata({ issuer: 'https://auth.example.com' });
    expect(doc).not.toHaveProperty('authorization_endpoint');
    expect(doc.response_types_supported).toEqual([]);
  });
});

describe('ISSUER validation', () => {
  const production = {
    AUTH_MODE: 'production',
    AUDIENCE: 'https://api.example.com',
    SIGNING_KEYS_SECRET_ID: 'keys',
    USERS_TABLE: 'u',
    SESSIONS_TABLE: 's',
  };

  it.each(['auth.example.com', 'http://auth.example.com', 'https://auth.example.com/?x=1', 'https://auth.example.com/#f'])(
    'refuses %s in production: verifiers fetch <issuer>/.well-known/... over https',
    (issuer) => {
      expect(() => loadConfig({ ...production, ISSUER: issuer })).toThrow(/ISSUER/);
    },
  );

  it('accepts an https URL in production and http locally', () => {
    expect(loadConfig({ ...production, ISSUER: 'https://auth.example.com' }).issuer).toBe('https://auth.example.com');
    expect(loadConfig({ AUTH_MODE: 'local', SIGNING_KEYS_FILE: 'k.json', ISSUER: 'http://localhost:4000' }).issuer).toBe('http://localhost:4000');
  });
});
