/**
 * Second factors over HTTP through the offline gateway (every answer checked against
 * docs/openapi.yaml): enrol, sign out, sign in with the code, use a recovery code, regenerate the
 * codes, remove the factor. Codes are computed from the secret the enrolment returned, as an
 * authenticator app would.
 */
import { Secret } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { totpCode, totpStep } from '../../lib/mfa/totp';
import { uniqueEmail } from '../helpers/deps';
import { bearer, call, get, post } from '../helpers/http';

const PASSWORD = 'correct horse battery';

/** The JWT's claims, read without verification (the authorizer verified it on the way). */
const claimsOf = (accessToken: string) => JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8'));

describe('second factors over HTTP', () => {
  it('enrol, sign out, sign in with the code, use a recovery code, regenerate, remove the factor', async () => {
    const email = uniqueEmail('mfa-e2e');
    const registered = await post('/auth/register', { email, password: PASSWORD });
    expect(registered.status).toBe(201);
    expect(claimsOf(registered.body.accessToken)).toMatchObject({ acr: 'aal1', amr: ['pwd'], auth_time: expect.any(Number) });

    // Enrol (step-up: the registration's authentication is seconds old).
    const enrolment = await post('/auth/mfa/totp', undefined, bearer(registered.body.accessToken));
    expect(enrolment.status).toBe(201);
    expect(enrolment.body.otpauthUri).toContain(`secret=${enrolment.body.secret}`);
    const secret = Buffer.from(Secret.fromBase32(enrolment.body.secret).bytes);
    const confirmStep = totpStep(new Date());
    const confirmed = await post('/auth/mfa/totp/confirm', { factorId: enrolment.body.factor.id, code: totpCode(secret, confirmStep) }, bearer(registered.body.accessToken));
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    expect(claimsOf(confirmed.body.accessToken)).toMatchObject({ acr: 'aal2', sid: claimsOf(registered.body.accessToken).sid });
    const listed = await get('/auth/mfa/factors', bearer(confirmed.body.accessToken));
    expect(listed.body.factors).toEqual([expect.objectContaining({ id: enrolment.body.factor.id, type: 'totp' })]);

    // Sign out, then the password alone gets no token.
    expect((await post('/auth/logout', { refreshToken: confirmed.body.refreshToken })).status).toBe(204);
    const first = await post('/auth/login', { email, password: PASSWORD });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String), factors: [{ id: enrolment.body.factor.id, type: 'totp' }] });
    // The confirming code is used; the next step's code is inside the ±1 window.
    const reused = await post('/auth/mfa/verify', { mfaToken: first.body.mfaToken, code: totpCode(secret, confirmStep) });
    expect(reused.status).toBe(401);
    expect(reused.body.error.code).toBe('invalid_code');
    const signedIn = await post('/auth/mfa/verify', { mfaToken: first.body.mfaToken, code: totpCode(secret, confirmStep + 1) });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user.email).toBe(email);
    expect(claimsOf(signedIn.body.accessToken)).toMatchObject({ acr: 'aal2', amr: ['pwd', 'otp', 'mfa'] });
    const again = await post('/auth/mfa/verify', { mfaToken: first.body.mfaToken, code: totpCode(secret, confirmStep + 1) });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('invalid_mfa_token');

    // A recovery code instead of the app; usable once.
    const second = await post('/auth/login', { email, password: PASSWORD });
    const recovered = await post('/auth/mfa/verify', { mfaToken: second.body.mfaToken, recoveryCode: confirmed.body.recoveryCodes[0] });
    expect(recovered.status).toBe(200);
    expect(claimsOf(recovered.body.accessToken)).toMatchObject({ acr: 'aal2', amr: ['pwd', 'mfa'] });
    const third = await post('/auth/login', { email, password: PASSWORD });
    const spent = await post('/auth/mfa/verify', { mfaToken: third.body.mfaToken, recoveryCode: confirmed.body.recoveryCodes[0] });
    expect(spent.status).toBe(401);
    expect(spent.body.error.code).toBe('invalid_code');

    // New recovery codes (step-up: a fresh aal2 session); the old set stops working.
    const regenerated = await post('/auth/mfa/recovery-codes', undefined, bearer(recovered.body.accessToken));
    expect(regenerated.status).toBe(200);
    expect(regenerated.body.recoveryCodes).toHaveLength(10);
    const old = await post('/auth/mfa/verify', { mfaToken: third.body.mfaToken, recoveryCode: confirmed.body.recoveryCodes[1] });
    expect(old.body.error.code).toBe('invalid_code');
    const fresh = await post('/auth/mfa/verify', { mfaToken: third.body.mfaToken, recoveryCode: regenerated.body.recoveryCodes[0] });
    expect(fresh.status).toBe(200);

    // Remove the factor (step-up); the password alone signs in again, at aal1.
    const removed = await call('DELETE', `/auth/mfa/factors/${enrolment.body.factor.id}`, { headers: bearer(recovered.body.accessToken) });
    expect(removed.status).toBe(204);
    expect((await get('/auth/mfa/factors', bearer(recovered.body.accessToken))).body).toEqual({ factors: [] });
    const plain = await post('/auth/login', { email, password: PASSWORD });
    expect(plain.status).toBe(200);
    expect(claimsOf(plain.body.accessToken)).toMatchObject({ acr: 'aal1' });

    // The security activity names each factor change, and the wrong codes (written without
    // holding their answers back: give them a moment).
    await new Promise((r) => setTimeout(r, 300));
    const types = ((await get('/auth/events?limit=100', bearer(plain.body.accessToken))).body.events as { type: string }[]).map((e) => e.type);
    for (const type of ['factor_added', 'recovery_codes_issued', 'factor_removed', 'mfa_challenge_failed']) expect(types).toContain(type);
    expect(types.filter((t) => t === 'recovery_codes_issued')).toHaveLength(2);
  });

  it("attack: a factor deleted by another user answers 404 and the owner's factor stays", async () => {
    const victim = await post('/auth/register', { email: uniqueEmail('victim'), password: PASSWORD });
    const enrolment = await post('/auth/mfa/totp', undefined, bearer(victim.body.accessToken));
    const secret = Buffer.from(Secret.fromBase32(enrolment.body.secret).bytes);
    const confirmed = await post('/auth/mfa/totp/confirm', { factorId: enrolment.body.factor.id, code: totpCode(secret, totpStep(new Date())) }, bearer(victim.body.accessToken));
    expect(confirmed.status).toBe(200);
    const attacker = await post('/auth/register', { email: uniqueEmail('attacker'), password: PASSWORD });
    const answer = await call('DELETE', `/auth/mfa/factors/${enrolment.body.factor.id}`, { headers: bearer(attacker.body.accessToken) });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('not_found');
    expect((await get('/auth/mfa/factors', bearer(confirmed.body.accessToken))).body.factors).toHaveLength(1);
  });

  it('reauthentication answers tokens for the same session with a fresh auth_time; a wrong code is invalid_code', async () => {
    const email = uniqueEmail('reauth');
    const registered = await post('/auth/register', { email, password: PASSWORD });
    const wrong = await post('/auth/reauthenticate', { password: 'not the password' }, bearer(registered.body.accessToken));
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    const again = await post('/auth/reauthenticate', { password: PASSWORD }, bearer(registered.body.accessToken));
    expect(again.status).toBe(200);
    expect(claimsOf(again.body.accessToken)).toMatchObject({ sid: claimsOf(registered.body.accessToken).sid, acr: 'aal1' });
    const badCode = await post('/auth/reauthenticate', { password: PASSWORD, code: '000000' }, bearer(registered.body.accessToken));
    expect(badCode.status).toBe(401);
    expect(badCode.body.error.code).toBe('invalid_code');
  });
});
