/// <reference lib="dom" />
/**
 * The client's passkey flows (the `/passkeys` entry, client/src/passkeys.ts) and federated
 * sign-in against the real local API, in cookie mode through tests/helpers/client-fetch.ts (every
 * answer checked against docs/openapi.yaml there).
 *
 * Node has no `navigator.credentials`: the passkey flows get the software authenticator of
 * tests/helpers/soft-authenticator.ts through their `webauthn` option, in place of
 * `@simplewebauthn/browser`'s ceremonies. Everything else is the client's own code against the
 * real API: options, verification, step-up, sessions. The browser's own ceremony runs in Chromium
 * in the demo's browser tests.
 */
import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthClient, isAuthError, readLanding, type AuthClient, type AuthError } from '../../client/src/index';
import { createPasskeys, type WebAuthnCeremonies } from '../../client/src/passkeys';
import { testDeps, uniqueEmail } from '../helpers/deps';
import { APP_ORIGIN, APP_REDIRECT, apiBase, callback, followProvider, landing } from '../helpers/federation';
import { testFetch, type TestFetch } from '../helpers/client-fetch';
import { SoftAuthenticator } from '../helpers/soft-authenticator';

const PASSWORD = 'correct horse battery';
const jars: TestFetch[] = [];

/** A cookie-mode client on the API's `localhost` name (the providers' redirect URIs use it; cookies are per host). */
function client(jar = testFetch(APP_ORIGIN)): { auth: AuthClient; jar: TestFetch } {
  jars.push(jar);
  return { auth: createAuthClient({ baseUrl: apiBase(), fetch: jar.fetch }), jar };
}

/** The software authenticator as the passkey flows' ceremonies (what a browser with a platform authenticator does). */
function softCeremonies(authenticator: SoftAuthenticator): Partial<WebAuthnCeremonies> {
  return {
    startRegistration: async ({ optionsJSON }) => authenticator.create(optionsJSON).response,
    startAuthentication: async ({ optionsJSON }) => authenticator.get(optionsJSON),
    supported: () => true,
    autofillSupported: async () => true,
  };
}

async function failure(promise: Promise<unknown>): Promise<AuthError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isAuthError(outcome), `expected an AuthError, got ${String(outcome)}`).toBe(true);
  return outcome as AuthError;
}

const claimsOf = (accessToken: string) => JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8'));

/** Moves the session's authentication an hour back, so step-up operations ask for a fresh one. */
async function ageSession(auth: AuthClient): Promise<void> {
  const { doc, config } = testDeps();
  const sid = claimsOf(await auth.accessToken()).sid;
  await doc.send(new UpdateCommand({ TableName: config.sessionsTable, Key: { pk: `SESSION#${sid}` }, UpdateExpression: 'SET authTime = authTime - :hour', ExpressionAttributeValues: { ':hour': 3600 } }));
  expect(await auth.refresh()).toBe(true);
}

afterEach(() => {
  for (const jar of jars.splice(0)) expect(jar.problems).toEqual([]);
});

describe('client passkeys', () => {
  it('registers a passkey, completes a password sign-in with it, signs in with it alone, reauthenticates with it, lists and removes it', async () => {
    const { auth } = client();
    const email = uniqueEmail('client-passkey');
    await auth.register({ email, password: PASSWORD });
    const authenticator = new SoftAuthenticator(APP_ORIGIN);
    const passkeys = createPasskeys(auth, { webauthn: softCeremonies(authenticator) });

    const added = await passkeys.register({ name: 'Laptop' });
    expect(added).toMatchObject({ type: 'passkey', name: 'Laptop' });
    expect(await passkeys.list()).toEqual([expect.objectContaining({ id: added.id, name: 'Laptop', lastUsedAt: null })]);
    await auth.logout();

    // The password alone now answers mfaRequired, listing the passkey; the passkey completes it.
    const first = await auth.login({ email, password: PASSWORD });
    if (first.status !== 'mfaRequired') throw new Error('expected the second step');
    expect(first.factors).toEqual([{ id: added.id, type: 'passkey' }]);
    expect((await passkeys.verifySecondFactor({ mfaToken: first.mfaToken })).email).toBe(email);
    expect(claimsOf(await auth.accessToken())).toMatchObject({ acr: 'aal2' });

    // Another browser, no email typed: the discoverable credential names the user.
    const { auth: elsewhere } = client();
    const signedIn = await createPasskeys(elsewhere, { webauthn: softCeremonies(authenticator) }).signIn();
    expect(signedIn).toEqual({ status: 'signedIn', user: expect.objectContaining({ email }) });
    expect(claimsOf(await elsewhere.accessToken())).toMatchObject({ acr: 'aal2', amr: expect.arrayContaining(['mfa']) });

    // Step-up with the passkey alone lets a step-up operation through.
    await ageSession(auth);
    expect(await failure(passkeys.register({ name: 'Phone' }))).toMatchObject({ code: 'insufficient_user_authentication', needsReauthentication: true });
    await passkeys.reauthenticate();
    expect(claimsOf(await auth.accessToken())).toMatchObject({ acr: 'aal2' });
    await passkeys.remove(added.id);
    expect(await passkeys.list()).toEqual([]);
    expect(await auth.login({ email, password: PASSWORD })).toMatchObject({ status: 'signedIn' });
  });

  it('a step-up refusal comes before the browser is asked anything', async () => {
    const { auth, jar } = client();
    await auth.register({ email: uniqueEmail('passkey-step-up'), password: PASSWORD });
    await ageSession(auth);
    let ceremonies = 0;
    const passkeys = createPasskeys(auth, {
      webauthn: {
        ...softCeremonies(new SoftAuthenticator(APP_ORIGIN)),
        startRegistration: async () => {
          ceremonies += 1;
          throw new Error('not reached');
        },
      },
    });
    const refused = await failure(passkeys.register());
    expect(refused).toMatchObject({ code: 'insufficient_user_authentication', needsReauthentication: true, stepUp: { maxAge: 300 } });
    expect(ceremonies).toBe(0);
    expect(jar.count('POST /auth/passkeys/register/verify')).toBe(0);
  });

  it('a ceremony the user cancels is passkey_cancelled, and nothing is sent to the API', async () => {
    const { auth, jar } = client();
    await auth.register({ email: uniqueEmail('passkey-cancel'), password: PASSWORD });
    const refuse = async (): Promise<never> => {
      throw new DOMException('The operation either timed out or was not allowed.', 'NotAllowedError');
    };
    const passkeys = createPasskeys(auth, { webauthn: { ...softCeremonies(new SoftAuthenticator(APP_ORIGIN)), startRegistration: refuse, startAuthentication: refuse } });
    expect(await failure(passkeys.register())).toMatchObject({ code: 'passkey_cancelled' });
    expect(await failure(passkeys.signIn())).toMatchObject({ code: 'passkey_cancelled' });
    expect(jar.count('POST /auth/passkeys/register/verify') + jar.count('POST /auth/passkeys/login/verify')).toBe(0);
  });

  it('autofill (conditional UI) waits for the user and is abortable: an abort cancels the ceremony and signs nobody in', async () => {
    const { auth, jar } = client();
    const email = uniqueEmail('passkey-autofill');
    await auth.register({ email, password: PASSWORD });
    const authenticator = new SoftAuthenticator(APP_ORIGIN);
    await createPasskeys(auth, { webauthn: softCeremonies(authenticator) }).register();
    await auth.logout();

    // A browser's conditional mediation: the ceremony stays pending until the user picks a
    // passkey (`pick`) or the page cancels it (cancelCeremony rejects it with an AbortError).
    let pick: (() => void) | undefined;
    let cancelled = 0;
    let reject: ((err: unknown) => void) | undefined;
    const autofill: Partial<WebAuthnCeremonies> = {
      ...softCeremonies(authenticator),
      startAuthentication: ({ optionsJSON, useBrowserAutofill }) => {
        expect(useBrowserAutofill).toBe(true);
        return new Promise((resolve, rejectWith) => {
          pick = () => resolve(authenticator.get(optionsJSON));
          reject = rejectWith;
        });
      },
      cancelCeremony: () => {
        cancelled += 1;
        reject?.(new DOMException('Manually cancelling existing WebAuthn API call', 'AbortError'));
      },
    };
    const passkeys = createPasskeys(auth, { webauthn: autofill });

    const controller = new AbortController();
    const waiting = passkeys.signInWithAutofill({ signal: controller.signal });
    await expect.poll(() => pick !== undefined, { timeout: 30_000 }).toBe(true);
    controller.abort();
    expect(await failure(waiting)).toMatchObject({ code: 'passkey_cancelled' });
    expect(cancelled).toBe(1);
    expect(jar.count('POST /auth/passkeys/login/verify')).toBe(0);
    expect(auth.signedIn()).toBe(false);

    pick = undefined;
    const second = passkeys.signInWithAutofill({ signal: new AbortController().signal });
    await expect.poll(() => pick !== undefined, { timeout: 30_000 }).toBe(true);
    pick!();
    expect(await second).toEqual({ status: 'signedIn', user: expect.objectContaining({ email }) });

    const unsupported = createPasskeys(auth, { webauthn: { ...softCeremonies(authenticator), autofillSupported: async () => false } });
    expect(await failure(unsupported.signInWithAutofill())).toMatchObject({ code: 'passkey_unsupported' });
  });
});

/**
 * The browser's part of a federated flow: it opens `url` (our authorize endpoint, or the
 * provider's URL a link answered), follows the provider to our callback with `flowCookie`, and
 * lands on the app's page. Returns the landing URL the app reads.
 */
async function browse(url: string, flowCookie?: string): Promise<string> {
  let cookie = flowCookie;
  let target = new URL(url);
  if (target.origin === apiBase()) {
    const start = await fetch(target, { redirect: 'manual' });
    expect(start.status, await start.clone().text()).toBe(302);
    cookie = start.headers.getSetCookie().find((c) => c.startsWith('__Host-oauth_flow='))!.split(';')[0]!;
    target = new URL(start.headers.get('location')!);
  }
  const leg = await followProvider(target, cookie!);
  return landing(await callback(leg)).url.href;
}

const fedAddress = (tag: string) => `client-fed-${tag}-${randomUUID().slice(0, 8)}@example.com`;

describe('client federated sign-in', () => {
  it('builds the authorize URL, turns the landing code into a session, links and unlinks an identity, and reports errors as typed results', async () => {
    const { auth, jar } = client();
    const email = fedAddress('new');
    const authorizeUrl = auth.federation.authorizeUrl('local', { redirectUri: APP_REDIRECT, loginHint: email });
    expect(authorizeUrl).toBe(`${apiBase()}/auth/oauth/local/authorize?redirect_uri=${encodeURIComponent(APP_REDIRECT)}&login_hint=${encodeURIComponent(email)}`);

    const landed = await browse(authorizeUrl);
    expect(readLanding(landed)).toEqual({ status: 'code', code: expect.any(String) });
    const result = await auth.federation.completeLanding(landed);
    expect(result).toEqual({ status: 'signedIn', user: expect.objectContaining({ email, emailVerified: true }) });
    expect(jar.cookies.has('__Host-refresh_token')).toBe(true);
    expect((await auth.account.me()).identities).toEqual([{ provider: 'local', linkedAt: expect.any(String) }]);
    // The one-time code is spent.
    expect(await failure(auth.federation.completeLanding(landed))).toMatchObject({ code: 'invalid_token', status: 400 });

    // A password account links the provider (its flow cookie kept by the link request), then unlinks it.
    const { auth: owner, jar: ownerJar } = client();
    const ownerEmail = fedAddress('owner');
    await owner.register({ email: ownerEmail, password: PASSWORD });
    const providerUrl = await owner.federation.link('local', { redirectUri: APP_REDIRECT, loginHint: fedAddress('elsewhere') });
    const flowCookie = `__Host-oauth_flow=${ownerJar.cookies.get('__Host-oauth_flow')}`;
    const linkedLanding = await browse(providerUrl, flowCookie);
    expect(await owner.federation.completeLanding(linkedLanding)).toEqual({ status: 'linked', provider: 'local' });
    expect((await owner.account.me()).identities.map((i) => i.provider)).toEqual(['local']);
    await owner.federation.unlink('local');
    expect((await owner.account.me()).identities).toEqual([]);
    expect(await failure(owner.federation.unlink('local'))).toMatchObject({ code: 'not_found', status: 404 });

    // The provider identity of the first account cannot be linked to the owner: an error landing.
    const taken = await browse(await owner.federation.link('local', { redirectUri: APP_REDIRECT, loginHint: email }), `__Host-oauth_flow=${ownerJar.cookies.get('__Host-oauth_flow')}`);
    expect(await owner.federation.completeLanding(taken)).toEqual({ status: 'error', error: 'account_exists' });
    expect(await auth.federation.completeLanding(`${APP_REDIRECT}?state=x`)).toEqual({ status: 'none' });
  });

  it('a federated sign-in of a user with a second factor answers mfaRequired, completed like a login', async () => {
    const { auth } = client();
    const email = fedAddress('mfa');
    const first = await auth.federation.completeLanding(await browse(auth.federation.authorizeUrl('local', { redirectUri: APP_REDIRECT, loginHint: email })));
    expect(first.status).toBe('signedIn');
    const authenticator = new SoftAuthenticator(APP_ORIGIN);
    const passkeys = createPasskeys(auth, { webauthn: softCeremonies(authenticator) });
    await passkeys.register();
    await auth.logout();

    const again = await auth.federation.completeLanding(await browse(auth.federation.authorizeUrl('local', { redirectUri: APP_REDIRECT, loginHint: email })));
    if (again.status !== 'mfaRequired') throw new Error(`expected the second step, got ${again.status}`);
    expect(auth.signedIn()).toBe(false);
    expect((await passkeys.verifySecondFactor({ mfaToken: again.mfaToken })).email).toBe(email);
    expect(auth.signedIn()).toBe(true);
  });
});
