/**
 * `npm run bench`: measures the service on this machine and prints one table per part, then
 * writes bench/results.json (schema in bench/README.md). Bounded to a few minutes on 2 cores.
 *   BENCH_QUICK=1 shortens every part (for a smoke run).
 *   BENCH_ONLY=authorizer,cold-start runs only the parts named (the two figures the authorizer's
 *   targets are read from), prints them and leaves bench/results.json alone.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildAll } from '../esbuild.config.mjs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { tableNames } from '../infra/tables.js';
import { KeyStore } from '../lib/keys/key-store';
import { FileKeySource } from '../lib/keys/sources';
import { signAccessToken } from '../lib/tokens/access-token';
import { ensureDevKeys, ensureTables, freePort, localDynamoClient, startDynamoLocal, startOffline, startSesLocal, type Child } from '../scripts/stack';
import { startLocalIdp, type LocalIdp } from '../scripts/local-idp';
import { benchAuthorizer } from './authorizer';
import { httpApiEvent } from './authorizer-common';
import { benchColdStart } from './cold-start';
import { benchHttp } from './http';
import { monthlyEstimate, operationCost, PRICES, PROFILE, type OperationCost } from './cost';
import { benchOperations } from './operations';
import { benchRevocationDesigns } from './revocation';
import { printTable, round } from './stats';

// The SDK's notice that releases after January 2027 need Node 22 concerns this machine's Node, not
// Lambda's runtime. Silenced here as npm start and the test gateways do, so the bench's child
// processes inherit it and the tables are no longer buried in 9-line warnings.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ISSUER = 'http://localhost:3000';
const AUDIENCE = 'lambda-jwt-auth-local';
const BCRYPT_COST = 10;

async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const only = process.env.BENCH_ONLY?.split(',').map((part) => part.trim()).filter(Boolean);
  const runs = (part: 'authorizer' | 'cold-start') => !only || only.includes(part);
  const started = Date.now();
  const children: Child[] = [];
  let idp: LocalIdp | undefined;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'jwt-auth-bench-'));
  try {
    const keysFile = path.join(workDir, 'keys.json');
    const [dynamo, ses] = await Promise.all([
      freePort().then((port) => startDynamoLocal({ port })),
      freePort().then((port) => startSesLocal({ port })),
      buildAll(),
      ensureDevKeys(keysFile, 'RS256'),
    ]);
    children.push(dynamo, ses);
    await ensureTables(dynamo.endpoint, 'local');
    // A real OpenID provider for the federated rows (scripts/local-idp.ts), as `npm start` runs it.
    idp = await startLocalIdp({ port: await freePort(), clients: [{ clientId: 'bench', clientSecret: 'bench-secret', redirectUris: [`${ISSUER}/auth/oauth/local/callback`] }] });
    const secretsFile = path.join(workDir, 'oauth-client-secrets.json');
    await writeFile(secretsFile, JSON.stringify({ local: 'bench-secret' }), { mode: 0o600 });
    const env = {
      AUTH_MODE: 'local',
      ISSUER,
      AUDIENCE,
      SIGNING_KEYS_FILE: keysFile,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      SES_ENDPOINT: ses.endpoint,
      // The account rows measure requests and handler time, not the anti-enumeration floor.
      FORGOT_MIN_RESPONSE_MS: '0',
      EMAIL_MAX_PER_ADDRESS: '1000',
      EMAIL_IP_LIMIT_PER_WINDOW: '0',
      BCRYPT_COST: String(BCRYPT_COST),
      // High enough never to trip, low enough to stay on: their counters are part of the cost.
      LOGIN_IP_LIMIT_PER_MINUTE: '1000000',
      REGISTER_IP_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: 'silent',
      OAUTH_PROVIDERS: JSON.stringify([{ name: 'local', issuer: idp.issuer, clientId: 'bench' }]),
      OAUTH_CLIENT_SECRETS_FILE: secretsFile,
    };
    Object.assign(process.env, env);

    const keys = new KeyStore(new FileKeySource(keysFile), { alg: 'RS256' });
    const accessToken = await signAccessToken(
      keys,
      { issuer: ISSUER, audience: AUDIENCE, alg: 'RS256', ttlSeconds: 900 },
      { userId: 'bench-user', sessionId: 'bench-session', email: 'bench@example.com', roles: ['user'] },
      new Date(),
    );

    // The bench token's session, live, so the authorizer's session check allows it.
    const benchDoc = DynamoDBDocumentClient.from(localDynamoClient(dynamo.endpoint));
    await benchDoc.send(new PutCommand({
      TableName: tableNames('local').sessions,
      Item: { pk: 'SESSION#bench-session', sid: 'bench-session', userId: 'bench-user', owner: 'bench-user', createdAt: new Date().toISOString(), lastUsedAt: new Date().toISOString(), expiresAt: Math.floor(Date.now() / 1000) + 86_400 },
    }));
    benchDoc.destroy();

    console.log(`bench: node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`);
    // The machine is shared: each part's figures come with the load average around them.
    const loadAverage: Record<string, { before: number[]; after: number[] }> = {};
    const load = () => os.loadavg().map((v) => round(v, 2));
    const loadLine = (part: string) => `  load average (1, 5, 15 min) before ${loadAverage[part]!.before.join(', ')}; after ${loadAverage[part]!.after.join(', ')}`;

    loadAverage.authorizer = { before: load(), after: [] };
    const authorizer = runs('authorizer') ? await benchAuthorizer({ keysFile, accessToken, issuer: ISSUER, audience: AUDIENCE, ...(quick ? { repetitions: 3, iterations: 300, processes: 1 } : {}) }) : [];
    loadAverage.authorizer.after = load();
    if (runs('authorizer')) {
      printTable('Authorizer, warm, per invocation (median of interleaved repetitions; CPU time, wall time beside it)', authorizer.map((r) => ({ implementation: r.name, 'CPU µs/op': r.usPerOp, 'x floor': r.ratioToFloor, 'x floor, lowest-highest process': r.ratioRange ? r.ratioRange.join('-') : '', 'wall µs/op': r.wallUsPerOp })));
      console.log(loadLine('authorizer'));
    }

    loadAverage.coldStart = { before: load(), after: [] };
    const first = { keysFile, accessToken, issuer: ISSUER, audience: AUDIENCE, event: httpApiEvent(accessToken) };
    const coldFunctions = process.env.BENCH_COLD_FUNCTIONS?.split(',').map((part) => part.trim()).filter(Boolean);
    const coldStart = runs('cold-start') ? benchColdStart(env, quick ? 3 : 10, quick ? 6 : 60, first, coldFunctions) : [];
    loadAverage.coldStart.after = load();
    if (runs('cold-start')) printTable('Cold start: fresh processes requiring the bundle, each paired with one requiring an empty module (medians over pairs)', coldStart.map((r) => ({
      function: r.function, bytes: r.bytes, gzip: r.gzipBytes, 'process ms': r.processMs, 'over empty ms (wall)': r.overEmptyMs, '95% interval (wall)': r.overEmptyMsInterval.join(' to '), 'over empty ms (CPU)': r.overEmptyCpuMs, 'x empty (wall)': r.ratioToEmpty, 'over empty ms (inside)': r.insideOverEmptyMs, '95% interval (inside)': r.insideOverEmptyMsInterval.join(' to '), pairs: r.runs,
    })));
    if (runs('cold-start')) console.log(loadLine('coldStart'));
    if (only) {
      console.log(`\nBENCH_ONLY=${only.join(',')}: the other parts were skipped and bench/results.json left as it was`);
      return;
    }

    const operations = await benchOperations({ bcryptCost: BCRYPT_COST, federation: { issuer: ISSUER }, ...(quick ? { samples: { slow: 5, fast: 20 } } : {}) });
    printTable(`Operations through the handlers against DynamoDB Local (bcrypt cost ${BCRYPT_COST})`, operations.map((r) => ({
      operation: r.operation, n: r.n, 'p50 ms': r.p50Ms, 'p99 ms': r.p99Ms, 'bcrypt ms': r.bcryptMs ?? '', 'DynamoDB req/op': r.dynamoRequestsPerOp, 'read units': r.readUnitsPerOp, 'write units': r.writeUnitsPerOp, 'design minimum': r.designMinimum,
    })));

    const revocation = await benchRevocationDesigns(dynamo.endpoint);
    printTable('Revocation at the authorizer: 1,000 authorizations over 100 sessions in 10 s, one container, one revocation a second', revocation.results.map((r) => ({
      design: r.design, 'DynamoDB req / 1,000 auth': r.dynamoRequestsPer1000, 'read units / 1,000 auth': r.readUnitsPer1000,
      'extra write units / revocation': r.extraWriteUnitsPerRevocation, 'staleness by design (s)': r.designBoundMs / 1000,
      'worst refusal delay seen (s)': r.worstRefusalDelayMs / 1000, 'allowed past the bound': r.allowedAfterRevocationBeyondBound,
    })));
    console.log(`  measured: session GetItem ${revocation.getItemUnits} read unit; revocation write ${revocation.revokeUnits.plain} write unit, ${revocation.revokeUnits.withFeed} with the feed's index entry (DynamoDB Local's report)`);

    // Dollars per million operations (cost.ts: prices and how duration is estimated).
    const fnOf: Record<string, string> = { register: 'register', login: 'login', refresh: 'refresh', 'logout (local)': 'logout', me: 'me', 'sessions list': 'sessions-list', 'session delete': 'session-delete' };
    const costs: Record<string, OperationCost> = {};
    for (const op of operations) {
      if (fnOf[op.operation]) costs[op.operation] = operationCost(op, fnOf[op.operation]!, true);
    }
    const coldCheck = operations.find((o) => o.operation === 'authorizer (session check, cold state)')!;
    const statelessUs = authorizer.find((a) => a.name.startsWith('ours, stateless'))!.usPerOp;
    const authorizerCosts = {
      // The GetItem's round trip is waiting, not CPU: the warm (cached) time is the CPU part.
      withCheck: operationCost(
        { ...coldCheck, operation: 'authorizer, session check (a GetItem per invocation)' },
        'authorizer',
        false,
        Math.max(0, coldCheck.p50Ms - operations.find((o) => o.operation === 'authorizer (session check, warm)')!.p50Ms),
      ),
      stateless: operationCost({ operation: 'authorizer, stateless', p50Ms: statelessUs / 1000, readUnitsPerOp: 0, writeUnitsPerOp: 0 }, 'authorizer', false),
    };
    const costRows = [...Object.values(costs), authorizerCosts.withCheck, authorizerCosts.stateless];
    printTable(`Dollars per million operations (us-east-1 list prices read ${PRICES.checkedOn}; Lambda arm64, duration = p50 here scaled to the function's CPU share)`, costRows.map((c) => ({
      operation: c.operation, 'MB': c.memoryMb, 'billed ms': c.billedMs, 'read units': c.readUnits, 'write units': c.writeUnits,
      'DynamoDB $': c.dynamoPerMillion, 'Lambda $': c.lambdaPerMillion, 'HTTP API $': c.gatewayPerMillion, 'total $ / million': c.totalPerMillion,
    })));
    const monthly = monthlyEstimate(costs, authorizerCosts);
    printTable(`Monthly estimate, ${PROFILE.mau.toLocaleString('en-US')} MAU (profile in bench/cost.ts), dollars`, monthly.map((m) => ({ item: m.item, 'default (session check)': m.default, stateless: m.stateless })));

    const offline = await startOffline({ port: await freePort(), lambdaPort: await freePort(), env: { ...env, LOG_LEVEL: 'silent' } });
    children.push(offline);
    const http = await benchHttp(offline.url, quick ? 2 : 5);
    printTable('Over HTTP through serverless-offline (autocannon; offline is not Lambda)', http.map((r) => ({ route: r.route, connections: r.connections, 'req/s': r.requestsPerSecond, 'p50 ms': r.p50Ms, 'p99 ms': r.p99Ms, non2xx: r.non2xx })));

    const results = {
      schema: 2,
      createdAt: new Date().toISOString(),
      loadAverage,
      machine: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown' },
      settings: { signingAlg: 'RS256', bcryptCost: BCRYPT_COST, quick },
      authorizer,
      coldStart,
      operations,
      revocation,
      costs: { prices: PRICES, perMillion: costRows, profile: PROFILE, monthly },
      http,
      durationSeconds: Math.round((Date.now() - started) / 1000),
    };
    await writeFile(path.join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwrote bench/results.json in ${results.durationSeconds} s`);
  } finally {
    await Promise.all([...children.map((c) => c.stop()), idp?.stop()]);
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
