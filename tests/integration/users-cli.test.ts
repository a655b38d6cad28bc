/**
 * The `npm run users` CLI (scripts/users.ts) against DynamoDB Local: its commands through `main`
 * (argument parsing, table resolution, output, exit status), one run of the real process, and the
 * deployed-stage table lookup with CloudFormation mocked (it has no local form).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { tableNames } from '../../infra/tables.js';
import { passwordLogin as login } from '../helpers/deps';
import { refresh } from '../../lib/usecases/refresh';
import { register } from '../../lib/usecases/register';
import { main, parseCommandLine, resolveTarget } from '../../scripts/users';
import { testDeps, uniqueEmail } from '../helpers/deps';

const PASSWORD = 'correct horse battery';
const meta = { ip: '203.0.113.50', userAgent: 'vitest/1.0' };
const ctx = testDeps();
const HASH = /\$2[aby]\$|passwordHash/;

/** Runs the CLI in process against the test DynamoDB Local; returns status and printed text. */
async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const status = await main([...args, '--endpoint', inject('dynamoEndpoint')], {}, { out: (t) => void (out += t), err: (t) => void (err += t) });
  expect(out + err).not.toMatch(HASH);
  return { status, out, err, json: out.startsWith('{') ? JSON.parse(out) : undefined };
}

async function signedUp() {
  const email = uniqueEmail('cli');
  const result = await register(ctx.deps, { email, password: PASSWORD, name: 'Ada' }, meta);
  return { email, id: result.user.id, refreshToken: result.refreshToken };
}

describe('npm run users', () => {
  it('prints its usage with --help, and usage with status 2 for a bad command line', async () => {
    const help = await cli('--help');
    expect(help.status).toBe(0);
    expect(help.out).toMatch(/^Usage: npm run users -- <command>/);
    for (const command of ['show set-roles disable enable delete list'.split(' ')]) for (const c of command) expect(help.out).toContain(c);
    for (const bad of [[], ['frob'], ['show'], ['show', 'a', 'b'], ['set-roles', 'x@example.com'], ['list', '--limit', '0'], ['show', 'x', '--nope']]) {
      const answer = await cli(...bad);
      expect(answer.status, bad.join(' ')).toBe(2);
      expect(answer.err).toContain('Usage:');
    }
  });

  it('shows a user by email or id, and answers status 1 for nobody', async () => {
    const { email, id } = await signedUp();
    const shown = await cli('show', email);
    expect(shown.status).toBe(0);
    expect(shown.json).toMatchObject({ id, email, name: 'Ada', roles: ['user'], emailVerified: false, disabledAt: null, activeSessions: 1 });
    expect((await cli('show', id)).json).toEqual(shown.json);
    const nobody = await cli('show', uniqueEmail('nobody'));
    expect(nobody).toMatchObject({ status: 1, err: 'No such user.\n' });
  });

  it('lists users a page at a time, with a cursor for the next page', async () => {
    await signedUp();
    await signedUp();
    const first = await cli('list', '--limit', '1');
    expect(first.status).toBe(0);
    expect(first.json.users.length).toBeGreaterThanOrEqual(1);
    expect(first.json.next).toEqual(expect.any(String));
    const second = await cli('list', '--limit', '1', '--cursor', first.json.next);
    expect(second.status).toBe(0);
    expect(second.json.users[0].id).not.toBe(first.json.users[0].id);
  });

  it('a role removed by an admin with set-roles is gone from the next refreshed token', async () => {
    const { email, refreshToken } = await signedUp();
    expect((await cli('set-roles', email, 'user,admin')).json).toMatchObject({ roles: ['user', 'admin'] });
    const promoted = await refresh(ctx.deps, refreshToken);
    expect((await cli('set-roles', email, 'user')).json).toMatchObject({ roles: ['user'] });
    const demoted = await refresh(ctx.deps, promoted.refreshToken);
    const payload = JSON.parse(Buffer.from(demoted.accessToken.split('.')[1]!, 'base64url').toString());
    expect(payload.roles).toEqual(['user']);
    const bad = await cli('set-roles', email, 'user,two words');
    expect(bad.status).toBe(2);
    expect(bad.err).toContain('roles: not a valid role name: two words');
  });

  it('a disabled user\'s refresh token is refused after disable; enable lets the user sign in again', async () => {
    const { email, refreshToken } = await signedUp();
    const disabled = await cli('disable', email);
    expect(disabled.json).toMatchObject({ email, disabledAt: expect.any(String), revokedSessions: 1 });
    await expect(refresh(ctx.deps, refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    await expect(login(ctx.deps, { email, password: PASSWORD }, meta)).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect((await cli('enable', email)).json).toMatchObject({ email, disabledAt: null });
    await expect(login(ctx.deps, { email, password: PASSWORD }, meta)).resolves.toMatchObject({ user: { email } });
  });

  it('a deleted user\'s refresh token cannot mint an access token; delete without --yes changes nothing', async () => {
    const { email, id, refreshToken } = await signedUp();
    const unconfirmed = await cli('delete', email);
    expect(unconfirmed.status).toBe(2);
    expect(unconfirmed.err).toContain('--yes');
    expect((await cli('show', id)).status).toBe(0);
    const deleted = await cli('delete', email, '--yes');
    expect(deleted.json).toEqual({ id, email, revokedSessions: 1 });
    expect((await cli('show', id)).status).toBe(1);
    await expect(refresh(ctx.deps, refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });

  it('runs as its own process (npm run users -- show <email>)', async () => {
    const { email, id } = await signedUp();
    const { stdout } = await promisify(execFile)('node_modules/.bin/tsx', ['scripts/users.ts', 'show', email, '--endpoint', inject('dynamoEndpoint')], { timeout: 60_000 });
    expect(stdout).not.toMatch(HASH);
    expect(JSON.parse(stdout)).toMatchObject({ id, email });
  });
});

describe('which tables it works on', () => {
  const cloudFormation = mockClient(CloudFormationClient);
  afterEach(() => cloudFormation.reset());
  const target = (args: string[], env: Record<string, string> = {}) => resolveTarget(parseCommandLine(args).values, env);

  it('defaults to the local stack: DynamoDB Local on 8000 (or DYNAMODB_PORT) and the local tables', async () => {
    const local = tableNames('local');
    await expect(target([])).resolves.toEqual({ endpoint: 'http://127.0.0.1:8000', region: 'us-east-1', usersTable: local.users, sessionsTable: local.sessions });
    await expect(target([], { DYNAMODB_PORT: '8123' })).resolves.toMatchObject({ endpoint: 'http://127.0.0.1:8123' });
  });

  it('takes explicit table names (flags or environment), both or neither', async () => {
    await expect(target(['--stage', 'prod', '--users-table', 'u', '--sessions-table', 's', '--region', 'eu-west-1'])).resolves.toEqual({
      endpoint: undefined, region: 'eu-west-1', usersTable: 'u', sessionsTable: 's',
    });
    await expect(target(['--stage', 'prod'], { USERS_TABLE: 'u2', SESSIONS_TABLE: 's2' })).resolves.toMatchObject({ usersTable: 'u2', sessionsTable: 's2' });
    await expect(target(['--users-table', 'u'])).rejects.toThrow(/both --users-table and --sessions-table/);
  });

  it('reads a deployed stage\'s generated table names from its stack outputs', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'lambda-jwt-auth-prod' }).resolves({
      Stacks: [{
        StackName: 'lambda-jwt-auth-prod', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE',
        Outputs: [{ OutputKey: 'UsersTableName', OutputValue: 'lambda-jwt-auth-prod-UsersTable-ABC' }, { OutputKey: 'SessionsTableName', OutputValue: 'lambda-jwt-auth-prod-SessionsTable-DEF' }],
      }],
    });
    await expect(target(['--stage', 'prod', '--region', 'eu-central-1'])).resolves.toEqual({
      endpoint: undefined, region: 'eu-central-1', usersTable: 'lambda-jwt-auth-prod-UsersTable-ABC', sessionsTable: 'lambda-jwt-auth-prod-SessionsTable-DEF',
    });
  });

  it('says what to do when the stack has no table outputs', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'lambda-jwt-auth-old', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE', Outputs: [] }] });
    await expect(target(['--stage', 'old'])).rejects.toThrow(/pass --users-table and --sessions-table/);
  });
});
