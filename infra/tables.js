'use strict';
/**
 * The two DynamoDB tables, defined once. `serverless.yml` includes them as CloudFormation
 * resources and `scripts/local-stack.mjs` (and the test setup) create the same tables in DynamoDB
 * Local from this very definition.
 *
 * users table (pk):
 *   USER#<id>        the user: email, name, roles, emailVerified, createdAt, passwordHash,
 *                    credentialEpoch (bumped by every credential change), signIns (bumped by
 *                    every sign-in), and `session:<sid>` = absolute end, one per session the
 *                    user opened (lib/sign-in.ts, lib/credential-change.ts)
 *   EMAIL#<email>    email claim: { userId }. Written in the same transaction as the user with
 *                    attribute_not_exists(pk), which is what makes emails unique.
 *   THROTTLE#<bucket>#<email>  password-attempt counter of one throttle bucket (source, device or
 *                    account) { failures, account, lastAt, lastId, expiresAt } (TTL;
 *                    lib/repositories/login-attempts.ts)
 *   RATE#<bucket>#<window>  per-source request counter of a fixed window (TTL;
 *                    lib/repositories/rate-limits.ts)
 *   ONETIME#<kind>#<sha256>  an email link's token (verification, reset) { userId, expiresAt,
 *                    consumedAt? } (TTL; lib/repositories/one-time-tokens.ts)
 *   MAILED#<kind>#<mailbox>  emails of one kind sent to one mailbox in the window (TTL)
 *   DEVICE#<sha256>  a device that signed in { userId, createdAt, expiresAt } (TTL;
 *                    lib/repositories/devices.ts)
 *   FACTORS#<userId> confirmed second factors { factors: { <factorId>: { type, name, secret
 *                    (sealed), lastStep, ... } }, recoverySalt, recoveryCodes (hash set) }
 *                    (lib/repositories/factors.ts)
 *   FACTOR_PENDING#<userId>#<factorId>  an enrolment awaiting its first code (TTL)
 *   MFATOKEN#<sha256> a sign-in awaiting its second factor { userId, email, binding, methods,
 *                    attempts, expiresAt } (TTL; lib/repositories/mfa-tokens.ts)
 *   EVENT#<id>       a security event { eventUser (= user id), eventAt (ISO instant + id), type,
 *                    ip, userAgent, sessionId?, detail?, expiresAt } (TTL, 90 days by default;
 *                    listed newest first through the sparse eventsByUser index;
 *                    lib/repositories/security-events.ts)
 *
 * sessions table (pk):
 *   SESSION#<sid>    { userId, createdAt, lastUsedAt, expiresAt, userAgent, ip, revokedAt?,
 *                    authTime, acr, amr (how it was authenticated; lib/authentication.ts) }
 *                    expiresAt is the absolute session end (epoch seconds, TTL attribute).
 *                    `owner` (= userId) feeds the sparse byOwner index used by logout-all.
 *   TOKEN#<tokenId>  refresh token record { sid, userId, secretHash, expiresAt, consumedAt?,
 *                    successorId?, email, roles, authTime, acr, amr } (TTL on expiresAt)
 *
 * Both tables expire items through the `expiresAt` attribute. TTL deletion can lag by up to
 * 48 hours, so every read checks `expiresAt` itself.
 */

const SERVICE = 'lambda-jwt-auth';
const TTL_ATTRIBUTE = 'expiresAt';

/** Physical table names of a stage (serverless.yml and the local stack both use this). */
function tableNames(stage) {
  return { users: `${SERVICE}-${stage}-users`, sessions: `${SERVICE}-${stage}-sessions` };
}
const SESSIONS_BY_OWNER_INDEX = 'byOwner';
/** Users table index of security events: a user's events, newest first (sparse: events only). */
const EVENTS_BY_USER_INDEX = 'eventsByUser';

/** CloudFormation `Properties` of each table, given the physical names. */
function tableProperties(names) {
  return {
    users: {
      TableName: names.users,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'eventUser', AttributeType: 'S' },
        { AttributeName: 'eventAt', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: EVENTS_BY_USER_INDEX,
          KeySchema: [
            { AttributeName: 'eventUser', KeyType: 'HASH' },
            { AttributeName: 'eventAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    },
    sessions: {
      TableName: names.sessions,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'owner', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: SESSIONS_BY_OWNER_INDEX,
          KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['sid', 'revokedAt', 'expiresAt'] },
        },
      ],
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    },
  };
}

/**
 * CloudFormation Resources for serverless.yml. The tables are retained when the stack is removed
 * (they hold every account) and have no fixed TableName: CloudFormation names them
 * `<stack>-UsersTable-<random>`, so removing the stack and deploying it again creates fresh tables
 * instead of failing on a name the retained ones still hold. The functions get the names by `Ref`;
 * the stack outputs them (UsersTableName, SessionsTableName) for tools and for restoring data.
 */
function cloudFormationResources() {
  const props = tableProperties({ users: undefined, sessions: undefined });
  const table = (properties) => {
    const { TableName: _generated, ...rest } = properties;
    return { Type: 'AWS::DynamoDB::Table', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: rest };
  };
  return { UsersTable: table(props.users), SessionsTable: table(props.sessions) };
}

const TABLE_OUTPUTS = {
  UsersTableName: { Description: 'Users table (retained if the stack is removed).', Value: { Ref: 'UsersTable' } },
  SessionsTableName: { Description: 'Sessions table (retained if the stack is removed).', Value: { Ref: 'SessionsTable' } },
};

/** CreateTable inputs plus the TTL attribute, for DynamoDB Local. */
function localTableDefinitions(names) {
  return Object.values(tableProperties(names)).map((p) => ({
    create: {
      TableName: p.TableName,
      BillingMode: p.BillingMode,
      AttributeDefinitions: p.AttributeDefinitions,
      KeySchema: p.KeySchema,
      ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
    },
    ttlAttribute: p.TimeToLiveSpecification.AttributeName,
  }));
}

/** Entry point for `${file(infra/tables.js):resources}` in serverless.yml. */
async function resources() {
  return { Resources: cloudFormationResources(), Outputs: TABLE_OUTPUTS };
}

/** `${file(infra/tables.js):names}` for serverless.yml's custom section. */
async function names({ resolveVariable }) {
  const stage = await resolveVariable('sls:stage');
  // Locally (DynamoDB Local) the tables are named after the stage; on AWS, CloudFormation names them.
  return stage === 'local' ? tableNames(stage) : { users: { Ref: 'UsersTable' }, sessions: { Ref: 'SessionsTable' } };
}

module.exports = {
  SERVICE,
  tableNames,
  TTL_ATTRIBUTE,
  SESSIONS_BY_OWNER_INDEX,
  EVENTS_BY_USER_INDEX,
  tableProperties,
  cloudFormationResources,
  localTableDefinitions,
  resources,
  names,
};
