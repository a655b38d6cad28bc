/**
 * Email change over HTTP, through the SES emulator: the new address confirms, the old one is told,
 * other sessions end, and only the new address signs in. Its attacks: a taken address revealed,
 * a confirmation token used twice, and an email change racing a registration of the address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../helpers/deps';
import { startFileGateway, type TestGateway } from '../helpers/gateway';
import { bearer, call, expectDenied, warm } from '../helpers/http';
import { emailsTo, latestToken, waitForEmails } from '../helpers/mail';

const PASSWORD = 'correct horse battery';
const LIVE_CACHE_SECONDS = 1;
let offline: TestGateway | undefined;

beforeAll(async () => {
  offline = await startFileGateway({
    AUTHORIZER_LIVE_CACHE_SECONDS: String(LIVE_CACHE_SECONDS),
  });
  await warm([{ method: 'POST', path: '/auth/register', json: {}, base: offline.url }, { method: 'POST', path: '/auth/email/change/confirm', json: {}, base: offline.url }], 10);
}, 240_000);

afterAll(async () => {
  await offline?.stop();
});

const send = (method: string, route: string, options: { json?: unknown; token?: string } = {}) =>
  call(method, route, { json: options.json, headers: options.token ? bearer(options.token) : {}, base: offline!.url });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function account() {
  const email = uniqueEmail('old');
  const registered = await send('POST', '/auth/register', { json: { email, password: PASSWORD } });
  expect(registered.status).toBe(201);
  return { email, accessToken: registered.body.accessToken as string, refreshToken: registered.body.refreshToken as string };
}

describe('email change', () => {
  it('the new address confirms, the old one is told, other sessions end, and only the new address signs in', async () => {
    const me = await account();
    const other = await send('POST', '/auth/login', { json: { email: me.email, password: PASSWORD } });
    const newEmail = uniqueEmail('new');
    expect((await send('POST', '/auth/email/change', { json: { newEmail }, token: me.accessToken })).status).toBe(202);
    const [notice] = (await waitForEmails(me.email, 2)).filter((e) => e.subject.includes('change of your email'));
    expect(notice?.body.text).toContain(newEmail);
    // Nothing changed yet: the old address still signs in.
    expect((await send('POST', '/auth/login', { json: { email: me.email, password: PASSWORD } })).status).toBe(200);

    const token = await latestToken(newEmail, 'confirm-email');
    const confirmed = await send('POST', '/auth/email/change/confirm', { json: { token } });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ email: newEmail, emailVerified: true });

    expect((await send('POST', '/auth/login', { json: { email: me.email, password: PASSWORD } })).status).toBe(401);
    expect((await send('POST', '/auth/login', { json: { email: newEmail, password: PASSWORD } })).status).toBe(200);
    // The session that asked stays, and its next token says the new address; the others end.
    const refreshed = await send('POST', '/auth/refresh', { json: { refreshToken: me.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(JSON.parse(Buffer.from(refreshed.body.accessToken.split('.')[1], 'base64url').toString()).email).toBe(newEmail);
    expect((await send('POST', '/auth/refresh', { json: { refreshToken: other.body.refreshToken } })).status).toBe(401);
    await sleep(LIVE_CACHE_SECONDS * 1000 + 300);
    expectDenied(await send('GET', '/example/hello', { token: other.body.accessToken }), 'an access token of a session the email change ended');
    // The old address is free for someone else.
    expect((await send('POST', '/auth/register', { json: { email: me.email, password: PASSWORD } })).status).toBe(201);
  });

  it('attack: asking for an address that is taken answers the same 202 and sends it nothing but a notice', async () => {
    const me = await account();
    const owner = await account();
    const before = (await emailsTo(owner.email)).length;
    const answer = await send('POST', '/auth/email/change', { json: { newEmail: owner.email }, token: me.accessToken });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({});
    const after = await waitForEmails(owner.email, before + 1);
    const received = after.slice(before);
    expect(received).toHaveLength(1);
    expect(received[0]!.subject).toBe('Someone tried to use your email address');
    expect(received[0]!.body.text).not.toMatch(/confirm-email\?token=/);
  });

  it('attack: a confirmation token used twice works once', async () => {
    const me = await account();
    const newEmail = uniqueEmail('twice');
    await send('POST', '/auth/email/change', { json: { newEmail }, token: me.accessToken });
    const token = await latestToken(newEmail, 'confirm-email');
    expect((await send('POST', '/auth/email/change/confirm', { json: { token } })).status).toBe(200);
    const again = await send('POST', '/auth/email/change/confirm', { json: { token } });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('invalid_token');
  });

  it('attack: an email change racing a registration of the same address: exactly one holds it', async () => {
    for (let trial = 0; trial < 5; trial += 1) {
      const me = await account();
      const contested = uniqueEmail('contested');
      await send('POST', '/auth/email/change', { json: { newEmail: contested }, token: me.accessToken });
      const token = await latestToken(contested, 'confirm-email');
      const [confirm, register] = await Promise.all([
        send('POST', '/auth/email/change/confirm', { json: { token } }),
        send('POST', '/auth/register', { json: { email: contested, password: 'someone else entirely' } }),
      ]);
      const winners = [confirm.status === 200, register.status === 201].filter(Boolean);
      expect(winners, `confirm ${confirm.status} ${confirm.text}, register ${register.status} ${register.text}`).toHaveLength(1);
      const loser = confirm.status === 200 ? register : confirm;
      expect(loser.status).toBe(409);
      expect(loser.body.error.code).toBe('email_taken');
    }
  });
});

describe('security notifications', () => {
  it('a password change, a password reset and an email change each tell the account\'s address once, with when and from where', async () => {
    const me = await account();
    const subjects = async (address: string) => (await emailsTo(address)).map((e) => e.subject);
    expect((await send('POST', '/auth/password/change', { json: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' }, token: me.accessToken })).status).toBe(204);
    await waitForEmails(me.email, 2);
    expect((await subjects(me.email)).filter((s) => s === 'Your password was changed')).toHaveLength(1);
    const changed = (await emailsTo(me.email)).find((e) => e.subject === 'Your password was changed')!;
    expect(changed.body.text).toMatch(/When: .+ From: /);

    expect((await send('POST', '/auth/password/forgot', { json: { email: me.email } })).status).toBe(202);
    const reset = await latestToken(me.email, 'reset-password');
    expect((await send('POST', '/auth/password/reset', { json: { token: reset, newPassword: 'yet another passphrase' } })).status).toBe(204);
    await waitForEmails(me.email, 4);
    expect((await subjects(me.email)).filter((s) => s === 'Your password was reset')).toHaveLength(1);

    const login = await send('POST', '/auth/login', { json: { email: me.email, password: 'yet another passphrase' } });
    const newEmail = uniqueEmail('moved');
    await send('POST', '/auth/email/change', { json: { newEmail }, token: login.body.accessToken });
    expect((await send('POST', '/auth/email/change/confirm', { json: { token: await latestToken(newEmail, 'confirm-email') } })).status).toBe(200);
    await waitForEmails(me.email, 6);
    const told = (await emailsTo(me.email)).filter((e) => e.subject === 'Your email address was changed');
    expect(told).toHaveLength(1);
    expect(told[0]!.body.text).toContain(newEmail);
    // The notices never carry a link that does something.
    for (const email of await emailsTo(me.email)) {
      if (email.subject.startsWith('Your ')) expect(email.body.text).not.toMatch(/token=/);
    }
  });
});
