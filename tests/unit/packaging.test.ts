/**
 * What ships: the esbuild bundles (built fresh by the global setup) and the CloudFormation template
 * `serverless package` makes for a production stage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { FUNCTIONS } from '../../esbuild.config.mjs';
import { FUNCTIONS as MANIFEST, handlerFile, routeKeys, serverlessKey } from '../../infra/functions.js';
import { serverless, SERVERLESS_TEST_TIMEOUT } from '../helpers/serverless';

const ROOT = path.resolve(__dirname, '../..');

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

function metaOf(fn: string): Metafile {
  return JSON.parse(readFileSync(path.join(ROOT, 'dist', fn, 'meta.json'), 'utf8')) as Metafile;
}

const HEAVY = ['@aws-sdk', '@smithy', 'bcryptjs'];

describe('function bundles', () => {
  it('builds every function of the manifest with its source map', () => {
    expect(FUNCTIONS).toEqual(expect.arrayContaining(['register', 'login', 'refresh', 'logout', 'me', 'jwks', 'example-hello', 'authorizer']));
    expect(FUNCTIONS).toEqual(MANIFEST.map((fn) => fn.name));
    for (const fn of FUNCTIONS) {
      expect(existsSync(path.join(ROOT, 'dist', fn, 'index.js')), `dist/${fn}/index.js`).toBe(true);
      expect(existsSync(path.join(ROOT, 'dist', fn, 'index.js.map')), `dist/${fn}/index.js.map`).toBe(true);
    }
  });

  it.each(['authorizer', 'jwks'])('keeps the AWS SDK, Smithy and bcryptjs out of the %s bundle', (fn) => {
    const inputs = Object.keys(metaOf(fn).inputs);
    expect(inputs).toContain(handlerFile(MANIFEST.find((entry) => entry.name === fn)!));
    const heavy = inputs.filter((input) => HEAVY.some((name) => input.includes(name)));
    expect(heavy).toEqual([]);
  });

  it('the authorizer bundle loads only node:crypto and node:async_hooks when it starts: no https, stream or fs module (the local key file is read lazily)', () => {
    const code = readFileSync(path.join(ROOT, 'dist', 'authorizer', 'index.js'), 'utf8');
    const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).sort();
    expect(required).toEqual(['node:async_hooks', 'node:crypto']);
    expect(code).not.toMatch(/import\("node:(https|stream)/);
  });

  it('can see those dependencies where they belong (the login bundle has the SDK and bcryptjs)', () => {
    const inputs = Object.keys(metaOf('login').inputs);
    for (const name of HEAVY) expect(inputs.some((input) => input.includes(name)), name).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

type Json = any;

/** The whole production deploy: no secret to create first, the stack makes and rotates its own. */
const PROD_PARAMS = [
  '--param=issuer=https://auth.example.com',
  '--param=audience=https://api.example.com',
  '--param=corsAllowedOrigins=https://app.example.com',
];
/** Teams that manage the secrets themselves, encrypted with their own KMS key. */
const MANUAL_PARAMS = [
  ...PROD_PARAMS,
  '--param=signingKeysSecretId=auth/prod/keys',
  '--param=signingPublicKeysSecretId=auth/prod/public-keys',
  '--param=appUrl=https://accounts.example.com',
  '--param=emailFrom=Example <no-reply@example.com>',
  '--param=kmsKeyArn=arn:aws:kms:us-east-1:123456789012:key/0b6a4c1e-1111-2222-3333-444455556666',
];


function resourcesOfType(template: Json, type: string): [string, Json][] {
  return Object.entries(template.Resources as Record<string, Json>).filter(([, r]) => r.Type === type);
}

const protectedRoutes = MANIFEST.filter((fn) => fn.authorizer).flatMap((fn) => routeKeys(fn));
const publicRoutes = MANIFEST.filter((fn) => !fn.authorizer).flatMap((fn) => routeKeys(fn));

const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

describe('serverless package for a production stage', () => {
  let dir: string;
  let template: Json;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'jwt-auth-package-'));
    await serverless(['package', '--stage', 'prod', ...PROD_PARAMS, '--package', dir]);
    template = JSON.parse(await readFile(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
  }, SERVERLESS_TEST_TIMEOUT);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('defines both DynamoDB tables on demand with TTL enabled', () => {
    const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');
    expect(tables.map(([id]) => id).sort()).toEqual(['SessionsTable', 'UsersTable']);
    for (const [, table] of tables) {
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.TimeToLiveSpecification).toMatchObject({ AttributeName: 'expiresAt', Enabled: true });
    }
  });

  it('keeps the tables when the stack is removed, without fixed names, so a redeploy creates fresh ones', () => {
    for (const id of ['UsersTable', 'SessionsTable']) {
      expect(template.Resources[id]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      // A fixed name would still be held by the retained table and fail the next deploy.
      expect(template.Resources[id].Properties.TableName, id).toBeUndefined();
    }
    expect(template.Outputs.UsersTableName.Value).toEqual({ Ref: 'UsersTable' });
    expect(template.Outputs.SessionsTableName.Value).toEqual({ Ref: 'SessionsTable' });
  });

  describe('its own signing key secrets, rotated by the stack', () => {
    const statementsOf = (roleId: string) =>
      asList(template.Resources[roleId].Properties.Policies).flatMap((p: Json) => asList(p.PolicyDocument.Statement)) as Json[];
    const secretStatements = (roleId: string) =>
      statementsOf(roleId).filter((st) => asList(st.Action).some((a) => String(a).startsWith('secretsmanager:')));

    it('creates the key set secret and its public half, as placeholders the first rotation fills', () => {
      const secrets = Object.fromEntries(resourcesOfType(template, 'AWS::SecretsManager::Secret'));
      expect(Object.keys(secrets).sort()).toEqual(['SigningKeysSecret', 'SigningPublicKeysSecret']);
      for (const secret of Object.values(secrets)) {
        expect(secret.Properties.SecretString).toBe('{}');
        // No fixed name: a deleted secret's name stays reserved for days and would block a redeploy.
        expect(secret.Properties.Name).toBeUndefined();
        expect(secret.Properties.KmsKeyId).toBeUndefined();
      }
    });

    it('schedules the rotation function on the key set, rotating at once on creation and then every 30 days', () => {
      const schedules = resourcesOfType(template, 'AWS::SecretsManager::RotationSchedule');
      expect(schedules).toHaveLength(1);
      const [, schedule] = schedules[0]!;
      expect(schedule.Properties).toEqual({
        SecretId: { Ref: 'SigningKeysSecret' },
        RotationLambdaARN: { 'Fn::GetAtt': ['RotateKeysLambdaFunction', 'Arn'] },
        RotateImmediatelyOnUpdate: true,
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      });
      expect(schedule.DependsOn).toContain('RotateKeysSecretsManagerPermission');
      expect(template.Resources.RotateKeysSecretsManagerPermission.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': ['RotateKeysLambdaFunction', 'Arn'] },
        Principal: 'secretsmanager.amazonaws.com',
        SourceArn: { Ref: 'SigningKeysSecret' },
      });
      expect(template.Resources.RotateKeysLambdaFunction.Properties.Handler).toBe('dist/rotate-keys/index.handler');
    });

    it('lets the rotation role write the two secrets and nothing else', () => {
      expect(template.Resources.RotateKeysLambdaFunction.Properties.Role).toEqual({ 'Fn::GetAtt': ['RotationRole', 'Arn'] });
      const statements = statementsOf('RotationRole');
      expect(statements.flatMap((st) => asList(st.Action)).filter((a) => String(a).startsWith('dynamodb:'))).toEqual([]);
      const secrets = secretStatements('RotationRole');
      expect(secrets.find((st) => asList(st.Action).includes('secretsmanager:UpdateSecretVersionStage'))?.Resource).toEqual({ Ref: 'SigningKeysSecret' });
      expect(secrets.flatMap((st) => asList(st.Resource)).map((r) => JSON.stringify(r)).sort()).toEqual(
        [JSON.stringify({ Ref: 'SigningKeysSecret' }), JSON.stringify({ Ref: 'SigningPublicKeysSecret' })].sort(),
      );
    });

    it('lets the verifying functions read only the public key set, and the issuing ones the private set', () => {
      for (const role of ['VerifierRole', 'AuthorizerRole']) {
        const resources = secretStatements(role).flatMap((st) => asList(st.Resource));
        expect(resources, role).toEqual([{ Ref: 'SigningPublicKeysSecret' }]);
      }
      const service = (template.Resources.IamRoleLambdaExecution.Properties.Policies as Json[])
        .flatMap((p) => asList(p.PolicyDocument.Statement))
        .filter((st: Json) => asList(st.Action).includes('secretsmanager:GetSecretValue'));
      expect(service.flatMap((st: Json) => asList(st.Resource))).toEqual([{ Ref: 'SigningKeysSecret' }]);
    });

    it('gives the issuer metadata function no access to any secret or table: it serves configuration', () => {
      expect(template.Resources.IssuerMetadataLambdaFunction.Properties.Role).toEqual({ 'Fn::GetAtt': ['MetadataRole', 'Arn'] });
      const actions = statementsOf('MetadataRole').flatMap((st) => asList(st.Action));
      expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    });

    it('grants ses:SendEmail only to the functions that send, and only from the emailFrom address or its domain', () => {
      const sendsMail = (role: Json) =>
        asList(role.Properties.Policies)
          .flatMap((p: Json) => asList(p.PolicyDocument.Statement))
          .filter((st: Json) => asList(st.Action).some((a) => String(a).startsWith('ses:')));
      const withSes = resourcesOfType(template, 'AWS::IAM::Role').filter(([, role]) => sendsMail(role).length > 0);
      expect(withSes.map(([id]) => id)).toEqual(['MailerRole']);
      const [statement] = sendsMail(template.Resources.MailerRole) as Json[];
      expect(statement.Action).toEqual(['ses:SendEmail']);
      // emailFrom defaults to no-reply@<issuer host> (infra/deploy-defaults.js).
      expect(JSON.stringify(statement.Resource)).toContain(':identity/no-reply@auth.example.com');
      expect(JSON.stringify(statement.Resource)).toContain(':identity/auth.example.com"');
      const senders = resourcesOfType(template, 'AWS::Lambda::Function')
        .filter(([, fn]) => JSON.stringify(fn.Properties.Role).includes('MailerRole'))
        .map(([id]) => id)
        .sort();
      expect(senders).toEqual(['EmailChangeLambdaFunction', 'PasswordForgotLambdaFunction', 'RegisterLambdaFunction', 'ResendVerificationLambdaFunction']);
      // MailerRole keeps the service role's table and key access.
      expect(JSON.stringify(template.Resources.MailerRole.Properties.Policies)).toContain('SigningKeysSecret');
    });

    it('grants no KMS permission when no KMS key is given (the AWS-managed key needs none)', () => {
      expect(resourcesOfType(template, 'AWS::IAM::Policy').filter(([id]) => id.includes('Kms'))).toEqual([]);
    });
  });

  it('puts GET /auth/me, GET /example/hello and every route the manifest marks behind the Lambda authorizer', () => {
    const routes = Object.fromEntries(resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => [r.Properties.RouteKey, r.Properties]));
    const authorizers = resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [authorizerId, authorizer] = authorizers[0]!;
    expect(authorizer.Properties).toMatchObject({ AuthorizerType: 'REQUEST', EnableSimpleResponses: true, AuthorizerPayloadFormatVersion: '2.0' });
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain('AuthorizerLambdaFunction');
    expect(protectedRoutes).toEqual(expect.arrayContaining(['GET /auth/me', 'GET /example/hello']));
    for (const key of protectedRoutes) {
      expect(routes[key], key).toBeDefined();
      expect(routes[key].AuthorizationType, key).toBe('CUSTOM');
      expect(routes[key].AuthorizerId, key).toEqual({ Ref: authorizerId });
    }
  });

  it('leaves the public routes without an authorizer, and has no route the manifest does not list', () => {
    const routes = Object.fromEntries(resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => [r.Properties.RouteKey, r.Properties]));
    expect(publicRoutes).toEqual(
      expect.arrayContaining([
        'POST /auth/register',
        'POST /auth/login',
        'POST /auth/refresh',
        'POST /auth/logout',
        'GET /.well-known/jwks.json',
        'GET /.well-known/openid-configuration',
        'GET /.well-known/oauth-authorization-server',
      ]),
    );
    for (const key of publicRoutes) {
      expect(routes[key], key).toBeDefined();
      expect(routes[key].AuthorizerId, key).toBeUndefined();
      expect([undefined, 'NONE'], key).toContain(routes[key].AuthorizationType);
    }
    expect(Object.keys(routes).sort()).toEqual([...publicRoutes, ...protectedRoutes].sort());
  });

  it('gives each function of the manifest its bundle, memory and role', () => {
    const functions = Object.fromEntries(resourcesOfType(template, 'AWS::Lambda::Function'));
    for (const fn of MANIFEST) {
      const id = `${serverlessKey(fn).charAt(0).toUpperCase()}${serverlessKey(fn).slice(1)}LambdaFunction`;
      expect(functions[id], id).toBeDefined();
      expect(functions[id].Properties.Handler, id).toBe(`dist/${fn.name}/index.handler`);
      expect(functions[id].Properties.MemorySize, id).toBe(fn.memorySize ?? 512);
      if (fn.role === 'verifier') expect(JSON.stringify(functions[id].Properties.Role), id).toContain('VerifierRole');
      else if (fn.role !== undefined) expect(functions[id].Properties.Role, id).toEqual({ 'Fn::GetAtt': [fn.role, 'Arn'] });
      else expect(JSON.stringify(functions[id].Properties.Role), id).toContain('IamRoleLambdaExecution');
    }
    // The verifier role writes the logs of exactly the functions that run under it.
    const verifierLogs = JSON.stringify(template.Resources.VerifierRole.Properties.Policies);
    for (const fn of MANIFEST.filter((entry) => entry.role === 'verifier')) {
      expect(verifierLogs).toContain(`${serverlessKey(fn).charAt(0).toUpperCase()}${serverlessKey(fn).slice(1)}LogGroup`);
    }
  });

  it('grants no IAM statement a "*" resource or a wildcard action', () => {
    const roles = resourcesOfType(template, 'AWS::IAM::Role');
    expect(roles.map(([id]) => id)).toContain('IamRoleLambdaExecution');
    const policies = [
      ...roles.flatMap(([, role]) => asList(role.Properties.Policies)),
      ...resourcesOfType(template, 'AWS::IAM::Policy').map(([, p]) => p.Properties),
      ...resourcesOfType(template, 'AWS::IAM::ManagedPolicy').map(([, p]) => p.Properties),
    ] as Json[];
    const statements = policies.flatMap((p) => asList(p.PolicyDocument?.Statement)) as Json[];
    expect(statements.length).toBeGreaterThanOrEqual(5);
    for (const statement of statements) {
      const where = JSON.stringify(statement);
      expect(statement.Resource, where).toBeDefined();
      expect(asList(statement.Resource), where).not.toContain('*');
      for (const action of asList(statement.Action)) {
        expect(typeof action, where).toBe('string');
        expect(action === '*' || String(action).endsWith(':*'), `${action} in ${where}`).toBe(false);
      }
      expect(statement.NotAction, where).toBeUndefined();
      expect(statement.NotResource, where).toBeUndefined();
    }
  });

  it('lets the authorizer read session items only: GetItem on SESSION#* keys, never refresh-token records', () => {
    const fn = template.Resources.AuthorizerLambdaFunction;
    expect(fn.Properties.Role).toEqual({ 'Fn::GetAtt': ['AuthorizerRole', 'Arn'] });
    const statements = asList(template.Resources.AuthorizerRole.Properties.Policies).flatMap((p: Json) => asList(p.PolicyDocument.Statement)) as Json[];
    const dynamo = statements.filter((s) => asList(s.Action).some((a) => String(a).startsWith('dynamodb:')));
    expect(dynamo).toHaveLength(1);
    expect(dynamo[0].Effect).toBe('Allow');
    expect(asList(dynamo[0].Action)).toEqual(['dynamodb:GetItem']);
    expect(asList(dynamo[0].Resource)).toEqual([{ 'Fn::GetAtt': ['SessionsTable', 'Arn'] }]);
    expect(dynamo[0].Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SESSION#*'] } });
    // No other role the authorizer could use, and no other function shares this one.
    const users = resourcesOfType(template, 'AWS::Lambda::Function').filter(([, f]) => JSON.stringify(f.Properties.Role).includes('AuthorizerRole'));
    expect(users.map(([id]) => id)).toEqual(['AuthorizerLambdaFunction']);
  });

  it('checks sessions at the authorizer by default, with a gateway result cache that fits the 10 s bound', () => {
    const env = template.Resources.AuthorizerLambdaFunction.Properties.Environment.Variables;
    // What the deployed authorizer runs with: its environment read by lib/config.ts (blank = default).
    const effective = loadConfig({
      AUTH_MODE: 'local',
      SIGNING_KEYS_FILE: 'keys.json',
      AUTHORIZER_SESSION_CHECK: env.AUTHORIZER_SESSION_CHECK,
      AUTHORIZER_LIVE_CACHE_SECONDS: env.AUTHORIZER_LIVE_CACHE_SECONDS,
      AUTHORIZER_STALE_SECONDS: env.AUTHORIZER_STALE_SECONDS,
    });
    expect(effective.authorizerSessionCheck).toBe('dynamodb');
    const live = effective.authorizerLiveCacheSeconds;
    const [, authorizer] = resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer')[0]!;
    const gateway = Number(authorizer.Properties.AuthorizerResultTtlInSeconds);
    // One second left for DynamoDB's replica lag on an eventually consistent read.
    expect(live + gateway).toBeLessThanOrEqual(9);
    expect(effective.authorizerStaleSeconds + gateway).toBeLessThanOrEqual(10);
  });

  it('runs every function on nodejs22.x and arm64', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(FUNCTIONS.length);
    for (const [id, fn] of functions) {
      expect(fn.Properties.Runtime, id).toBe('nodejs22.x');
      expect(fn.Properties.Architectures, id).toEqual(['arm64']);
    }
  });

  it('starts every function in production mode with the stage parameters and no local settings', () => {
    for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const env = fn.Properties.Environment.Variables;
      expect(env, id).toMatchObject({
        AUTH_MODE: 'production',
        ISSUER: 'https://auth.example.com',
        AUDIENCE: 'https://api.example.com',
        SIGNING_KEYS_SECRET_ID: { Ref: 'SigningKeysSecret' },
        SIGNING_PUBLIC_KEYS_SECRET_ID: { Ref: 'SigningPublicKeysSecret' },
        USERS_TABLE: { Ref: 'UsersTable' },
        SESSIONS_TABLE: { Ref: 'SessionsTable' },
        // Not given: derived from the first CORS origin and the issuer's host.
        APP_URL: 'https://app.example.com',
        EMAIL_FROM: 'Lambda JWT Auth <no-reply@auth.example.com>',
      });
      // Unset tunables arrive blank and take lib/config.ts's defaults: the function signs RS256.
      expect(loadConfig({ AUTH_MODE: 'local', SIGNING_KEYS_FILE: 'keys.json', SIGNING_ALG: env.SIGNING_ALG }).signingAlg, id).toBe('RS256');
      for (const name of ['BCRYPT_COST', 'ACCESS_TOKEN_TTL_SECONDS', 'REFRESH_TOKEN_TTL_SECONDS', 'LOGIN_MAX_FAILURES']) expect(env[name], `${id} ${name}`).toBe('');
      expect(env.SES_ENDPOINT || undefined, id).toBeUndefined();
      // Bumped by the emergency runbook to replace every warm container (README "Emergency rotation").
      expect(env.KEYS_EPOCH, id).toBe('0');
      expect(env.SIGNING_KEYS_FILE || undefined, id).toBeUndefined();
      expect(env.DYNAMODB_ENDPOINT || undefined, id).toBeUndefined();
    }
  });

  it('exports the authorizer ARN for other stacks', () => {
    const output = template.Outputs.AuthorizerFunctionArn;
    expect(output).toBeDefined();
    expect(output.Value).toEqual({ 'Fn::GetAtt': ['AuthorizerLambdaFunction', 'Arn'] });
    expect(output.Export?.Name).toEqual(expect.any(String));
    expect(output.Export.Name).toContain('prod');
  });

  it('allows exactly the configured CORS origins on the HTTP API', () => {
    const apis = resourcesOfType(template, 'AWS::ApiGatewayV2::Api');
    expect(apis).toHaveLength(1);
    expect(apis[0]![1].Properties.CorsConfiguration.AllowOrigins).toEqual(['https://app.example.com']);
  });
});

describe('serverless package with secrets managed by hand and a customer-managed KMS key', () => {
  let dir: string;
  let template: Json;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'jwt-auth-package-'));
    await serverless(['package', '--stage', 'prod', ...MANUAL_PARAMS, '--package', dir]);
    template = JSON.parse(await readFile(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
  }, SERVERLESS_TEST_TIMEOUT);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates no secret and no rotation schedule, and points the functions at the given secrets', () => {
    expect(resourcesOfType(template, 'AWS::SecretsManager::Secret')).toEqual([]);
    expect(resourcesOfType(template, 'AWS::SecretsManager::RotationSchedule')).toEqual([]);
    for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables, id).toMatchObject({
        SIGNING_KEYS_SECRET_ID: 'auth/prod/keys',
        SIGNING_PUBLIC_KEYS_SECRET_ID: 'auth/prod/public-keys',
        APP_URL: 'https://accounts.example.com',
        EMAIL_FROM: 'Example <no-reply@example.com>',
      });
    }
  });

  it('grants kms:Decrypt on the key, through Secrets Manager only, to every role reading the secrets', () => {
    const policy = template.Resources.SigningKeysKmsDecryptPolicy.Properties;
    expect(policy.Roles).toEqual([{ Ref: 'IamRoleLambdaExecution' }, { Ref: 'VerifierRole' }, { Ref: 'AuthorizerRole' }, { Ref: 'MailerRole' }]);
    const [statement] = policy.PolicyDocument.Statement;
    expect(statement).toMatchObject({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: MANUAL_PARAMS.at(-1)!.split('=')[2] });
    expect(JSON.stringify(statement.Condition)).toContain('kms:ViaService');
    const rotation = template.Resources.SigningKeysKmsRotationPolicy.Properties;
    expect(rotation.Roles).toEqual([{ Ref: 'RotationRole' }]);
    expect(rotation.PolicyDocument.Statement[0].Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  it('keeps the private key set out of the verifying functions\' reach', () => {
    const arnOf = (role: string) =>
      JSON.stringify(
        asList(template.Resources[role].Properties.Policies)
          .flatMap((p: Json) => asList(p.PolicyDocument.Statement))
          .filter((st: Json) => asList(st.Action).includes('secretsmanager:GetSecretValue'))
          .map((st: Json) => st.Resource),
      );
    for (const role of ['VerifierRole', 'AuthorizerRole']) {
      expect(arnOf(role), role).toContain('secret:auth/prod/public-keys-??????');
      expect(arnOf(role), role).not.toContain('secret:auth/prod/keys-');
    }
  });
});

describe('serverless package without the issuer parameter', () => {
  it('fails instead of deploying with a fallback issuer', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'jwt-auth-package-'));
    try {
      const params = PROD_PARAMS.filter((p) => !p.startsWith('--param=issuer='));
      const outcome = await serverless(['package', '--stage', 'prod', ...params, '--package', dir]).then(
        () => ({ failed: false, output: '' }),
        (err: { code?: unknown; stdout?: string; stderr?: string }) => ({
          failed: true,
          code: err.code,
          output: `${err.stdout ?? ''}${err.stderr ?? ''}`,
        }),
      );
      expect(outcome.failed).toBe(true);
      expect(outcome).toMatchObject({ code: expect.any(Number) });
      expect((outcome as { code: number }).code).not.toBe(0);
      expect(outcome.output).toMatch(/ISSUER|issuer/);
      expect(existsSync(path.join(dir, 'cloudformation-template-update-stack.json'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, SERVERLESS_TEST_TIMEOUT);
});
