/**
 * Passkeys over HTTP through the offline gateway (every answer checked against docs/openapi.yaml),
 * with the software authenticator of tests/helpers on the local configuration's origin and RP id:
 * register, list, the second step of a password sign-in, the passwordless sign-in, reauthentication,
 * a replay refused, removal. The browser runs the same ceremonies in tests/e2e/passkeys-browser.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { bearer, get, post, call } from '../helpers/http';
import { SoftAuthenticator } from '../helpers/soft-authenticator';

const PASSWORD = 'correct horse battery';
/** The local APP_URL (RP id `localhost`), one of the local CORS origins. */
const ORIGIN = 'http://localhost:5173';

const claimsOf = (accessToken: string) => JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8'));

describe('passkeys over HTTP', () => {
  it('register, list, second step after the password, passwordless sign-in, reauthenticate, replay refused, remove', async () => {
    const email = uniqueEmail('passkey-e2e');
    const registered = await post('/auth/register', { email, password: PASSWORD });
    expect(registered.status).toBe(201);
    const at = registered.body.accessToken as string;

    const options = await post('/auth/passkeys/register/options', undefined, bearer(at));
    expect(options.status).toBe(200);
    expect(options.body).toMatchObject({ rp: { id: 'localhost' }, attestation: 'none', authenticatorSelection: { userVerification: 'required' } });
    const authenticator = new SoftAuthenticator(ORIGIN);
    const { response } = authenticator.create(options.body);
    const added = await post('/auth/passkeys/register/verify', { response, name: 'Laptop' }, bearer(at));
    expect(added.status).toBe(201);
    expect(added.body.factor).toMatchObject({ type: 'passkey', name: 'Laptop' });
    // The registration's challenge is spent.
    const again = await post('/auth/passkeys/register/verify', { response }, bearer(at));
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('invalid_code');
    const listed = await get('/auth/mfa/factors', bearer(at));
    expect(listed.body.factors).toEqual([expect.objectContaining({ id: added.body.factor.id, type: 'passkey', name: 'Laptop', lastUsedAt: null })]);

    // The password alone: mfaRequired; the passkey completes it.
    const first = await post('/auth/login', { email, password: PASSWORD });
    expect(first.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String), factors: [{ id: added.body.factor.id, type: 'passkey' }] });
    const challenge = await post('/auth/mfa/challenge', { mfaToken: first.body.mfaToken });
    expect(challenge.status).toBe(200);
    expect(challenge.body.allowCredentials).toEqual([expect.objectContaining({ id: response.id })]);
    const second = await post('/auth/mfa/verify', { mfaToken: first.body.mfaToken, passkey: authenticator.get(challenge.body) });
    expect(second.status).toBe(200);
    expect(claimsOf(second.body.accessToken)).toMatchObject({ sub: registered.body.user.id, acr: 'aal2', amr: ['pwd', 'hwk', 'user', 'mfa'] });
    const badToken = await post('/auth/mfa/challenge', { mfaToken: first.body.mfaToken });
    expect(badToken.status).toBe(401);
    expect(badToken.body.error.code).toBe('invalid_mfa_token');

    // Passwordless; the same assertion again is refused.
    const loginOptions = await post('/auth/passkeys/login/options', {});
    expect(loginOptions.body).toMatchObject({ rpId: 'localhost', userVerification: 'required' });
    const assertion = authenticator.get(loginOptions.body);
    const signedIn = await post('/auth/passkeys/login/verify', { response: assertion });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user.email).toBe(email);
    expect(claimsOf(signedIn.body.accessToken)).toMatchObject({ acr: 'aal2', amr: ['hwk', 'user', 'mfa'] });
    const replayed = await post('/auth/passkeys/login/verify', { response: assertion });
    expect(replayed.status).toBe(401);
    expect(replayed.body.error.code).toBe('invalid_code');

    // Reauthenticate the session with the passkey alone.
    const reauthOptions = await post('/auth/passkeys/login/options', {});
    const reauthenticated = await post('/auth/reauthenticate', { passkey: authenticator.get(reauthOptions.body) }, bearer(signedIn.body.accessToken));
    expect(reauthenticated.status).toBe(200);
    expect(claimsOf(reauthenticated.body.accessToken)).toMatchObject({ sid: claimsOf(signedIn.body.accessToken).sid, acr: 'aal2' });

    // Remove it (step-up: a fresh aal2 token), then the password alone signs in again.
    const removed = await call('DELETE', `/auth/mfa/factors/${added.body.factor.id}`, { headers: bearer(reauthenticated.body.accessToken) });
    expect(removed.status).toBe(204);
    const plain = await post('/auth/login', { email, password: PASSWORD });
    expect(plain.status).toBe(200);
    expect(plain.body.accessToken).toEqual(expect.any(String));
  });
});
