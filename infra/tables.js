'use strict';
/**
 * The two DynamoDB tables, defined once. `serverless.yml` includes them as CloudFormation
 * resources and `scripts/stack.ts` (`npm start`, and the test setup) creates the same tables in
 * DynamoDB Local from this very definition.
 *
 * What the tables hold (every item kind: key prefix, attributes, TTL, the module that writes it)
 * is described once, in infra/data-model.js, and shown in docs/reference/data-model.md.
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
