import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { verifyAccessToken } from '../../lib/tokens/access-token';
import { accessSettings } from '../../lib/tokens/access-settings';
import { verifyEmail } from '../../lib/usecases/email-verification';
import { refresh } from '../../lib/usecases/refresh';
import { register } from '../../lib/usecases/register';
import { latestToken } from '../helpers/mail';
import { issued, testDeps, uniqueEmail } from '../helpers/deps';

const meta = { ip: '203.0.113.30', userAgent: 'vitest/1.0' };
const PASSWORD = 'correct horse battery';
type D = ReturnType<typeof testDeps>['deps'];

const claimsOf = (deps: D, token: string) => verifyAccessToken(deps.keys, accessSettings(deps.config), token, deps.clock());

describe('claims at refresh', () => {
  it('carry email_verified false at registration and true at the first refresh after verifying', async () => {
    const { deps } = testDeps();
    const first = await register(deps, { email: uniqueEmail('claims'), password: PASSWORD, name: undefined }, meta);
    expect((await claimsOf(deps, first.accessToken)).emailVerified).toBe(false);
    await verifyEmail(deps, await latestToken(first.user.email, 'verify-email'), meta);
    const next = await refresh(deps, first.refreshToken);
    expect((await claimsOf(deps, next.accessToken)).emailVerified).toBe(true);
    // And the one after that, from the successor's own snapshot.
    expect((await claimsOf(deps, (await refresh(deps, next.refreshToken)).accessToken)).emailVerified).toBe(true);
  });

  it('carry roles set since the last refresh', async () => {
    const { deps } = testDeps();
    const first = await register(deps, { email: uniqueEmail('roles'), password: PASSWORD, name: undefined }, meta);
    await deps.users.setRoles(first.user.id, ['user', 'admin']);
    expect((await claimsOf(deps, (await refresh(deps, first.refreshToken)).accessToken)).roles).toEqual(['user', 'admin']);
  });

  it('attack: a deleted user’s refresh token keeps minting access tokens: refused, even after the email is registered again', async () => {
    const { deps, doc, config } = testDeps();
    const email = uniqueEmail('ghost');
    const victim = await register(deps, { email, password: PASSWORD, name: undefined }, meta);
    // The user items go, as an operator deleting them by hand would (sessions untouched).
    await doc.send(new DeleteCommand({ TableName: config.usersTable, Key: { pk: `USER#${victim.user.id}` } }));
    await doc.send(new DeleteCommand({ TableName: config.usersTable, Key: { pk: `EMAIL#${email}` } }));
    await register(deps, { email, password: PASSWORD, name: undefined }, meta);
    await expect(refresh(deps, victim.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });

  it('attack: a deleted user retries a consumed refresh token within the grace window: refused too', async () => {
    const { deps, doc, config } = testDeps();
    const victim = await register(deps, { email: uniqueEmail('grace'), password: PASSWORD, name: undefined }, meta);
    await refresh(deps, victim.refreshToken);
    await doc.send(new DeleteCommand({ TableName: config.usersTable, Key: { pk: `USER#${victim.user.id}` } }));
    await expect(refresh(deps, victim.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });

  it('refuses a disabled user and works again once enabled', async () => {
    const { deps, doc, config } = testDeps();
    const first = await register(deps, { email: uniqueEmail('disabled'), password: PASSWORD, name: undefined }, meta);
    // The flag alone, without the revocation disabling commits with it: refresh's own check.
    await doc.send(new UpdateCommand({ TableName: config.usersTable, Key: { pk: `USER#${first.user.id}` }, UpdateExpression: 'SET disabledAt = :at', ExpressionAttributeValues: { ':at': new Date().toISOString() } }));
    await expect(refresh(deps, first.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    await deps.users.enable(first.user.id);
    await expect(refresh(deps, first.refreshToken)).resolves.toEqual(issued());
  });

  it('stay at two DynamoDB requests for a refresh when nothing changed', async () => {
    const { deps, doc } = testDeps();
    const first = await register(deps, { email: uniqueEmail('count'), password: PASSWORD, name: undefined }, meta);
    const seen: string[] = [];
    doc.middlewareStack.add((next, context) => async (args) => (seen.push(context.commandName as string), next(args)), { step: 'initialize', name: 'count-refresh' });
    await refresh(deps, first.refreshToken);
    doc.middlewareStack.remove('count-refresh');
    expect(seen).toEqual(['GetItemCommand', 'TransactWriteItemsCommand']);
  });
});
