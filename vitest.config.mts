import { defineConfig } from 'vitest/config';

/**
 * Four projects, one per kind of test (`client`: the client package against the running API). `unit` starts nothing (no Java, no gateway); the other
 * projects' global setups start the services they need, once per run, shared between projects
 * (tests/setup/services.ts). `npm test` runs them all; `npm run test:<project>` runs one.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          globalSetup: ['tests/setup/unit.ts'],
          // Generous for a loaded 2-core machine (RSA key generation, `sls package` runs); a timed
          // assertion never belongs in a test, so a slow machine may only make tests slower.
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Quiet info logs; tests about logging raise the level themselves.
          env: { LOG_LEVEL: 'warn' },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/setup/integration.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          env: { LOG_LEVEL: 'warn' },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/setup/e2e.ts'],
          // Sized for a loaded 2-core machine: a race of 20 requests may wait on 20 cold workers.
          testTimeout: 90_000,
          hookTimeout: 180_000,
          env: { LOG_LEVEL: 'warn' },
        },
      },
      {
        extends: true,
        test: {
          name: 'client',
          include: ['tests/client/**/*.test.ts'],
          globalSetup: ['tests/setup/e2e.ts'],
          testTimeout: 90_000,
          hookTimeout: 180_000,
          env: { LOG_LEVEL: 'warn' },
        },
      },
    ],
  },
});
