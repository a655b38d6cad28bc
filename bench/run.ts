/**
 * `npm run bench`: measures the service on this machine and prints one table per part, then
 * writes bench/results.json (schema in bench/README.md). Bounded to a few minutes on 2 cores.
 *   BENCH_QUICK=1 shortens every part (for a smoke run).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildAll } from '../esbuild.config.mjs';
import { KeyStore } from '../lib/keys/key-store';
import { FileKeySource } from '../lib/keys/sources';
import { signAccessToken } from '../lib/tokens/access-token';
import { ensureDevKeys, ensureTables, freePort, startDynamoLocal, startOffline, type Child } from '../scripts/stack';
import { benchAuthorizer } from './authorizer';
import { benchColdStart } from './cold-start';
import { benchHttp } from './http';
import { benchOperations } from './operations';
import { printTable } from './stats';

const ISSUER = 'http://localhost:3000';
const AUDIENCE = 'lambda-jwt-auth-local';
const BCRYPT_COST = 10;

async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const started = Date.now();
  const children: Child[] = [];
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'jwt-auth-bench-'));
  try {
    const keysFile = path.join(workDir, 'keys.json');
    const [dynamo] = await Promise.all([freePort().then((port) => startDynamoLocal({ port })), buildAll(), ensureDevKeys(keysFile, 'RS256')]);
    children.push(dynamo);
    await ensureTables(dynamo.endpoint, 'local');
    const env = {
      AUTH_MODE: 'local',
      ISSUER,
      AUDIENCE,
      SIGNING_KEYS_FILE: keysFile,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      BCRYPT_COST: String(BCRYPT_COST),
      // High enough never to trip, low enough to stay on: their counters are part of the cost.
      LOGIN_IP_LIMIT_PER_MINUTE: '1000000',
      REGISTER_IP_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: 'silent',
    };
    Object.assign(process.env, env);

    const keys = new KeyStore(new FileKeySource(keysFile), { alg: 'RS256' });
    const accessToken = await signAccessToken(
      keys,
      { issuer: ISSUER, audience: AUDIENCE, alg: 'RS256', ttlSeconds: 900 },
      { userId: 'bench-user', sessionId: 'bench-session', email: 'bench@example.com', roles: ['user'] },
      Date.now(),
    );

    console.log(`bench: node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`);
    const authorizer = await benchAuthorizer({ keysFile, accessToken, issuer: ISSUER, audience: AUDIENCE, ...(quick ? { repetitions: 3, iterations: 300 } : {}) });
    printTable('Authorizer, warm, per invocation (median of interleaved repetitions)', authorizer.map((r) => ({ implementation: r.name, 'µs/op': r.usPerOp, 'x floor': r.ratioToFloor })));

    const coldStart = benchColdStart(env, quick ? 3 : 10);
    printTable('Cold start proxy: fresh process requiring the bundle (median)', coldStart.map((r) => ({ function: r.function, bytes: r.bytes, gzip: r.gzipBytes, 'init ms': r.initMs, 'over empty ms': r.overEmptyMs })));

    const operations = await benchOperations({ bcryptCost: BCRYPT_COST, ...(quick ? { samples: { slow: 5, fast: 20 } } : {}) });
    printTable(`Operations through the handlers against DynamoDB Local (bcrypt cost ${BCRYPT_COST})`, operations.map((r) => ({
      operation: r.operation, n: r.n, 'p50 ms': r.p50Ms, 'p99 ms': r.p99Ms, 'bcrypt ms': r.bcryptMs ?? '', 'DynamoDB req/op': r.dynamoRequestsPerOp, 'design minimum': r.designMinimum,
    })));

    const offline = await startOffline({ port: await freePort(), lambdaPort: await freePort(), env: { ...env, LOG_LEVEL: 'silent' } });
    children.push(offline);
    const http = await benchHttp(offline.url, quick ? 2 : 5);
    printTable('Over HTTP through serverless-offline (autocannon; offline is not Lambda)', http.map((r) => ({ route: r.route, connections: r.connections, 'req/s': r.requestsPerSecond, 'p50 ms': r.p50Ms, 'p99 ms': r.p99Ms, non2xx: r.non2xx })));

    const results = {
      schema: 1,
      createdAt: new Date().toISOString(),
      machine: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown' },
      settings: { signingAlg: 'RS256', bcryptCost: BCRYPT_COST, quick },
      authorizer,
      coldStart,
      operations,
      http,
      durationSeconds: Math.round((Date.now() - started) / 1000),
    };
    await writeFile(path.join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwrote bench/results.json in ${results.durationSeconds} s`);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
