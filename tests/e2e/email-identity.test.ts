/** Look-alike and duplicate identities over HTTP: each is refused (400) or lands on the one account (409). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { post } from '../helpers/http';

const PASSWORD = 'correct horse battery';

describe('email identity over HTTP', () => {
  it('look-alike twins of a registered address are refused (400) or recognised as the same account (409)', async () => {
    const local = `ada${randomUUID().slice(0, 8)}`;
    const email = `${local}@example.com`;
    expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(201);

    const fullwidth = [...local].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
    expect((await post('/auth/register', { email: `${fullwidth}@example.com`, password: PASSWORD })).body.error.code).toBe('email_taken');
    for (const twin of [`${email}.`, `${local}\u200b@example.com`, `${local}\u00ad@example.com`, `${local}\u202e@example.com`, `<img/src=x>${local}@example.com`, `${local}@ex\u0430mple.com`]) {
      const answer = await post('/auth/register', { email: twin, password: PASSWORD });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
    }
    // The fullwidth form signs in to the one account.
    const login = await post('/auth/login', { email: `${fullwidth}@example.com`, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.user.email).toBe(email);
  });
});
