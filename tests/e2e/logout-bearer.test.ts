/** `global` and `others` logout over HTTP need a Bearer whose session is still active. */
import { describe, expect, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { bearer, post } from '../helpers/http';

const PASSWORD = 'correct horse battery';

describe('POST /auth/logout with the Bearer of an ended session', () => {
  it('scope others with the access token of an already logged-out session answers 401 unauthorized and ends nothing', async () => {
    const email = uniqueEmail('ended');
    const first = await post('/auth/register', { email, password: PASSWORD });
    expect(first.status).toBe(201);
    const second = await post('/auth/login', { email, password: PASSWORD });
    expect(second.status).toBe(200);
    expect((await post('/auth/logout', { refreshToken: first.body.refreshToken })).status).toBe(204);

    for (const scope of ['others', 'global']) {
      const refused = await post('/auth/logout', { scope }, bearer(first.body.accessToken));
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('unauthorized');
    }
    const still = await post('/auth/refresh', { refreshToken: second.body.refreshToken });
    expect(still.status).toBe(200);
    expect(typeof still.body.refreshToken).toBe('string');
  });
});
