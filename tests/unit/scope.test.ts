import { describe, expect, it } from 'vitest';
import { scopeOf } from '../../lib/tokens/scope';

describe('scopeOf', () => {
  it('gives one role:<name> scope per role', () => {
    expect(scopeOf({ roles: ['user', 'admin'] })).toBe('role:user role:admin');
  });

  it('adds email:verified only for a verified email', () => {
    expect(scopeOf({ roles: ['user'], emailVerified: true })).toBe('role:user email:verified');
    expect(scopeOf({ roles: ['user'], emailVerified: false })).toBe('role:user');
    expect(scopeOf({ roles: ['user'] })).toBe('role:user');
  });

  it('is empty for a user with no roles and an unverified email', () => {
    expect(scopeOf({ roles: [] })).toBe('');
  });

  it('leaves out roles that are not valid scope tokens, so a role name cannot inject a scope', () => {
    // "admin email:verified" as one role name would otherwise read as two scopes.
    expect(scopeOf({ roles: ['user', 'admin email:verified', 'a"b', 'back\\slash', ''] })).toBe('role:user');
  });

  it('lists each scope once', () => {
    expect(scopeOf({ roles: ['user', 'user'] })).toBe('role:user');
  });
});
