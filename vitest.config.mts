import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Starts DynamoDB Local and serverless-offline once for the whole run, and stops them after.
    globalSetup: ['tests/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    // Quiet info logs; tests about logging raise the level themselves.
    env: { LOG_LEVEL: 'warn' },
  },
});
