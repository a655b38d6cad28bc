/**
 * Every operation of docs/openapi.yaml has a method in the client package, or is named below as
 * one a browser client does not call (with the reason). A new route without either fails here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createAuthClient } from '../../client/src/index';
import { createPasskeys } from '../../client/src/passkeys';

const ROOT = path.resolve(__dirname, '..', '..');
const SRC = path.join(ROOT, 'client', 'src');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** operationId → the client method that calls it (a path in the client object). */
const COVERED: Record<string, string> = {
  register: 'register',
  login: 'login',
  federatedAuthorize: 'federation.authorizeUrl', // a browser navigation: the client builds its URL
  linkIdentity: 'federation.link',
  unlinkIdentity: 'federation.unlink',
  federatedToken: 'federation.exchangeCode',
  refresh: 'refresh',
  logout: 'logout',
  getMe: 'account.me',
  deleteMe: 'account.delete',
  changePassword: 'account.changePassword',
  forgotPassword: 'account.forgotPassword',
  resetPassword: 'account.resetPassword',
  verifyEmail: 'account.verifyEmail',
  requestEmailChange: 'account.requestEmailChange',
  confirmEmailChange: 'account.confirmEmailChange',
  resendVerificationEmail: 'account.resendVerification',
  listSessions: 'activity.sessions',
  listSecurityEvents: 'activity.events',
  revokeSession: 'activity.revokeSession',
  reauthenticate: 'mfa.reauthenticate',
  verifySecondFactor: 'verifySecondFactor',
  passkeySecondStepOptions: 'passkeys.secondFactorOptions',
  passkeyRegistrationOptions: 'passkeys.registrationOptions',
  registerPasskey: 'passkeys.verifyRegistration',
  passkeyLoginOptions: 'passkeys.signInOptions',
  signInWithPasskey: 'passkeys.verifySignIn',
  enrolTotp: 'mfa.enrolTotp',
  confirmTotp: 'mfa.confirmTotp',
  listFactors: 'mfa.factors',
  removeFactor: 'mfa.removeFactor',
  regenerateRecoveryCodes: 'mfa.regenerateRecoveryCodes',
  jwks: 'jwks',
};

/** Operations deliberately not in a browser client. */
const NOT_A_BROWSER_CLIENTS: Record<string, string> = {
  // The provider sends the browser there; the API answers with a redirect to the app's page,
  // which the client reads (`federation.readLanding` / `completeLanding`).
  federatedCallback: 'a redirect between the provider and the API',
  // OAuth 2.0 client credentials: a backend with a client secret, never a page.
  oauthToken: 'server-to-server (client secret)',
  oauthRevoke: 'server-to-server (client secret)',
  // Discovery documents, read by the services that verify tokens (aws-jwt-verify, jose ...).
  openidConfiguration: 'for token verifiers',
  oauthAuthorizationServer: 'for token verifiers',
  // The example of another API behind the authorizer, not part of the auth API.
  exampleHello: 'an example protected route',
};

interface Operation {
  id: string;
  method: string;
  path: string;
}

function operations(): Operation[] {
  const doc = parse(readFileSync(path.join(ROOT, 'docs', 'openapi.yaml'), 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>> };
  return Object.entries(doc.paths).flatMap(([route, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ id: item[m]!.operationId ?? `${m.toUpperCase()} ${route}`, method: m.toUpperCase(), path: route })),
  );
}

const methodAt = (root: object, at: string): unknown => at.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], root);

/**
 * The client's sources, where each covered route must be written: a string starting with it (or
 * following the base URL), a `{param}` as a `${...}` substitution.
 */
const sources = readdirSync(SRC)
  .filter((f) => f.endsWith('.ts') && f !== 'openapi.ts')
  .map((f) => readFileSync(path.join(SRC, f), 'utf8'))
  .join('\n');
const routePattern = (route: string) => new RegExp(`(['\`]|baseUrl\\})${route.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '\\$\\{[^`]+?\\}')}['\`?]`);

describe('client coverage of docs/openapi.yaml', () => {
  const all = operations();

  it('names every operation once: covered by a client method, or listed as not a browser client\'s', () => {
    const unaccounted = all.filter((op) => !(op.id in COVERED) && !(op.id in NOT_A_BROWSER_CLIENTS)).map((op) => `${op.id} (${op.method} ${op.path})`);
    expect(unaccounted, 'operations without a client method: add one, or list it with the reason').toEqual([]);
    expect(Object.keys(COVERED).filter((id) => id in NOT_A_BROWSER_CLIENTS)).toEqual([]);
    // No stale entries: every listed operation still exists.
    const ids = new Set(all.map((op) => op.id));
    expect([...Object.keys(COVERED), ...Object.keys(NOT_A_BROWSER_CLIENTS)].filter((id) => !ids.has(id))).toEqual([]);
  });

  it('has each covered operation\'s method on the client, and its route in the client\'s code', () => {
    const auth = createAuthClient({ baseUrl: 'https://auth.example.com' });
    const missing = Object.entries(COVERED)
      .filter(([, at]) => typeof methodAt(auth, at) !== 'function')
      .map(([id, at]) => `${id}: ${at}`);
    expect(missing).toEqual([]);
    const unwritten = all.filter((op) => op.id in COVERED && !routePattern(op.path).test(sources)).map((op) => `${op.id} (${op.path})`);
    expect(unwritten).toEqual([]);
  });

  it('runs each passkey ceremony of the /passkeys entry over those methods', () => {
    const auth = createAuthClient({ baseUrl: 'https://auth.example.com' });
    const passkeys = createPasskeys(auth);
    for (const flow of ['register', 'signIn', 'signInWithAutofill', 'verifySecondFactor', 'reauthenticate', 'list', 'remove', 'cancel', 'supported', 'autofillSupported']) {
      expect(typeof methodAt(passkeys, flow), flow).toBe('function');
    }
  });
});
