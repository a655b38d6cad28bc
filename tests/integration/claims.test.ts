/**
 * The RFC 9068 claims issued by the real use cases against DynamoDB Local: `client_id` from
 * configuration, and `scope` following the user's roles and email verification at sign-in.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { verifyAccessToken } from '../../lib/tokens/access-token';
import { accessSettings } from '../../lib/tokens/access-settings';
import { passwordLogin as login } from '../helpers/deps';
import { register } from '../../lib/usecases/register';
import { testDeps, uniqueEmail } from '../helpers/deps';

const meta = { ip: '203.0.113.7', userAgent: 'vitest/1.0' };
const PASSWORD = 'correct horse battery';

describe('client_id and scope claims', () => {
  it('gives a new user role:user and no email:verified scope, and the configured client_id', async () => {
    const { deps, config } = testDeps({ env: { CLIENT_ID: 'web-app' } });
    const result = await register(deps, { email: uniqueEmail("claims"), password: PASSWORD, name: undefined }, meta);
    const claims = await verifyAccessToken(deps.keys, accessSettings(config), result.accessToken, deps.clock());
    expect(claims).toMatchObject({ clientId: 'web-app', scope: 'role:user' });
  });

  it('adds role and email:verified scopes at the next sign-in once the user has them', async () => {
    const { deps, doc, config } = testDeps();
    const email = uniqueEmail('claims');
    const { user } = await register(deps, { email, password: PASSWORD, name: undefined }, meta);
    await doc.send(
      new UpdateCommand({
        TableName: config.usersTable,
        Key: { pk: `USER#${user.id}` },
        UpdateExpression: 'SET emailVerified = :t, #roles = :roles',
        ExpressionAttributeNames: { '#roles': 'roles' },
        ExpressionAttributeValues: { ':t': true, ':roles': ['user', 'admin'] },
      }),
    );
    const again = await login(deps, { email, password: PASSWORD }, meta);
    const claims = await verifyAccessToken(deps.keys, accessSettings(config), again.accessToken, deps.clock());
    expect(claims).toMatchObject({ clientId: 'lambda-jwt-auth', roles: ['user', 'admin'] });
    expect(claims.scope?.split(' ').sort()).toEqual(['email:verified', 'role:admin', 'role:user']);
  });
});
