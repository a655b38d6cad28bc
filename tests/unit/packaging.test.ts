/**
 * What ships: the esbuild bundles (built fresh by the global setup) and the CloudFormation template
 * `serverless package` makes for a production stage.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from '../../lib/config';
import { EVENT_METRICS, METRICS_NAMESPACE } from '../../lib/metrics';
import { FUNCTIONS, optionsFor } from '../../esbuild.config.mjs';
import { build as esbuild, type BuildOptions } from 'esbuild';
import { FUNCTIONS as MANIFEST, functionLogicalId, handlerFile, routeKeys, serverlessKey, SIGN_IN_FUNCTIONS } from '../../infra/functions.js';
import { ResourceSchemas } from '../helpers/cfn-schema';
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

/**
 * The local OpenID provider is a development stand-in (its `login_hint` signs anyone in): the
 * modules that make it, and strings only its code carries, must never reach a deployed stack.
 */
const LOCAL_PROVIDER_INPUTS = ['node_modules/oidc-provider/', 'scripts/local-idp', 'scripts/start'];
const LOCAL_PROVIDER_MARKERS = ['oidc-provider', 'devInteractions', '__test/id-token', 'Local OpenID provider', 'IDP_PORT'];

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

  it('the authorizer bundle loads only node:crypto and node:async_hooks when it starts: no http, https, stream or fs/promises module (taken at the first call that needs it)', () => {
    // The built-in modules a fresh process has loaded once it required the bundle, less those of a
    // process that required an empty module: what the bundle's start costs in Node's own modules.
    // A probe file, not `node -e`, whose entry point loads modules of its own before user code.
    const probe = path.join(tmpdir(), `packaging-probe-${process.pid}.js`);
    writeFileSync(probe, 'require(process.argv[2]); process.stdout.write(JSON.stringify(process.moduleLoadList));');
    const loaded = (file: string) => {
      const out = spawnSync(process.execPath, [probe, file], {
        encoding: 'utf8',
        env: { ...process.env, AUTH_MODE: 'local', SIGNING_KEYS_FILE: path.join(ROOT, 'no-such-keys.json') },
      });
      expect(out.status, out.stderr).toBe(0);
      return new Set(JSON.parse(out.stdout) as string[]);
    };
    const empty = path.join(tmpdir(), `packaging-empty-${process.pid}.js`);
    writeFileSync(empty, '');
    const before = loaded(empty);
    const after = [...loaded(path.join(ROOT, 'dist', 'authorizer', 'index.js'))].filter((m) => !before.has(m) && m.startsWith('NativeModule '));
    const publicModules = after.map((m) => m.slice('NativeModule '.length)).filter((m) => !m.startsWith('internal/'));
    expect(publicModules).toContain('crypto');
    expect(publicModules.filter((m) => m !== 'crypto' && m !== 'async_hooks')).toEqual([]);
    for (const heavy of ['http', 'https', 'net', 'tls', 'stream', 'fs/promises', 'internal/deps/undici/undici']) expect(after, heavy).not.toContain(`NativeModule ${heavy}`);
  });

  it('leaves node:stream/web, node:stream and node:stream/promises unloaded until @middy/core streams a response, and hands it the real ones then', async () => {
    // A module at @middy/core's place importing what it imports, bundled with a function's options.
    const dir = await mkdtemp(path.join(tmpdir(), 'lazy-streams-'));
    try {
      const middy = path.join(dir, 'node_modules', '@middy', 'core');
      await mkdir(middy, { recursive: true });
      await writeFile(path.join(middy, 'package.json'), JSON.stringify({ name: '@middy/core', type: 'module', main: 'index.js' }));
      await writeFile(
        path.join(middy, 'index.js'),
        `import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ReadableStream } from 'node:stream/web';
export async function stream(body) {
  const web = new (process.getBuiltinModule('node:stream/web').ReadableStream)();
  const chunks = [];
  await pipeline(Readable.from(body), async function* (source) { for await (const chunk of source) chunks.push(String(chunk)); });
  return { text: chunks.join(''), webIsStream: web instanceof ReadableStream, stringIsStream: body instanceof ReadableStream };
}`,
      );
      await writeFile(path.join(dir, 'entry.js'), "export { stream } from '@middy/core';");
      const out = path.join(dir, 'bundle.cjs');
      await esbuild({ ...(optionsFor('example-hello') as BuildOptions), entryPoints: [path.join(dir, 'entry.js')], outfile: out, sourcemap: false, metafile: false, external: [] });
      const probe = `const before = new Set(process.moduleLoadList);
const { stream } = require(${JSON.stringify(out)});
const atLoad = process.moduleLoadList.filter((m) => !before.has(m));
stream('abc').then((result) => process.stdout.write(JSON.stringify({ atLoad, result })));`;
      // A probe file, not \`node -e\`, whose entry point loads node:stream before user code.
      await writeFile(path.join(dir, 'probe.cjs'), probe);
      const run = spawnSync(process.execPath, [path.join(dir, 'probe.cjs')], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const { atLoad, result } = JSON.parse(run.stdout) as { atLoad: string[]; result: unknown };
      for (const module of ['stream', 'stream/promises', 'stream/web']) expect(atLoad).not.toContain(`NativeModule ${module}`);
      expect(result).toEqual({ text: 'abc', webIsStream: true, stringIsStream: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(['authorizer', 'login'])('carries the values of infra/settings.js and infra/tables.js in the %s bundle, not the CommonJS modules nor the CloudFormation definitions', (fn) => {
    const code = readFileSync(path.join(ROOT, 'dist', fn, 'index.js'), 'utf8');
    expect(code).toContain('lambda-jwt-auth-');
    for (const marker of ['AWS::DynamoDB::Table', 'PAY_PER_REQUEST', 'resolveVariable', 'is not in the settings list']) expect(code).not.toContain(marker);
  });

  it.each(['authorizer', 'jwks'])('keeps jose out of the %s bundle: verifying needs none of it, and its modules cost cold-start time', (fn) => {
    // The output's inputs: the metafile's top-level list also names modules esbuild read and shook out.
    const output = (metaOf(fn) as unknown as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> }).outputs[`dist/${fn}/index.js`]!;
    const jose = Object.entries(output.inputs).filter(([input, { bytesInOutput }]) => input.includes('node_modules/jose/') && bytesInOutput > 0);
    expect(jose.map(([input]) => input)).toEqual([]);
  });

  /** The functions that check a passkey ceremony, and so carry @simplewebauthn/server (about 290 KB minified with its parsers). */
  const WEBAUTHN_CHECKERS = ['passkeys-register-verify', 'passkeys-login-verify', 'mfa-verify', 'reauthenticate'];
  const carriesWebAuthn = (fn: string) => Object.keys(metaOf(fn).inputs).some((input) => input.includes('@simplewebauthn/server') || input.includes('@peculiar/'));

  it('bundles @simplewebauthn/server only into the functions that check a passkey ceremony', () => {
    const carrying = FUNCTIONS.filter(carriesWebAuthn).sort();
    expect(carrying).toEqual([...WEBAUTHN_CHECKERS].sort());
    // The options routes hand a challenge out and load none of it.
    for (const fn of ['passkeys-login-options', 'passkeys-register-options', 'mfa-challenge']) expect(carriesWebAuthn(fn), fn).toBe(false);
  });

  it('leaves the local OpenID provider (oidc-provider, scripts/local-idp.ts) out of every function bundle, federated ones included', () => {
    const found: string[] = [];
    for (const fn of FUNCTIONS) {
      for (const input of Object.keys(metaOf(fn).inputs)) {
        if (LOCAL_PROVIDER_INPUTS.some((name) => input.includes(name))) found.push(`${fn}: ${input}`);
      }
      const code = readFileSync(path.join(ROOT, 'dist', fn, 'index.js'), 'utf8');
      for (const marker of LOCAL_PROVIDER_MARKERS) if (code.includes(marker)) found.push(`${fn}: "${marker}"`);
    }
    expect(found).toEqual([]);
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
/** An operator's production stack: custom domain with its DNS record, own alarm topic, caps. */
const OPERATOR = {
  certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/5a6b7c8d-1111-2222-3333-444455556666',
  hostedZoneId: 'Z0123456789EXAMPLE',
  alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:pager',
  signInReservedConcurrency: '25',
  throttleRateLimit: '50',
  throttleBurstLimit: '75',
  loginFailuresAlarmThreshold: '500',
};
/**
 * A value for every setting's parameter not given above, so the packaged environment shows each
 * one arriving: the listed default spelled out, or a plausible value for those without one.
 */
const GIVEN = new Set(['issuer', 'audience', 'corsAllowedOrigins', 'signingKeysSecretId', 'signingPublicKeysSecretId', 'appUrl', 'emailFrom', 'authMode']);
const WITHOUT_DEFAULT: Record<string, string> = {
  signingKeysFile: 'keys.json',
  dynamodbEndpoint: 'http://127.0.0.1:8000',
  clientIpHeader: 'cloudfront-viewer-address',
  sesEndpoint: 'http://127.0.0.1:8005',
  authorizerAal2Routes: 'POST /payments',
  oauthProviders: '[{"name":"google","issuer":"https://accounts.google.com","clientId":"123.apps.googleusercontent.com"}]',
  oauthClientSecretsSecretId: 'auth/oauth-client-secrets',
  oauthClientSecretsFile: 'oauth-client-secrets.json',
};
const SETTING_PARAMS: Record<string, string> = Object.fromEntries(
  SETTINGS.filter((s) => s.param !== null && !GIVEN.has(s.param)).map((s) => [s.param!, s.default === undefined ? WITHOUT_DEFAULT[s.param!]! : String(s.default)]),
);
const FULL_PARAMS = [
  ...MANUAL_PARAMS,
  ...Object.entries({ ...OPERATOR, ...SETTING_PARAMS }).map(([name, value]) => `--param=${name}=${value}`),
];

/** The packaging runs validate against the resource schemas; loading them takes about a second. */
let schemas: ResourceSchemas | undefined;
const resourceSchemas = () => (schemas ??= new ResourceSchemas());

/** The custom metrics the stack's alarms and dashboard read: the names lib/metrics.ts writes. */
const CUSTOM_METRICS = [...new Set(Object.values(EVENT_METRICS)), 'ServerErrors'];


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
      // Besides the private key set, only the federated sign-in providers' client secrets.
      expect(service.flatMap((st: Json) => asList(st.Resource))).toEqual([
        { Ref: 'SigningKeysSecret' },
        { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:lambda-jwt-auth/prod/oauth-client-secrets-??????' },
      ]);
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
      expect(senders).toEqual([
        'EmailChangeConfirmLambdaFunction',
        'EmailChangeLambdaFunction',
        'LoginLambdaFunction',
        'MfaFactorDeleteLambdaFunction',
        'MfaRecoveryCodesLambdaFunction',
        'MfaTotpConfirmLambdaFunction',
        'MfaVerifyLambdaFunction',
        'OauthTokenLambdaFunction',
        'PasskeysLoginVerifyLambdaFunction',
        'PasskeysRegisterVerifyLambdaFunction',
        'PasswordChangeLambdaFunction',
        'PasswordForgotLambdaFunction',
        'PasswordResetLambdaFunction',
        'RegisterLambdaFunction',
        'ResendVerificationLambdaFunction',
      ]);
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
      // Bumped by the emergency runbook to replace every warm container (docs/guides/keys.md "Emergency rotation (a key leaked)").
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

  it('lets a page on an allowed origin read the step-up challenge and Retry-After (CORS exposed headers)', () => {
    const [[, api]] = resourcesOfType(template, 'AWS::ApiGatewayV2::Api') as [[string, any]];
    expect(api.Properties.CorsConfiguration.ExposeHeaders).toEqual(['WWW-Authenticate', 'Retry-After']);
  });

  it('passes every setting of the list to every function, blank unless its parameter is given', () => {
    for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const env = fn.Properties.Environment.Variables;
      for (const setting of SETTINGS) expect(Object.hasOwn(env, setting.name), `${id} ${setting.name}`).toBe(true);
      for (const setting of SETTINGS.filter((s) => s.default !== undefined)) expect(env[setting.name], `${id} ${setting.name}`).toBe('');
      expect(env, id).toMatchObject({ METRICS_SERVICE: 'lambda-jwt-auth', METRICS_STAGE: 'prod' });
    }
  });

  describe("the operator's view", () => {
    const alarms = () => Object.fromEntries(resourcesOfType(template, 'AWS::CloudWatch::Alarm'));

    it('creates an SNS topic for the alarms when no alarmTopicArn is given, and every alarm notifies it', () => {
      expect(resourcesOfType(template, 'AWS::SNS::Topic').map(([id]) => id)).toEqual(['AlarmTopic']);
      for (const [id, alarm] of Object.entries(alarms())) {
        expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: 'AlarmTopic' }]);
        expect(alarm.Properties.OKActions, id).toEqual([{ Ref: 'AlarmTopic' }]);
      }
      expect(template.Outputs.AlarmTopicArn.Value).toEqual({ Ref: 'AlarmTopic' });
    });

    it('alarms on authorizer_unavailable, 5xx answers, refresh-token reuse and failed logins, in the namespace and dimensions the functions write', () => {
      const expected = { AuthorizerUnavailableAlarm: ['AuthorizerUnavailable', 1], ServerErrorsAlarm: ['ServerErrors', 5], RefreshTokenReuseAlarm: ['RefreshTokenReuse', 10], LoginFailuresAlarm: ['LoginFailures', 100] } as const;
      for (const [id, [metric, threshold]] of Object.entries(expected)) {
        const alarm = alarms()[id];
        expect(alarm, id).toBeDefined();
        expect(CUSTOM_METRICS).toContain(metric);
        expect(alarm.Properties).toMatchObject({
          Namespace: METRICS_NAMESPACE,
          MetricName: metric,
          Dimensions: [{ Name: 'Service', Value: 'lambda-jwt-auth' }, { Name: 'Stage', Value: 'prod' }],
          Statistic: 'Sum',
          Threshold: threshold,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    });

    it('alarms on the Lambda errors of every function of the manifest', () => {
      for (const fn of MANIFEST) {
        const id = functionLogicalId(fn).replace(/LambdaFunction$/, 'ErrorsAlarm');
        expect(alarms()[id]?.Properties, id).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionLogicalId(fn) } }], Threshold: 5 });
      }
    });

    it('builds a dashboard of the custom metrics, the HTTP API, every function and the alarms', () => {
      const dashboards = resourcesOfType(template, 'AWS::CloudWatch::Dashboard');
      expect(dashboards).toHaveLength(1);
      const [, dashboard] = dashboards[0]!;
      expect(dashboard.Properties.DashboardName).toBe('lambda-jwt-auth-prod');
      const body = dashboard.Properties.DashboardBody['Fn::Sub'] as string;
      // What CloudWatch receives once Fn::Sub has filled in the references: valid JSON.
      const widgets = JSON.parse(body.replace(/\$\{[^}]+\}/g, 'x')).widgets as Json[];
      const shown = JSON.stringify(widgets);
      for (const metric of CUSTOM_METRICS) expect(shown).toContain(`["${METRICS_NAMESPACE}","${metric}","Service","lambda-jwt-auth","Stage","prod"]`);
      for (const fn of MANIFEST) expect(body).toContain(`\${${functionLogicalId(fn)}}`);
      expect(body).toContain('"ApiId","${HttpApi}"');
      for (const id of ['AuthorizerUnavailableAlarm', 'ServerErrorsAlarm', 'RefreshTokenReuseAlarm', 'LoginFailuresAlarm']) expect(body).toContain(`\${${id}.Arn}`);
      // Every reference Fn::Sub will resolve names a resource of the template or a pseudo parameter.
      for (const [, ref] of body.matchAll(/\$\{([^}]+)\}/g)) {
        const name = ref!.replace(/\.Arn$/, '');
        expect(name.startsWith('AWS::') || Object.hasOwn(template.Resources, name), ref).toBe(true);
      }
    });

    it('keeps every function\'s log group and the access log 30 days', () => {
      const groups = Object.fromEntries(resourcesOfType(template, 'AWS::Logs::LogGroup'));
      for (const fn of MANIFEST) {
        const id = functionLogicalId(fn).replace(/LambdaFunction$/, 'LogGroup');
        expect(groups[id]?.Properties.RetentionInDays, id).toBe(30);
        expect(template.Resources[functionLogicalId(fn)].DependsOn, id).toContain(id);
      }
      expect(groups.HttpApiLogGroup.Properties.RetentionInDays).toBe(30);
      expect(Object.keys(groups)).toHaveLength(MANIFEST.length + 1);
    });

    it('throttles the HTTP API stage by default and writes its access log, without any header', () => {
      const stage = template.Resources.HttpApiStage;
      expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
      expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
      const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
      expect(format).toMatchObject({ requestId: '$context.requestId', ip: '$context.identity.sourceIp', routeKey: '$context.routeKey', status: '$context.status' });
      expect(stage.Properties.AccessLogSettings.Format).not.toMatch(/header|authorization|cookie/i);
    });

    it('has no custom domain nor reserved concurrency unless asked, and names the issuer\'s discovery URL', () => {
      for (const type of ['AWS::ApiGatewayV2::DomainName', 'AWS::ApiGatewayV2::ApiMapping', 'AWS::Route53::RecordSet']) expect(resourcesOfType(template, type), type).toEqual([]);
      for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) expect(fn.Properties.ReservedConcurrentExecutions, id).toBeUndefined();
      expect(template.Outputs.IssuerDiscoveryUrl.Value).toBe('https://auth.example.com/.well-known/openid-configuration');
    });
  });

  it('validates against the CloudFormation resource schemas', () => {
    expect(resourceSchemas().problemsOf(template)).toEqual([]);
  });

  it('starts the authorizer and JWKS without source maps (neither flag nor map shipped) and every other function with them', async () => {
    const byId = Object.fromEntries(resourcesOfType(template, 'AWS::Lambda::Function'));
    for (const fn of MANIFEST) {
      const env = byId[functionLogicalId(fn)].Properties.Environment.Variables;
      expect(env.NODE_OPTIONS, fn.name).toBe(['authorizer', 'jwks'].includes(fn.name) ? undefined : '--enable-source-maps');
    }
    const artifacts = (await readdir(dir)).filter((name) => name.endsWith('.zip'));
    for (const name of ['authorizer', 'jwks', 'login']) {
      const artifact = artifacts.find((file) => file === `${name}.zip`);
      expect(artifact, `${name}.zip among ${artifacts.join(', ')}`).toBeDefined();
      const entries = Object.keys((await JSZip.loadAsync(await readFile(path.join(dir, artifact!)))).files);
      expect(entries.some((entry) => entry.endsWith('.js.map')), name).toBe(name === 'login');
    }
  });

  it('ships nothing of the local OpenID provider: no file of it in any function artifact, no trace of it in the template', async () => {
    const found: string[] = [];
    const artifacts = (await readdir(dir)).filter((name) => name.endsWith('.zip'));
    expect(artifacts.length).toBeGreaterThanOrEqual(MANIFEST.length);
    for (const artifact of artifacts) {
      const zip = await JSZip.loadAsync(await readFile(path.join(dir, artifact)));
      for (const entry of Object.values(zip.files)) {
        if (entry.dir) continue;
        if (LOCAL_PROVIDER_INPUTS.some((name) => entry.name.includes(name.replace(/^node_modules\//, '')))) found.push(`${artifact}: ${entry.name}`);
        const text = await entry.async('string');
        for (const marker of LOCAL_PROVIDER_MARKERS) if (text.includes(marker)) found.push(`${artifact}: ${entry.name} has "${marker}"`);
      }
    }
    const raw = JSON.stringify(template);
    for (const marker of [...LOCAL_PROVIDER_MARKERS, 'localhost:9010']) if (raw.includes(marker)) found.push(`template has "${marker}"`);
    expect(found).toEqual([]);
  });
});

describe('serverless package with secrets managed by hand, a customer-managed KMS key, a custom domain and every setting given', () => {
  let dir: string;
  let template: Json;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'jwt-auth-package-'));
    await serverless(['package', '--stage', 'prod', ...FULL_PARAMS, '--package', dir]);
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

  it('sets every setting of the list in every function from the stage parameter of its name', () => {
    for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const env = fn.Properties.Environment.Variables;
      for (const [param, value] of Object.entries(SETTING_PARAMS)) {
        const setting = SETTINGS.find((s) => s.param === param)!;
        expect(env[setting.name], `${id} ${setting.name} from ${param}`).toBe(value);
      }
    }
    expect(Object.keys(SETTING_PARAMS)).toEqual(expect.arrayContaining(['requireVerifiedEmail', 'maxSessionsPerUser', 'emailMaxPerAddress', 'maxBodyBytes', 'loginBackoffBaseSeconds', 'clientId']));
  });

  it('serves the issuer\'s host: the custom domain with the certificate, mapped to the HTTP API stage, with its alias record', () => {
    const domain = template.Resources.ApiDomainName;
    expect(domain.Type).toBe('AWS::ApiGatewayV2::DomainName');
    expect(domain.Properties).toEqual({
      DomainName: 'auth.example.com',
      DomainNameConfigurations: [{ CertificateArn: OPERATOR.certificateArn, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
    const mapping = template.Resources.ApiDomainMapping;
    expect(mapping.Type).toBe('AWS::ApiGatewayV2::ApiMapping');
    expect(mapping.Properties).toEqual({ DomainName: { Ref: 'ApiDomainName' }, ApiId: { Ref: 'HttpApi' }, Stage: '$default' });
    expect(mapping.DependsOn).toContain('HttpApiStage');
    expect(template.Resources.HttpApiStage.Properties.StageName).toBe('$default');
    expect(template.Resources.ApiDomainRecord).toEqual({
      Type: 'AWS::Route53::RecordSet',
      Properties: {
        HostedZoneId: OPERATOR.hostedZoneId,
        Name: 'auth.example.com',
        Type: 'A',
        AliasTarget: {
          DNSName: { 'Fn::GetAtt': ['ApiDomainName', 'RegionalDomainName'] },
          HostedZoneId: { 'Fn::GetAtt': ['ApiDomainName', 'RegionalHostedZoneId'] },
          EvaluateTargetHealth: false,
        },
      },
    });
    expect(template.Outputs.IssuerDiscoveryUrl.Value).toBe('https://auth.example.com/.well-known/openid-configuration');
  });

  it('notifies the given alarm topic and creates none', () => {
    expect(resourcesOfType(template, 'AWS::SNS::Topic')).toEqual([]);
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBe(MANIFEST.length + 4);
    for (const [id, alarm] of alarms) expect(alarm.Properties.AlarmActions, id).toEqual([OPERATOR.alarmTopicArn]);
    expect(template.Resources.LoginFailuresAlarm.Properties.Threshold).toBe(500);
  });

  it('reserves the given concurrency for each sign-in function and for no other', () => {
    expect(SIGN_IN_FUNCTIONS).toEqual(expect.arrayContaining(['login', 'register', 'refresh', 'password-forgot']));
    for (const fn of MANIFEST) {
      const reserved = template.Resources[functionLogicalId(fn)].Properties.ReservedConcurrentExecutions;
      expect(reserved, fn.name).toBe(SIGN_IN_FUNCTIONS.includes(fn.name) ? 25 : undefined);
    }
  });

  it('throttles the stage at the given rate and burst', () => {
    expect(template.Resources.HttpApiStage.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 75 });
  });

  it('validates against the CloudFormation resource schemas', () => {
    expect(resourceSchemas().problemsOf(template)).toEqual([]);
  });
});

/** Packages with `params`, expecting a refusal; resolves with the CLI's exit code and output. */
async function refusedPackage(params: string[]): Promise<{ code: number; output: string; template: boolean }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'jwt-auth-package-'));
  try {
    const outcome = await serverless(['package', '--stage', 'prod', ...params, '--package', dir]).then(
      () => ({ code: 0, output: '' }),
      (err: { code?: unknown; stdout?: string; stderr?: string }) => ({ code: typeof err.code === 'number' ? err.code : -1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
    );
    return { ...outcome, template: existsSync(path.join(dir, 'cloudformation-template-update-stack.json')) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('serverless package with an http issuer', () => {
  it('fails with a message naming the issuer and https, instead of a stack whose functions all refuse to start', async () => {
    const params = PROD_PARAMS.map((p) => (p.startsWith('--param=issuer=') ? '--param=issuer=http://auth.example.com' : p));
    const outcome = await refusedPackage(params);
    expect(outcome.code).not.toBe(0);
    expect(outcome.output).toMatch(/issuer must use https on a deployed stage.*"http:\/\/auth\.example\.com"/);
    expect(outcome.template).toBe(false);
  }, SERVERLESS_TEST_TIMEOUT);
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
