/**
 * End-to-end account lifecycle over the offline gateway: the emails are read back from the SES
 * emulator's `GET /store`, exactly as a user would read them in the mail viewer.
 */
import { describe, expect, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { bearer, call, expectNoCredentials, post, warm } from '../helpers/http';
import { emailsTo, latestToken, tokenIn, waitForEmails } from '../helpers/mail';

const PASSWORD = 'correct horse battery';

async function registered(email = uniqueEmail('acct')) {
  const answer = await post('/auth/register', { email, password: PASSWORD, name: 'Ada' });
  expect(answer.status).toBe(201);
  return answer.body as { user: { id: string; email: string; emailVerified: boolean }; accessToken: string; refreshToken: string };
}

function expectError(answer: { status: number; body: any }, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.body?.error?.code).toBe(code);
  expect(typeof answer.body.error.message).toBe('string');
}

describe('email verification', () => {
  it('register sends a link to APP_URL/verify-email; POSTing its token verifies the email once', async () => {
    const { user } = await registered();
    expect(user.emailVerified).toBe(false);
    const [email] = await waitForEmails(user.email, 1);
    expect(email!.body.text).toMatch(/^http:\/\/localhost:5173\/verify-email\?token=[\w-]{43}$/m);
    const token = tokenIn(email!, 'verify-email');
    const verified = await post('/auth/email/verify', { token });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ id: user.id, email: user.email, emailVerified: true });
    expect(verified.text).not.toMatch(/passwordHash|TokenHash/);
    expectError(await post('/auth/email/verify', { token }), 400, 'invalid_token');
  });

  it('resend answers 202 {} and supersedes the previous link', async () => {
    const { user, accessToken } = await registered();
    const first = await latestToken(user.email, 'verify-email');
    const resent = await post('/auth/email/resend', undefined, bearer(accessToken));
    expect(resent.status).toBe(202);
    expect(resent.body).toEqual({});
    const second = tokenIn((await waitForEmails(user.email, 2))[1]!, 'verify-email');
    expectError(await post('/auth/email/verify', { token: first }), 400, 'invalid_token');
    expect((await post('/auth/email/verify', { token: second })).status).toBe(200);
  });

  it('resend needs an access token', async () => {
    expectNoCredentials(await call('POST', '/auth/email/resend'));
  });

  it('resend stops emailing after 3 emails in 15 minutes but still answers 202', async () => {
    const { user, accessToken } = await registered();
    for (let i = 0; i < 4; i += 1) expect((await post('/auth/email/resend', undefined, bearer(accessToken))).status).toBe(202);
    expect(await emailsTo(user.email)).toHaveLength(3);
  });

  it('refuses bad bodies with invalid_request and bad tokens with invalid_token', async () => {
    const missing = await post('/auth/email/verify', {});
    expectError(missing, 400, 'invalid_request');
    expect(missing.body.error.details).toEqual([{ field: 'token', message: 'is required' }]);
    expectError(await post('/auth/email/verify', { token: 42 }), 400, 'invalid_request');
    expectError(await post('/auth/email/verify', { token: 'x'.repeat(43) }), 400, 'invalid_token');
    expectError(await post('/auth/email/verify', { token: 'not a token' }), 400, 'invalid_token');
    expectError(await call('POST', '/auth/email/verify', { body: '{', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
  });
});

describe('password reset over HTTP', () => {
  it('forgot answers 202 {} for known and unknown emails alike; the link resets the password and ends every session', async () => {
    const { user, refreshToken } = await registered();
    const known = await post('/auth/password/forgot', { email: user.email });
    const unknown = await post('/auth/password/forgot', { email: uniqueEmail('nobody') });
    expect([known.status, known.text]).toEqual([202, '{}']);
    expect([unknown.status, unknown.text]).toEqual([202, '{}']);
    const token = await latestToken(user.email, 'reset-password');
    const weak = await post('/auth/password/reset', { token, newPassword: 'short' });
    expectError(weak, 400, 'invalid_request');
    expect(weak.body.error.details[0].field).toBe('newPassword');
    const reset = await post('/auth/password/reset', { token, newPassword: 'a brand new passphrase' });
    expect(reset.status).toBe(204);
    expectError(await post('/auth/refresh', { refreshToken }), 401, 'invalid_refresh_token');
    expectError(await post('/auth/login', { email: user.email, password: PASSWORD }), 401, 'invalid_credentials');
    expect((await post('/auth/login', { email: user.email, password: 'a brand new passphrase' })).status).toBe(200);
    expectError(await post('/auth/password/reset', { token, newPassword: 'another new passphrase' }), 400, 'invalid_token');
  });

  it('race: two concurrent resets with one token: one 204, one 400 invalid_token', async () => {
    const { user } = await registered();
    await post('/auth/password/forgot', { email: user.email });
    const token = await latestToken(user.email, 'reset-password');
    await warm([{ method: 'POST', path: '/auth/password/reset', json: {} }], 2);
    const answers = await Promise.all([
      post('/auth/password/reset', { token, newPassword: 'first new passphrase' }),
      post('/auth/password/reset', { token, newPassword: 'second new passphrase' }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([204, 400]);
    expect(answers.find((a) => a.status === 400)!.body.error.code).toBe('invalid_token');
  });
});

describe('password change over HTTP', () => {
  it('ends the other devices and keeps this one', async () => {
    const email = uniqueEmail('chg');
    const laptop = await registered(email);
    const phone = (await post('/auth/login', { email, password: PASSWORD })).body;
    const changed = await post('/auth/password/change', { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' }, bearer(laptop.accessToken));
    expect(changed.status).toBe(204);
    expectError(await post('/auth/refresh', { refreshToken: phone.refreshToken }), 401, 'invalid_refresh_token');
    expect((await post('/auth/refresh', { refreshToken: laptop.refreshToken })).status).toBe(200);
  });

  it('refuses a wrong current password with 401 invalid_credentials, and needs an access token', async () => {
    const { accessToken } = await registered();
    expectError(await post('/auth/password/change', { currentPassword: 'not my password', newPassword: 'a brand new passphrase' }, bearer(accessToken)), 401, 'invalid_credentials');
    expect((await post('/auth/password/change', { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' })).status).toBe(401);
    const bad = await post('/auth/password/change', { currentPassword: PASSWORD }, bearer(accessToken));
    expectError(bad, 400, 'invalid_request');
  });
});

describe('DELETE /auth/me over HTTP', () => {
  it('deletes the account with the password, ends its sessions and frees the email', async () => {
    const { user, accessToken, refreshToken } = await registered();
    expectError(await call('DELETE', '/auth/me', { json: { password: 'not my password' }, headers: bearer(accessToken) }), 401, 'invalid_credentials');
    const deleted = await call('DELETE', '/auth/me', { json: { password: PASSWORD }, headers: bearer(accessToken) });
    expect(deleted.status).toBe(204);
    expectError(await post('/auth/refresh', { refreshToken }), 401, 'invalid_refresh_token');
    expectError(await post('/auth/login', { email: user.email, password: PASSWORD }), 401, 'invalid_credentials');
    const again = await post('/auth/register', { email: user.email, password: PASSWORD });
    expect(again.status).toBe(201);
    expect(again.body.user.id).not.toBe(user.id);
  });
});
