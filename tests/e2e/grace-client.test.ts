/** The refresh grace window over HTTP: a retry is shared only with the user agent that used the token first. */
import { describe, expect, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { post } from '../helpers/http';

const APP = { 'user-agent': 'ExampleApp/3.1 (Android 14)' };

describe('refresh grace window and the client', () => {
  it('a copy of the refresh token replayed by another user agent inside the grace window revokes the session', async () => {
    const reg = await post('/auth/register', { email: uniqueEmail('grace'), password: 'correct horse battery' }, APP);
    expect(reg.status).toBe(201);
    const first = await post('/auth/refresh', { refreshToken: reg.body.refreshToken }, APP);
    const retry = await post('/auth/refresh', { refreshToken: reg.body.refreshToken }, APP);
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(retry.body.refreshToken).toBe(first.body.refreshToken);

    const thief = await post('/auth/refresh', { refreshToken: reg.body.refreshToken }, { 'user-agent': 'python-requests/2.32' });
    expect(thief.status).toBe(401);
    expect(thief.body.error.code).toBe('refresh_token_reused');
    const after = await post('/auth/refresh', { refreshToken: first.body.refreshToken }, APP);
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('invalid_refresh_token');
  });
});
