/**
 * serverless-offline gateways for tests: the run's shared one (tests/setup/services.ts) and the
 * ones a test file starts for itself (a short grace window, dependencies down, a tiny function
 * timeout). Both get the same test settings unless a file overrides them, so a gateway of a
 * file's own holds on a loaded machine as well as the shared one.
 */
import { inject } from 'vitest';
import { freePort, startOffline } from '../../scripts/stack';

/**
 * Cheapest cost bcryptjs accepts: races send 20 registrations at once to a small machine, and the
 * cost itself has tests of its own (tests/integration/usecases.test.ts).
 */
export const TEST_BCRYPT_COST = 4;

/**
 * Offline starts one worker thread per concurrent request; 20 of them loading their bundle at
 * once on two busy cores took over 10 s (the production timeout). A Lambda timeout stays a
 * failure (tests/helpers/http.ts); it just cannot be caused by a slow test machine.
 */
export const TEST_FUNCTION_TIMEOUT_SECONDS = 60;

export const TEST_GATEWAY_ENV: Record<string, string> = {
  BCRYPT_COST: String(TEST_BCRYPT_COST),
  FUNCTION_TIMEOUT_SECONDS: String(TEST_FUNCTION_TIMEOUT_SECONDS),
  // Every request comes from 127.0.0.1; the per-IP limits (login, register, email) have tests of their own.
  LOGIN_IP_LIMIT_PER_MINUTE: '100000',
  REGISTER_IP_LIMIT_PER_MINUTE: '100000',
  EMAIL_IP_LIMIT_PER_WINDOW: '100000',
  // The authorizer fails closed when a session read is slow; under a load average of 30 a
  // DynamoDB Local answer took longer than the production 1 s, and a fresh session was refused.
  AUTHORIZER_SESSION_READ_TIMEOUT_MS: '15000',
  // Twenty refreshes of one token from one client, raced on a loaded machine, reached the
  // gateway's cold workers more than the default 10 s apart and counted as reuse. Tests of the
  // window's end run gateways of their own with a short one (reuse, oauth, refresh-races...).
  REFRESH_REUSE_GRACE_SECONDS: '60',
  LOG_LEVEL: 'warn',
};

export type TestGateway = Awaited<ReturnType<typeof startOffline>> & { lambdaEndpoint: string };

/**
 * Starts a gateway on free ports with TEST_GATEWAY_ENV overridden by `env`. Pass the services it
 * should use (DYNAMODB_ENDPOINT, SIGNING_KEYS_FILE, ...) in `env`; stop it with `stop()`.
 */
export async function startTestGateway(
  env: Record<string, string>,
  options: { readyPath?: string; inProcess?: boolean; port?: number } = {},
): Promise<TestGateway> {
  const { port, ...rest } = options;
  for (let attempt = 1; ; attempt += 1) {
    const lambdaPort = await freePort();
    try {
      const gateway = await startOffline({ port: port ?? (await freePort()), lambdaPort, env: { ...TEST_GATEWAY_ENV, ...env }, ...rest });
      return Object.assign(gateway, { lambdaEndpoint: `http://127.0.0.1:${lambdaPort}` });
    } catch (err) {
      // With another suite running beside this one, a port freePort() found can be taken before
      // the gateway listens on it: start again on fresh ports. Any other failure is the test's.
      if (attempt >= 3 || !/EADDRINUSE|address already in use/i.test((err as Error).message)) throw err;
    }
  }
}

/**
 * A gateway of a test file's own on the run's shared services (DynamoDB Local, signing keys, the
 * SES emulator), with `env` on top of the test settings.
 */
export function startFileGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  return startTestGateway({ DYNAMODB_ENDPOINT: inject('dynamoEndpoint'), SIGNING_KEYS_FILE: inject('keysFile'), SES_ENDPOINT: inject('sesEndpoint'), ...env });
}
