'use strict';
/**
 * The signing key secrets of a deployed stage, for serverless.yml.
 *
 * Managed (the default, no `signingKeysSecretId` parameter): the stack creates two secrets, the
 * key set and its public half, both starting as `{}`, plus the rotation function's role, its
 * invoke permission and a rotation schedule that rotates once on creation (which writes the first
 * key set) and then every `keyRotationDays` (30). Nothing to create by hand.
 *
 * Manual (`--param=signingKeysSecretId=...`, optionally `signingPublicKeysSecretId`): the stack
 * uses secrets you created and rotate yourself (docs/guides/keys.md "Managing the secrets yourself").
 *
 * Either way `kmsKeyArn` (optional) names a customer-managed KMS key encrypting the secrets: the
 * managed secrets use it, and every role that reads or writes them gets kms:Decrypt (and the
 * rotation role kms:GenerateDataKey), only through Secrets Manager.
 */

const DEFAULT_ROTATION_DAYS = 30;

async function param(resolveVariable, name) {
  const value = await resolveVariable(`param:${name}, ''`);
  return typeof value === 'string' ? value.trim() : value;
}

const secretArnPattern = (id) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${id}-??????`,
});

/** Everything serverless.yml needs, from the stage parameters. */
async function settings({ resolveVariable }) {
  const manualId = await param(resolveVariable, 'signingKeysSecretId');
  const manualPublicId = await param(resolveVariable, 'signingPublicKeysSecretId');
  const kmsKeyArn = await param(resolveVariable, 'kmsKeyArn');
  const rotationDays = Number((await param(resolveVariable, 'keyRotationDays')) || DEFAULT_ROTATION_DAYS);
  if (!Number.isInteger(rotationDays) || rotationDays < 1 || rotationDays > 365) {
    throw new Error('keyRotationDays must be a whole number of days between 1 and 365');
  }
  if (manualPublicId && !manualId) throw new Error('signingPublicKeysSecretId needs signingKeysSecretId (or neither, for managed secrets)');
  if (manualId) {
    const publicId = manualPublicId || manualId;
    return {
      managed: false,
      kmsKeyArn,
      rotationDays,
      signingKeysSecretId: manualId,
      // Without a public secret the verifiers read the full set (they keep only the public halves).
      signingPublicKeysSecretId: publicId,
      signingKeysSecretArn: secretArnPattern(manualId),
      verifierKeysSecretArn: secretArnPattern(publicId),
      publicSecretArn: manualPublicId ? secretArnPattern(manualPublicId) : undefined,
    };
  }
  return {
    managed: true,
    kmsKeyArn,
    rotationDays,
    signingKeysSecretId: { Ref: 'SigningKeysSecret' },
    signingPublicKeysSecretId: { Ref: 'SigningPublicKeysSecret' },
    signingKeysSecretArn: { Ref: 'SigningKeysSecret' },
    verifierKeysSecretArn: { Ref: 'SigningPublicKeysSecret' },
    publicSecretArn: { Ref: 'SigningPublicKeysSecret' },
  };
}

const ROLES_READING_KEYS = ['IamRoleLambdaExecution', 'VerifierRole', 'AuthorizerRole', 'MailerRole'];

function kmsPolicies(s) {
  if (!s.kmsKeyArn) return {};
  const viaSecretsManager = { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } } };
  return {
    SigningKeysKmsDecryptPolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'signing-keys-kms-decrypt',
        Roles: ROLES_READING_KEYS.map((role) => ({ Ref: role })),
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: s.kmsKeyArn, Condition: viaSecretsManager }],
        },
      },
    },
    SigningKeysKmsRotationPolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'signing-keys-kms-rotation',
        Roles: [{ Ref: 'RotationRole' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: s.kmsKeyArn, Condition: viaSecretsManager }],
        },
      },
    },
  };
}

function rotationRole(s) {
  const write = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'];
  const statements = [{ Effect: 'Allow', Action: write, Resource: s.signingKeysSecretArn }];
  if (s.publicSecretArn) {
    statements.push({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], Resource: s.publicSecretArn });
  }
  statements.push({ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': ['RotateKeysLogGroup', 'Arn'] } });
  return {
    // The rotation function: read and write the key set secrets, write its logs; no tables.
    RotationRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [{ PolicyName: 'rotate-signing-keys', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
      },
    },
  };
}

function managedSecrets(s, stage) {
  if (!s.managed) return {};
  const secret = (description) => ({
    Type: 'AWS::SecretsManager::Secret',
    Properties: {
      Description: description,
      // A placeholder: the rotation on creation replaces it with the first key set.
      SecretString: '{}',
      ...(s.kmsKeyArn ? { KmsKeyId: s.kmsKeyArn } : {}),
    },
  });
  return {
    SigningKeysSecret: secret(`lambda-jwt-auth ${stage}: signing key set (private keys; written by the rotation function)`),
    SigningPublicKeysSecret: secret(`lambda-jwt-auth ${stage}: public key set read by the authorizer and JWKS (written by the rotation function)`),
    RotateKeysSecretsManagerPermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': ['RotateKeysLambdaFunction', 'Arn'] },
        Principal: 'secretsmanager.amazonaws.com',
        SourceArn: { Ref: 'SigningKeysSecret' },
      },
    },
    SigningKeysRotationSchedule: {
      Type: 'AWS::SecretsManager::RotationSchedule',
      DependsOn: ['RotateKeysSecretsManagerPermission', 'SigningPublicKeysSecret'],
      Properties: {
        SecretId: { Ref: 'SigningKeysSecret' },
        RotationLambdaARN: { 'Fn::GetAtt': ['RotateKeysLambdaFunction', 'Arn'] },
        // On creation this rotates at once: the first rotation writes the first key set.
        RotateImmediatelyOnUpdate: true,
        RotationRules: { ScheduleExpression: `rate(${s.rotationDays} days)` },
      },
    },
  };
}

/** `${file(infra/signing-keys.js):resources}` */
async function resources({ resolveVariable }) {
  const s = await settings({ resolveVariable });
  const stage = await resolveVariable('sls:stage');
  const outputs = s.managed
    ? {
        SigningKeysSecretArn: { Description: 'Signing key set secret (rotated by the stack).', Value: { Ref: 'SigningKeysSecret' } },
        SigningPublicKeysSecretArn: { Description: 'Public key set secret.', Value: { Ref: 'SigningPublicKeysSecret' } },
      }
    : {};
  return { Resources: { ...managedSecrets(s, stage), ...rotationRole(s), ...kmsPolicies(s) }, Outputs: outputs };
}

const field = (name) => async ({ resolveVariable }) => (await settings({ resolveVariable }))[name];

module.exports = {
  DEFAULT_ROTATION_DAYS,
  settings,
  resources,
  signingKeysSecretId: field('signingKeysSecretId'),
  signingPublicKeysSecretId: field('signingPublicKeysSecretId'),
  signingKeysSecretArn: field('signingKeysSecretArn'),
  verifierKeysSecretArn: field('verifierKeysSecretArn'),
};
