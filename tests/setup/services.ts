/**
 * The local services that integration and e2e tests run against, each started at most once per
 * test run and shared by every project that asks for it. A project's global setup file
 * (tests/setup/<project>.ts) names the services it needs; their values reach the tests through
 * `inject()` (the keys of ProvidedContext below). Everything started is stopped when the last
 * project using it finishes, and on a failed start.
 *
 * To add a service: add a `start` function to SERVICES returning `{ provide, stop }`, declare its
 * provided keys in ProvidedContext, and list its name in the setup file of each project that needs
 * it. A service that depends on another calls `need('<name>')` and gets that service's values.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildAll } from '../../esbuild.config.mjs';
import { ensureDevKeys, ensureTables, freePort, startDynamoLocal, startSesLocal } from '../../scripts/stack';
import { startTestGateway } from '../helpers/gateway';
import { startLocalIdp, type LocalIdp } from '../../scripts/local-idp';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Scratch directory of this run, removed at the end. */
    workDir: string;
    /** Throwaway signing key set (RS256) used by the gateway and by testDeps(). */
    keysFile: string;
    /** In-memory DynamoDB Local with the `local` stage's tables. */
    dynamoEndpoint: string;
    /** The SES v2 emulator (aws-ses-v2-local): `GET <sesEndpoint>/store` lists every email sent. */
    sesEndpoint: string;
    /** The shared serverless-offline gateway (built bundles, test settings of helpers/gateway.ts). */
    apiUrl: string;
    /** Endpoint of the gateway's functions for direct invocation (AWS Lambda Invoke API). */
    lambdaEndpoint: string;
    /**
     * The local OpenID providers the shared gateway federates with: `local` (says
     * `email_verified: true`) and `unverified` (says false), both with the test hooks of
     * scripts/local-idp.ts. The gateway's port is chosen before them: their clients' redirect URIs name it.
     */
    idps: { local: string; unverified: string };
    /** The shared gateway's port, chosen before it starts (the providers' redirect URIs name it). */
    gatewayPort: number;
  }
}

type Provided = import('vitest').ProvidedContext;
type Values = Partial<Provided>;
interface Started<V extends Values> {
  provide: V;
  stop?: () => Promise<void>;
}
type Need = <N extends ServiceName>(name: N) => Promise<ServiceValues<N>>;

export const SERVICES = {
  async workDir() {
    const dir = await mkdtemp(path.join(tmpdir(), 'jwt-auth-test-'));
    return { provide: { workDir: dir }, stop: () => rm(dir, { recursive: true, force: true }) };
  },

  async keys(need: Need) {
    const keysFile = path.join((await need('workDir')).workDir, 'signing-keys.json');
    await ensureDevKeys(keysFile, 'RS256');
    return { provide: { keysFile } };
  },

  async dynamo() {
    const dynamo = await startDynamoLocal({ port: await freePort() });
    try {
      await ensureTables(dynamo.endpoint, 'local');
    } catch (err) {
      await dynamo.stop();
      throw err;
    }
    return { provide: { dynamoEndpoint: dynamo.endpoint }, stop: dynamo.stop };
  },

  async ses() {
    const ses = await startSesLocal({ port: await freePort() });
    return { provide: { sesEndpoint: ses.endpoint }, stop: ses.stop };
  },

  /** The function bundles in dist/, built from the current sources. */
  async bundles() {
    await buildAll();
    return { provide: {} };
  },

  /** Two local OpenID providers on free ports (scripts/local-idp.ts), and the gateway port they know. */
  async idps(need: Need) {
    const { workDir } = await need('workDir');
    const gatewayPort = await freePort();
    const redirect = (name: string) => [`http://localhost:${gatewayPort}/auth/oauth/${name}/callback`];
    const started: LocalIdp[] = [];
    try {
      for (const name of ['local', 'unverified'] as const) {
        const port = await freePort();
        started.push(await startLocalIdp({ port, testHooks: true, emailVerified: name === 'local', clients: [{ clientId: `test-${name}`, clientSecret: `secret-${name}`, redirectUris: redirect(name) }] }));
      }
    } catch (err) {
      await Promise.all(started.map((idp) => idp.stop()));
      throw err;
    }
    const [local, unverified] = started as [LocalIdp, LocalIdp];
    const secretsFile = path.join(workDir, 'oauth-client-secrets.json');
    await writeFile(secretsFile, JSON.stringify({ local: 'secret-local', unverified: 'secret-unverified' }), { mode: 0o600 });
    const providers = JSON.stringify([
      { name: 'local', issuer: local.issuer, clientId: 'test-local' },
      { name: 'unverified', issuer: unverified.issuer, clientId: 'test-unverified' },
    ]);
    return {
      provide: { idps: { local: local.issuer, unverified: unverified.issuer }, gatewayPort },
      env: { OAUTH_PROVIDERS: providers, OAUTH_CLIENT_SECRETS_FILE: secretsFile },
      stop: async () => void (await Promise.all(started.map((idp) => idp.stop()))),
    };
  },

  async offline(need: Need) {
    const [{ dynamoEndpoint }, { keysFile }, { sesEndpoint }, idps] = await Promise.all([need('dynamo'), need('keys'), need('ses'), startedIdps(need), need('bundles')]);
    const offline = await startTestGateway({ DYNAMODB_ENDPOINT: dynamoEndpoint, SIGNING_KEYS_FILE: keysFile, SES_ENDPOINT: sesEndpoint, ...idps.env }, { port: idps.gatewayPort });
    return {
      provide: {
        apiUrl: offline.url,
        lambdaEndpoint: offline.lambdaEndpoint,
      },
      stop: offline.stop,
    };
  },
} satisfies Record<string, (need: Need) => Promise<Started<Values>>>;

export type ServiceName = keyof typeof SERVICES;

/** The gateway's side of the `idps` service: the settings naming the providers, and its port. */
async function startedIdps(need: Need): Promise<{ env: Record<string, string>; gatewayPort: number }> {
  const { gatewayPort } = await need('idps');
  const entry = await registry.running.get('idps')!.started;
  return { env: (entry as Started<Values> & { env: Record<string, string> }).env, gatewayPort: gatewayPort! };
}
type ServiceValues<N extends ServiceName> = Awaited<ReturnType<(typeof SERVICES)[N]>>['provide'];

/**
 * Shared across projects: every project's global setup runs in the same process, but each loads
 * this module through its own module runner, so module-level state would not be shared.
 */
interface Entry {
  started: Promise<Started<Values>>;
  /** Services this one asked for with need(). */
  needs: Set<ServiceName>;
}
interface Registry {
  running: Map<ServiceName, Entry>;
  /** Stop functions, in start order. */
  stops: Array<() => Promise<void>>;
  users: number;
}
const registry: Registry = ((globalThis as Record<symbol, unknown>)[Symbol.for('lambda-jwt-auth.test-services')] ??= {
  running: new Map(),
  stops: [],
  users: 0,
}) as Registry;

function start<N extends ServiceName>(name: N): Promise<ServiceValues<N>> {
  let entry = registry.running.get(name);
  if (!entry) {
    const needs = new Set<ServiceName>();
    const need: Need = (dependency) => {
      needs.add(dependency);
      return start(dependency);
    };
    const started = (SERVICES[name] as (need: Need) => Promise<Started<Values>>)(need).then((s) => {
      if (s.stop) registry.stops.push(s.stop);
      return s;
    });
    entry = { started, needs };
    registry.running.set(name, entry);
  }
  return entry.started.then((s) => s.provide as ServiceValues<N>);
}

/** `names` and everything they needed, transitively (call once they have started). */
function withDependencies(names: ServiceName[]): Set<ServiceName> {
  const all = new Set<ServiceName>();
  const visit = (name: ServiceName) => {
    if (all.has(name)) return;
    all.add(name);
    for (const dependency of registry.running.get(name)?.needs ?? []) visit(dependency);
  };
  names.forEach(visit);
  return all;
}

async function stopAll(): Promise<void> {
  const stops = registry.stops.splice(0).reverse();
  registry.running.clear();
  for (const stop of stops) await stop().catch((err) => console.error('stopping a test service failed:', err));
}

/**
 * Global setup body: starts `names` (and what they need) unless another project already did,
 * provides their values to `project`, and returns the teardown.
 */
export async function useServices(project: TestProject, names: ServiceName[]): Promise<() => Promise<void>> {
  registry.users += 1;
  const release = async () => {
    registry.users -= 1;
    if (registry.users === 0) await stopAll();
  };
  try {
    await Promise.all(names.map((name) => start(name)));
    for (const name of withDependencies(names)) {
      const { provide } = await registry.running.get(name)!.started;
      for (const [key, value] of Object.entries(provide)) project.provide(key as keyof Provided, value as never);
    }
  } catch (err) {
    await release();
    throw err;
  }
  return release;
}
