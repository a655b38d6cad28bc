/**
 * Test-run setup: one in-memory DynamoDB Local with the `local` tables, a throwaway key set, the
 * function bundles built fresh, and serverless-offline on free ports pointed at all of it. Every
 * child is stopped at the end (and on failure). Test files read the endpoints with `inject()`.
 *
 * The offline gateway keeps the production defaults except bcrypt cost (6, for speed) and the
 * per-IP limits (every request comes from 127.0.0.1). tests/e2e/reuse.test.ts starts its own
 * gateway with a short grace window, so the 20-way race here runs with the real 10 s window.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildAll } from '../../esbuild.config.mjs';
import { ensureDevKeys, ensureTables, freePort, startDynamoLocal, startOffline, type Child } from '../../scripts/stack';

export const E2E_BCRYPT_COST = 6;

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    apiUrl: string;
    keysFile: string;
    bcryptCost: number;
  }
}

export default async function setup(project: TestProject) {
  const children: Child[] = [];
  const workDir = await mkdtemp(path.join(tmpdir(), 'jwt-auth-test-'));
  const teardown = async () => {
    await Promise.all(children.map((c) => c.stop()));
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    const keysFile = path.join(workDir, 'signing-keys.json');
    const [dynamo] = await Promise.all([
      freePort().then((port) => startDynamoLocal({ port })),
      buildAll(),
      ensureDevKeys(keysFile, 'RS256'),
    ]);
    children.push(dynamo);
    await ensureTables(dynamo.endpoint, 'local');
    const offline = await startOffline({
      port: await freePort(),
      lambdaPort: await freePort(),
      env: {
        DYNAMODB_ENDPOINT: dynamo.endpoint,
        SIGNING_KEYS_FILE: keysFile,
        BCRYPT_COST: String(E2E_BCRYPT_COST),
        // Every e2e request comes from 127.0.0.1; the per-IP limits have tests of their own.
        LOGIN_IP_LIMIT_PER_MINUTE: '100000',
        REGISTER_IP_LIMIT_PER_MINUTE: '100000',
        LOG_LEVEL: 'warn',
      },
    });
    children.push(offline);
    project.provide('dynamoEndpoint', dynamo.endpoint);
    project.provide('apiUrl', offline.url);
    project.provide('keysFile', keysFile);
    project.provide('bcryptCost', E2E_BCRYPT_COST);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
