import { describe, expect, it } from 'vitest';
import { parseRefreshGrant, parseRevocation } from '../../lib/http/oauth';

const context = { clientId: 'lambda-jwt-auth', authorization: undefined, transport: 'body' as const };
const form = (params: Record<string, string>) => Object.assign(Object.create(null), params) as Record<string, string>;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'none';
};

describe('parseRefreshGrant (RFC 6749 §6)', () => {
  it('takes refresh_token, with or without our client_id', () => {
    expect(parseRefreshGrant(form({ grant_type: 'refresh_token', refresh_token: 'a.b' }), context)).toEqual({ refreshToken: 'a.b' });
    expect(parseRefreshGrant(form({ grant_type: 'refresh_token', refresh_token: 'a.b', client_id: 'lambda-jwt-auth' }), context)).toEqual({ refreshToken: 'a.b' });
  });

  it('needs grant_type, and refresh_token is the only grant', () => {
    expect(codeOf(() => parseRefreshGrant(form({ refresh_token: 'a.b' }), context))).toBe('invalid_request');
    expect(codeOf(() => parseRefreshGrant(form({ grant_type: 'password', refresh_token: 'a.b' }), context))).toBe('unsupported_grant_type');
  });

  it('needs refresh_token in body mode, not in cookie mode (the cookie carries it)', () => {
    expect(codeOf(() => parseRefreshGrant(form({ grant_type: 'refresh_token' }), context))).toBe('invalid_request');
    expect(parseRefreshGrant(form({ grant_type: 'refresh_token' }), { ...context, transport: 'cookie' })).toEqual({ refreshToken: undefined });
  });

  it('refuses another client_id and every client credential as invalid_client: the client is public', () => {
    const grant = { grant_type: 'refresh_token', refresh_token: 'a.b' };
    expect(codeOf(() => parseRefreshGrant(form({ ...grant, client_id: 'other' }), context))).toBe('invalid_client');
    for (const name of ['client_secret', 'client_assertion', 'client_assertion_type']) {
      expect(codeOf(() => parseRefreshGrant(form({ ...grant, [name]: 'x' }), context))).toBe('invalid_client');
    }
    expect(codeOf(() => parseRefreshGrant(form(grant), { ...context, authorization: 'Basic bGFtYmRhOng=' }))).toBe('invalid_client');
  });

  it('refuses a scope: it follows the roles', () => {
    expect(codeOf(() => parseRefreshGrant(form({ grant_type: 'refresh_token', refresh_token: 'a.b', scope: 'role:user' }), context))).toBe('invalid_scope');
  });
});

describe('parseRevocation (RFC 7009 §2.1)', () => {
  it('takes token, whatever the hint', () => {
    expect(parseRevocation(form({ token: 'a.b', token_type_hint: 'whatever' }), context)).toEqual({ token: 'a.b' });
  });

  it('needs token in body mode only, and applies the client rules', () => {
    expect(codeOf(() => parseRevocation(form({}), context))).toBe('invalid_request');
    expect(parseRevocation(form({}), { ...context, transport: 'cookie' })).toEqual({ token: undefined });
    expect(codeOf(() => parseRevocation(form({ token: 'a.b', client_id: 'other' }), context))).toBe('invalid_client');
  });
});
