/**
 * `npm run users -- <command> ...`: user administration for operators, straight against the
 * DynamoDB tables (lib/usecases/user-admin.ts): show and list users, set roles, disable (revokes
 * every session), enable, delete. It never prints a password hash. `npm run users -- --help`.
 *
 * Where it works:
 * - by default the local stack: DynamoDB Local at http://127.0.0.1:8000 (DYNAMODB_PORT or
 *   --endpoint move it) and the `local` stage's tables;
 * - a deployed stage with `--stage <name> [--region <r>]`: the table names are read from the
 *   stack's outputs (UsersTableName, SessionsTableName; the tables have generated names), with
 *   the AWS credentials of the environment;
 * - or any tables named with `--users-table` and `--sessions-table` (or USERS_TABLE and
 *   SESSIONS_TABLE).
 */
import { parseArgs } from 'node:util';
import { SERVICE, tableNames } from '../infra/tables.js';
import { systemClock } from '../lib/clock';
import { AppError } from '../lib/errors';
import { createDocumentClient } from '../lib/repositories/dynamo';
import { SessionsRepository } from '../lib/repositories/sessions';
import { TransactionWriter } from '../lib/repositories/transactions';
import { OneTimeTokensRepository } from '../lib/repositories/one-time-tokens';
import { UsersRepository } from '../lib/repositories/users';
import { FactorsRepository } from '../lib/repositories/factors';
import { deleteUser, disableUser, enableUser, listUsers, setRoles, showUser, userEvents, type AdminDeps } from '../lib/usecases/user-admin';
import { SecurityEventsRepository } from '../lib/repositories/security-events';

export const USAGE = `Usage: npm run users -- <command> [arguments] [options]

Commands:
  show <email|id>               the user, its state and number of active sessions
  list [--limit N] [--cursor C] users, a page at a time (default 50); prints "next" for the next page
  set-roles <email|id> <roles>  replace the roles (comma-separated, e.g. user,admin); they reach
                                tokens at the user's next refresh
  disable <email|id>            no more logins or refreshes; every session revoked at once
  enable <email|id>             logins work again (revoked sessions stay revoked)
  delete <email|id> --yes       delete the user, its email claim and every session; the email can
                                register again
  events <email|id> [--limit N] [--cursor C]
                                the user's security events, newest first (default 50, at most 100)

Where (default: the local stack started by npm start):
  --endpoint <url>              DynamoDB endpoint (default http://127.0.0.1:\${DYNAMODB_PORT:-8000}
                                for the local stage; none, i.e. AWS, for other stages)
  --stage <name>                stage (default local); other stages read the table names from the
                                CloudFormation stack ${SERVICE}-<stage> outputs
  --region <region>             AWS region (default AWS_REGION, else us-east-1)
  --users-table <name>          explicit table names (or USERS_TABLE / SESSIONS_TABLE)
  --sessions-table <name>

Output is JSON. Exit status: 0 done, 1 not found or failed, 2 bad usage.
`;

/** Where the tables are. */
export interface Target {
  endpoint: string | undefined;
  region: string;
  usersTable: string;
  sessionsTable: string;
}

export class UsageError extends Error {}

type Env = Record<string, string | undefined>;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  yes: { type: 'boolean' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  endpoint: { type: 'string' },
  stage: { type: 'string' },
  region: { type: 'string' },
  'users-table': { type: 'string' },
  'sessions-table': { type: 'string' },
} as const;

export function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

type Values = ReturnType<typeof parseCommandLine>['values'];

/** Reads a deployed stage's table names from its stack outputs. */
async function stackTables(stage: string, region: string): Promise<{ users: string; sessions: string }> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const stackName = `${SERVICE}-${stage}`;
  const out = await new CloudFormationClient({ region }).send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = out.Stacks?.[0]?.Outputs ?? [];
  const output = (key: string) => outputs.find((o) => o.OutputKey === key)?.OutputValue;
  const users = output('UsersTableName');
  const sessions = output('SessionsTableName');
  if (!users || !sessions) throw new UsageError(`stack ${stackName} in ${region} has no UsersTableName/SessionsTableName outputs; pass --users-table and --sessions-table`);
  return { users, sessions };
}

export async function resolveTarget(values: Values, env: Env): Promise<Target> {
  const stage = values.stage ?? 'local';
  const region = values.region ?? env.AWS_REGION ?? 'us-east-1';
  const local = stage === 'local';
  const endpoint = values.endpoint ?? env.DYNAMODB_ENDPOINT ?? (local ? `http://127.0.0.1:${env.DYNAMODB_PORT ?? '8000'}` : undefined);
  const explicitUsers = values['users-table'] ?? env.USERS_TABLE;
  const explicitSessions = values['sessions-table'] ?? env.SESSIONS_TABLE;
  if ((explicitUsers === undefined) !== (explicitSessions === undefined)) {
    throw new UsageError('give both --users-table and --sessions-table (or USERS_TABLE and SESSIONS_TABLE), or neither');
  }
  if (explicitUsers && explicitSessions) return { endpoint, region, usersTable: explicitUsers, sessionsTable: explicitSessions };
  const names = local || endpoint ? tableNames(stage) : await stackTables(stage, region);
  return { endpoint, region, usersTable: names.users, sessionsTable: names.sessions };
}

export function adminDeps(target: Target): AdminDeps {
  const doc = createDocumentClient({ endpoint: target.endpoint, region: target.region });
  const transactions = new TransactionWriter(doc);
  return {
    users: new UsersRepository(doc, target.usersTable, transactions),
    sessions: new SessionsRepository(doc, target.sessionsTable, transactions),
    factors: new FactorsRepository(doc, target.usersTable),
    tokens: new OneTimeTokensRepository(doc, target.usersTable),
    // The retention only matters to events written here (disabling); the stack's setting is 90 days.
    events: new SecurityEventsRepository(doc, target.usersTable, Number(process.env.SECURITY_EVENTS_TTL_DAYS ?? 90)),
    transactions,
    clock: systemClock,
  };
}

function needOne(positionals: string[], what: string): string {
  const [ref] = positionals;
  if (!ref || positionals.length !== 1) throw new UsageError(`${what} takes one <email|id>`);
  return ref;
}

/** Runs one command and returns what to print. */
export async function runCommand(deps: AdminDeps, command: string | undefined, positionals: string[], values: Values): Promise<unknown> {
  switch (command) {
    case 'show':
      return showUser(deps, needOne(positionals, 'show'));
    case 'list': {
      if (positionals.length > 0) throw new UsageError('list takes no arguments (use --limit and --cursor)');
      const limit = values.limit === undefined ? 50 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be a whole number from 1 to 1000');
      return listUsers(deps, { limit, cursor: values.cursor });
    }
    case 'set-roles': {
      const [ref, roles] = positionals;
      if (!ref || roles === undefined || positionals.length !== 2) throw new UsageError('set-roles takes <email|id> <roles> (comma-separated; "" for none)');
      return setRoles(deps, ref, roles.split(','));
    }
    case 'disable':
      return disableUser(deps, needOne(positionals, 'disable'));
    case 'enable':
      return enableUser(deps, needOne(positionals, 'enable'));
    case 'events': {
      const limit = values.limit === undefined ? 50 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new UsageError('--limit must be a whole number from 1 to 100');
      return userEvents(deps, needOne(positionals, 'events'), { limit, cursor: values.cursor });
    }
    case 'delete': {
      const ref = needOne(positionals, 'delete');
      if (!values.yes) throw new UsageError(`delete cannot be undone: run it again with --yes to delete ${ref}`);
      return deleteUser(deps, ref);
    }
    default:
      throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
  }
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The whole CLI: parse, resolve the tables, run, print. Returns the exit status. */
export async function main(argv: string[], env: Env = process.env, io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(argv);
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    const [command, ...rest] = positionals;
    if (command === undefined) throw new UsageError('no command given');
    const target = await resolveTarget(values, env);
    const result = await runCommand(adminDeps(target), command, rest, values);
    io.out(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof AppError && err.code === 'not_found') {
      io.err('No such user.\n');
      return 1;
    }
    if (err instanceof AppError && err.code === 'invalid_request') {
      io.err(`${err.details?.map((d) => `${d.field}: ${d.message}`).join('\n') ?? err.message}\n`);
      return 2;
    }
    // The cause (an SDK error: credentials, a missing table, a changed user) is what helps here.
    const cause = err instanceof AppError && err.cause instanceof Error ? err.cause : err;
    io.err(`Failed: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}\n`);
    return 1;
  }
}

if (process.argv[1] && /users\.[cm]?[jt]s$/.test(process.argv[1])) {
  // Operators read JSON on stdout; the use cases' structured log lines would only interleave.
  process.env.LOG_LEVEL ??= 'warn';
  // This machine's Node is what it is; the SDK's notice about future versions is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  void main(process.argv.slice(2)).then((status) => {
    process.exitCode = status;
  });
}
