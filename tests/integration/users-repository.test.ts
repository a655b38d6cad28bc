import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors';
import type { UserRecord } from '../../lib/repositories/users';
import { testDeps, uniqueEmail } from '../helpers/deps';

function user(email: string): UserRecord {
  return {
    id: randomUUID(),
    email,
    name: 'Test',
    roles: ['user'],
    emailVerified: false,
    createdAt: new Date().toISOString(),
    passwordHash: '$2b$04$abcdefghijklmnopqrstuuMh1c0b0N6sR8Yd8dO4bB4bSjY3kY5y6',
    credentialEpoch: 0,
    signIns: 0,
    sessionEnds: {},
    identities: [],
  };
}

describe('UsersRepository on DynamoDB Local', () => {
  const { deps, doc, config } = testDeps();

  it('creates a user with its email claim and finds it by id and by email', async () => {
    const u = user(uniqueEmail());
    await deps.users.create(u);
    expect(await deps.users.findById(u.id)).toEqual(u);
    expect(await deps.users.findByEmail(u.email)).toEqual(u);
    const claim = await doc.send(new GetCommand({ TableName: config.usersTable, Key: { pk: `EMAIL#${u.email}` } }));
    expect(claim.Item?.userId).toBe(u.id);
  });

  it('answers email_taken for a second user with the same email and writes nothing for it', async () => {
    const email = uniqueEmail();
    const first = user(email);
    await deps.users.create(first);
    const second = user(email);
    await expect(deps.users.create(second)).rejects.toMatchObject({ code: 'email_taken' });
    expect(await deps.users.findById(second.id)).toBeUndefined();
    expect((await deps.users.findByEmail(email))?.id).toBe(first.id);
  });

  it('creates exactly one user when 20 registrations of one email race', async () => {
    const email = uniqueEmail('race');
    const candidates = Array.from({ length: 20 }, () => user(email));
    const results = await Promise.allSettled(candidates.map((c) => deps.users.create(c)));
    const created = results.filter((r) => r.status === 'fulfilled');
    expect(created).toHaveLength(1);
    // Every loser lost to the winner: a throttled or failed write (service_unavailable) is a failure here.
    const losers = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(losers).toHaveLength(19);
    for (const reason of losers) {
      expect(reason).toBeInstanceOf(AppError);
      expect(reason).toMatchObject({ code: 'email_taken' });
    }
    const stored = await Promise.all(candidates.map((c) => deps.users.findById(c.id)));
    expect(stored.filter(Boolean)).toHaveLength(1);
  });

  it('returns undefined for unknown ids and emails', async () => {
    expect(await deps.users.findById(randomUUID())).toBeUndefined();
    expect(await deps.users.findByEmail(uniqueEmail('nobody'))).toBeUndefined();
  });

  it('turns a DynamoDB failure into service_unavailable', async () => {
    const { deps: broken } = testDeps({ env: { USERS_TABLE: 'no-such-table' } });
    await expect(broken.users.findById(randomUUID())).rejects.toMatchObject({ code: 'service_unavailable' });
  });
});

describe('email normalisation against DynamoDB Local', () => {
  it('treats composed and decomposed accents in an email as one account', async () => {
    const { parseRegister } = await import('../../lib/validation');
    const { register } = await import('../../lib/usecases/register');
    const { deps } = testDeps();
    const tag = randomUUID().slice(0, 8);
    const composed = parseRegister({ email: `jos\u00e9-${tag}@example.com`, password: 'correct horse battery' });
    const decomposed = parseRegister({ email: `JOSE\u0301-${tag}@example.com`, password: 'correct horse battery' });
    await register(deps, composed, { ip: undefined, userAgent: undefined });
    await expect(register(deps, decomposed, { ip: undefined, userAgent: undefined })).rejects.toMatchObject({ code: 'email_taken' });
  });
});
