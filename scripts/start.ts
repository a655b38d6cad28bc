/**
 * `npm start`: the whole local stack in one command.
 *   1. builds the function bundles (and keeps rebuilding them on change);
 *   2. starts DynamoDB Local (data kept in .data/dynamodb; IN_MEMORY=1 or --in-memory for a
 *      throwaway database);
 *   3. creates the tables with TTL;
 *   4. writes a dev key set to .local/signing-keys.json on first run;
 *   5. starts the SES v2 emulator on :8005 (SES_PORT overrides), whose mail viewer shows every
 *      email the functions send;
 *   6. runs serverless-offline on :3000 (PORT overrides);
 *   6b. runs the local OpenID provider on :9010 (IDP_PORT overrides) as provider `local`
 *      (scripts/local-idp.ts: `login_hint=<email>` signs that address in at once);
 *   7. serves the demo web app and the OpenAPI document on :5173 (DEMO_PORT overrides), the
 *      local APP_URL that emails link to, and prints a quickstart.
 * Ctrl-C or SIGTERM stops every child.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { DEFAULT_SES_PORT, loadConfig, type SigningAlg } from '../lib/config';
import { startDemoServer } from './demo-server';
import { startLocalIdp } from './local-idp';
import { writeFile } from 'node:fs/promises';
import { ensureDevKeys, ensureTables, ROOT, startDynamoLocal, startOffline, startSesLocal, type Child } from './stack';

const STAGE = 'local';
// Local only: the SDK's notice that releases after January 2027 need Node 22 concerns this
// machine's Node, not the deployed runtime, and would otherwise print on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const inMemory = process.argv.includes('--in-memory') || process.env.IN_MEMORY === '1';
  const port = Number(process.env.PORT ?? 3000);
  const dynamoPort = Number(process.env.DYNAMODB_PORT ?? 8000);
  const demoPort = Number(process.env.DEMO_PORT ?? 5173);
  const demoUrl = `http://localhost:${demoPort}`;
  const sesPort = Number(process.env.SES_PORT ?? DEFAULT_SES_PORT);
  const keysFile = path.resolve(ROOT, process.env.SIGNING_KEYS_FILE ?? '.local/signing-keys.json');
  const alg = (process.env.SIGNING_ALG ?? 'RS256') as SigningAlg;
  const children: Child[] = [];
  let stopDemo: (() => Promise<void>) | undefined;
  let stopIdp: (() => Promise<void>) | undefined;

  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the local stack...');
    await Promise.all([stopDemo?.(), stopIdp?.(), ...children.reverse().map((c) => c.stop())]);
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    // Build once up front, then keep a watcher running for edits.
    const build = spawn(process.execPath, [path.join(ROOT, 'esbuild.config.mjs')], { cwd: ROOT, stdio: 'inherit' });
    const buildCode: number = await new Promise((r) => build.on('exit', (c) => r(c ?? 1)));
    if (buildCode !== 0) throw new Error('the build failed');
    const watcher = spawn(process.execPath, [path.join(ROOT, 'esbuild.config.mjs'), '--watch'], { cwd: ROOT, stdio: 'inherit', detached: true });
    children.push({
      name: 'esbuild-watch',
      process: watcher,
      stop: async () => {
        try {
          process.kill(-watcher.pid!, 'SIGTERM');
        } catch {
          /* gone */
        }
      },
    });

    const dataDir = inMemory ? undefined : path.join(ROOT, '.data', 'dynamodb');
    const dynamo = await startDynamoLocal({ port: dynamoPort, dataDir });
    children.push(dynamo);
    const created = await ensureTables(dynamo.endpoint, STAGE);
    const keys = await ensureDevKeys(keysFile, alg);
    const ses = await startSesLocal({ port: sesPort });
    children.push(ses);

    // The local OpenID provider, as provider `local`; its client secret in a git-ignored file
    // beside the dev keys, read like a deployed stack's Secrets Manager secret.
    const idpPort = Number(process.env.IDP_PORT ?? 9010);
    const idp = await startLocalIdp({
      port: idpPort,
      clients: [{ clientId: 'lambda-jwt-auth-local', clientSecret: 'local-development-secret', redirectUris: [`http://localhost:${port}/auth/oauth/local/callback`] }],
    });
    stopIdp = idp.stop;
    const secretsFile = path.resolve(ROOT, '.local/oauth-client-secrets.json');
    await writeFile(secretsFile, `${JSON.stringify({ local: 'local-development-secret' })}\n`, { mode: 0o600 });

    const env: Record<string, string> = {
      OAUTH_PROVIDERS: process.env.OAUTH_PROVIDERS ?? JSON.stringify([{ name: 'local', issuer: idp.issuer, clientId: 'lambda-jwt-auth-local' }]),
      OAUTH_CLIENT_SECRETS_FILE: process.env.OAUTH_CLIENT_SECRETS_FILE ?? secretsFile,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      SES_ENDPOINT: ses.endpoint,
      SIGNING_KEYS_FILE: keysFile,
      SIGNING_ALG: alg,
      // Email links open the demo's pages; the demo's origin may use cookie mode.
      APP_URL: process.env.APP_URL ?? demoUrl,
      CORS_ALLOWED_ORIGINS: process.env.CORS_ALLOWED_ORIGINS ?? `http://localhost:${port},${demoUrl}`,
    };
    // Fail here, with the same message the functions would log, rather than on the first request.
    loadConfig({ ...process.env, ...env, AUTH_MODE: 'local' });
    const offline = await startOffline({ port, lambdaPort: Number(process.env.LAMBDA_PORT ?? 3002), env, hotReload: true });
    children.push(offline);
    offline.process.stdout?.pipe(process.stdout);
    offline.process.stderr?.pipe(process.stderr);
    const demo = await startDemoServer({ port: demoPort, apiUrl: `http://localhost:${port}` });
    stopDemo = demo.stop;

    const base = `http://localhost:${port}`;
    console.log(`
Local auth service is up.
  Demo app       ${demo.url}   (open it in a browser)
  API            ${base}
  OpenAPI        ${demo.url}/openapi.yaml (also /openapi.json; source docs/openapi.yaml)
  API reference  ${demo.url}/reference (rendered from docs/openapi.yaml on first view)
  JWKS           ${base}/.well-known/jwks.json
  DynamoDB Local ${dynamo.endpoint} (${inMemory ? 'in memory' : `data in ${path.relative(ROOT, dataDir!)}`}${created.length ? `, created ${created.join(', ')}` : ''})
  Dev keys       ${path.relative(ROOT, keysFile)} (${keys}, ${alg})
  Mail viewer    http://localhost:${sesPort}/  (every email sent; JSON at http://localhost:${sesPort}/store)
  OpenID provider ${idp.issuer} (provider \`local\`: ${base}/auth/oauth/local/authorize?redirect_uri=${demo.url}/&login_hint=you@example.com)

Quickstart (needs only curl and node):
  curl -s -X POST ${base}/auth/register -H 'content-type: application/json' \\
    -d '{"email":"ada@example.com","password":"correct horse battery","name":"Ada"}'
  LOGIN=$(curl -s -X POST ${base}/auth/login -H 'content-type: application/json' \\
    -d '{"email":"ada@example.com","password":"correct horse battery"}')
  ACCESS_TOKEN=$(printf '%s' "$LOGIN" | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).accessToken')
  REFRESH_TOKEN=$(printf '%s' "$LOGIN" | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).refreshToken')
  curl -s ${base}/auth/me -H "authorization: Bearer $ACCESS_TOKEN"
  curl -s -X POST ${base}/auth/refresh -H 'content-type: application/json' -d "{\\"refreshToken\\":\\"$REFRESH_TOKEN\\"}"
  curl -s -X POST ${base}/auth/logout -H 'content-type: application/json' -d "{\\"refreshToken\\":\\"$REFRESH_TOKEN\\"}"

Press Ctrl-C to stop.
`);
    offline.process.on('exit', (code) => {
      console.error(`serverless-offline exited (${code}); stopping.`);
      void stopAll(1);
    });
  } catch (err) {
    console.error(`npm start failed: ${(err as Error).message}`);
    await stopAll(1);
  }
}

void main();
