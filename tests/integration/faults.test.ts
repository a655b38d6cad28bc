/**
 * Fault injection: DynamoDB failing at each step of each operation. Every case must answer 503
 * service_unavailable and leave the tables without half-written state.
 */
import { describe, expect, it } from 'vitest';
import { passwordLogin as login } from '../helpers/deps';
import { logout } from '../../lib/usecases/logout';
import { refresh } from '../../lib/usecases/refresh';
import { register } from '../../lib/usecases/register';
import { parseRefreshToken } from '../../lib/tokens/refresh-token';
import { issued, testDeps, uniqueEmail } from '../helpers/deps';
import { injectFault, throttling, timeout, transactionCanceled } from '../helpers/faults';

const meta = { ip: '203.0.113.50', userAgent: 'faults' };
const PASSWORD = 'correct horse battery';
const unavailable = { code: 'service_unavailable' };

async function account() {
  const ctx = testDeps();
  const email = uniqueEmail('fault');
  const first = await register(ctx.deps, { email, password: PASSWORD, name: undefined }, meta);
  return { ...ctx, email, first };
}

describe('register under DynamoDB faults', () => {
  for (const [label, error] of [
    ['throttling', throttling],
    ['a timeout', timeout],
    ['a cancelled transaction', () => transactionCanceled(['None', 'None', 'None', 'ThrottlingError'])],
  ] as const) {
    it(`answers 503 on ${label} and leaves no user, email claim or session`, async () => {
      const { deps, doc } = testDeps();
      injectFault(doc, { command: 'TransactWriteItemsCommand', error: error });
      const email = uniqueEmail('regfault');
      await expect(register(deps, { email, password: PASSWORD, name: undefined }, meta)).rejects.toMatchObject(unavailable);
      expect(await deps.users.findByEmail(email)).toBeUndefined();
      // The same email can still register afterwards: no orphaned claim blocks it.
      await expect(register(deps, { email, password: PASSWORD, name: undefined }, meta)).resolves.toEqual(issued(email));
    });
  }
});

describe('login under DynamoDB faults', () => {
  it('answers 503 when the lookup is throttled', async () => {
    const { deps, doc, email } = await account();
    injectFault(doc, { command: 'BatchGetItemCommand', error: throttling });
    await expect(login(deps, { email, password: PASSWORD }, meta)).rejects.toMatchObject(unavailable);
  });

  it('answers 503 when the user read times out (the second request) and opens no session', async () => {
    const { deps, doc, email, first } = await account();
    // The user is read with its second factors in the login's second BatchGetItem.
    injectFault(doc, { command: 'BatchGetItemCommand', error: timeout, skip: 1 });
    await expect(login(deps, { email, password: PASSWORD }, meta)).rejects.toMatchObject(unavailable);
    expect(await deps.sessions.listActiveSessionIds(first.user.id, new Date())).toHaveLength(1);
  });

  it('answers 503 when the session write fails and leaves only the sessions that existed', async () => {
    const { deps, doc, email, first } = await account();
    injectFault(doc, { command: 'TransactWriteItemsCommand', error: throttling });
    await expect(login(deps, { email, password: PASSWORD }, meta)).rejects.toMatchObject(unavailable);
    expect(await deps.sessions.listActiveSessionIds(first.user.id, new Date())).toHaveLength(1);
  });

  it('answers 503 when counting a failure fails, and the wrong password still grants nothing', async () => {
    const { deps, doc, email, first } = await account();
    injectFault(doc, { command: 'UpdateItemCommand', error: timeout });
    await expect(login(deps, { email, password: 'wrong password' }, meta)).rejects.toMatchObject(unavailable);
    expect(await deps.sessions.listActiveSessionIds(first.user.id, new Date())).toHaveLength(1);
  });
});

describe('refresh under DynamoDB faults', () => {
  it('answers 503 when the rotation write fails; the parent stays usable and no successor exists', async () => {
    const { deps, doc, first } = await account();
    const fault = injectFault(doc, { command: 'TransactWriteItemsCommand', error: throttling });
    await expect(refresh(deps, first.refreshToken)).rejects.toMatchObject(unavailable);
    const parent = await deps.sessions.getToken(parseRefreshToken(first.refreshToken)!.id);
    expect(parent?.consumedAt).toBeUndefined();
    expect(parent?.successorId).toBeUndefined();
    fault.remove();
    await expect(refresh(deps, first.refreshToken)).resolves.toEqual(issued());
  });

  it('answers 503 when the token read times out', async () => {
    const { deps, doc, first } = await account();
    injectFault(doc, { command: 'GetItemCommand', error: timeout });
    await expect(refresh(deps, first.refreshToken)).rejects.toMatchObject(unavailable);
  });

  it('retries a transaction conflict and still yields one successor', async () => {
    const { deps, doc, first } = await account();
    injectFault(doc, { command: 'TransactWriteItemsCommand', error: () => transactionCanceled(['TransactionConflict', 'None', 'None']) });
    const answer = await refresh(deps, first.refreshToken);
    const parent = await deps.sessions.getToken(parseRefreshToken(first.refreshToken)!.id);
    expect(parent?.successorId).toBe(parseRefreshToken(answer.refreshToken)!.id);
  });

  it('answers 503 when conflicts persist, with nothing consumed', async () => {
    const { deps, doc, first } = await account();
    injectFault(doc, { command: 'TransactWriteItemsCommand', error: () => transactionCanceled(['TransactionConflict', 'None', 'None']), times: 1000 });
    await expect(refresh(deps, first.refreshToken)).rejects.toMatchObject(unavailable);
    expect((await deps.sessions.getToken(parseRefreshToken(first.refreshToken)!.id))?.consumedAt).toBeUndefined();
  });
});

describe('logout under DynamoDB faults', () => {
  it('answers 503 when the revocation fails and the session stays as it was', async () => {
    const { deps, doc, first } = await account();
    injectFault(doc, { command: 'TransactWriteItemsCommand', error: throttling });
    await expect(logout(deps, { refreshToken: first.refreshToken, scope: 'local' }, undefined)).rejects.toMatchObject(unavailable);
    expect(await deps.sessions.listActiveSessionIds(first.user.id, new Date())).toHaveLength(1);
  });

  it('global: a failure while revoking leaves every session live rather than some', async () => {
    const { deps, doc, email, first } = await account();
    await login(deps, { email, password: PASSWORD }, meta);
    const third = await login(deps, { email, password: PASSWORD }, meta);
    injectFault(doc, { command: 'TransactWriteItemsCommand', error: () => transactionCanceled(['None', 'ThrottlingError', 'None']) });
    await expect(logout(deps, { refreshToken: undefined, scope: 'global' }, third.accessToken)).rejects.toMatchObject(unavailable);
    expect(await deps.sessions.listActiveSessionIds(first.user.id, new Date())).toHaveLength(3);
  });

  it('answers 503 when listing sessions fails', async () => {
    const { deps, doc, first } = await account();
    injectFault(doc, { command: 'QueryCommand', error: timeout });
    await expect(logout(deps, { refreshToken: undefined, scope: 'global' }, first.accessToken)).rejects.toMatchObject(unavailable);
  });
});
