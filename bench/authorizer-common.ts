/**
 * What the warm authorizer rows share, in the bench process and in the one-bundle processes of
 * bench/authorizer-alone.ts: the floor, the timing loop and the authorizer event.
 */

export type Op = () => Promise<unknown> | unknown;

/** The floor: the least a correct RS256 access-token check can do, with node:crypto. */
export { floorVerifier } from './floor.cjs';

/** µs per call of `op`, as CPU time and as wall time. */
export async function timeOps(op: Op, iterations: number): Promise<{ cpu: number; wall: number }> {
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) await op();
  const wall = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  const cpu = process.cpuUsage(cpu0);
  return { cpu: (cpu.user + cpu.system) / iterations, wall };
}

/** A real HTTP API (payload 2.0) authorizer event carrying `token`. */
export function httpApiEvent(token: string) {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/auth/me',
    identitySource: [`Bearer ${token}`],
    routeKey: 'GET /auth/me',
    rawPath: '/auth/me',
    rawQueryString: '',
    headers: { authorization: `Bearer ${token}`, host: 'abcdef123.execute-api.us-east-1.amazonaws.com', 'user-agent': 'bench' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef123',
      domainName: 'abcdef123.execute-api.us-east-1.amazonaws.com',
      http: { method: 'GET', path: '/auth/me', protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'bench' },
      requestId: 'bench',
      routeKey: 'GET /auth/me',
      stage: '$default',
      time: '23/Nov/2026:00:00:00 +0000',
      timeEpoch: 0,
    },
  };
}
