/**
 * Throughput over HTTP through the offline gateway with autocannon. For information only: the
 * offline gateway runs handlers in worker threads on this machine, it is not Lambda.
 */
import autocannon from 'autocannon';
import { round } from './stats';

export interface HttpResult {
  route: string;
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

async function run(title: string, opts: autocannon.Options): Promise<HttpResult> {
  const result = await autocannon(opts);
  return {
    route: title,
    connections: opts.connections ?? 1,
    seconds: opts.duration as number,
    requestsPerSecond: round(result.requests.average, 1),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
  };
}

export async function benchHttp(baseUrl: string, seconds = 5): Promise<HttpResult[]> {
  const json = { 'content-type': 'application/json' };
  const email = `http-bench-${Date.now()}@example.com`;
  const password = 'correct horse battery';
  const reg = await fetch(`${baseUrl}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
  if (reg.status !== 201) throw new Error(`register answered ${reg.status}`);
  const { accessToken } = (await reg.json()) as { accessToken: string };
  const connections = 4;
  // One refresh chain per connection: each response's successor is the next request's token.
  const chains = await Promise.all(
    Array.from({ length: connections }, async () => {
      const r = await fetch(`${baseUrl}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
      return ((await r.json()) as { refreshToken: string }).refreshToken;
    }),
  );
  // The login load signs in a user of its own: its hundreds of sessions pass the per-user cap
  // (MAX_SESSIONS_PER_USER), which revokes the oldest, and must not end the sessions the refresh
  // chains and the /auth/me token below belong to.
  const loginEmail = `http-bench-login-${Date.now()}@example.com`;
  const loginReg = await fetch(`${baseUrl}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: loginEmail, password }) });
  if (loginReg.status !== 201) throw new Error(`register answered ${loginReg.status}`);
  let next = 0;
  const results: HttpResult[] = [];
  results.push(
    await run('POST /auth/login', {
      url: `${baseUrl}/auth/login`, method: 'POST', headers: json, body: JSON.stringify({ email: loginEmail, password }), connections: 2, duration: seconds,
    }),
  );
  results.push(
    await run('POST /auth/refresh (rotating chains)', {
      url: `${baseUrl}/auth/refresh`,
      connections,
      duration: seconds,
      requests: [
        {
          method: 'POST',
          headers: json,
          setupRequest: (req: any, context: any) => {
            context.token ??= chains[next++ % chains.length];
            return { ...req, body: JSON.stringify({ refreshToken: context.token }) };
          },
          onResponse: (status: number, body: string, context: any) => {
            if (status === 200) context.token = JSON.parse(body).refreshToken;
          },
        },
      ],
    } as autocannon.Options),
  );
  results.push(
    await run('GET /auth/me', {
      url: `${baseUrl}/auth/me`, headers: { authorization: `Bearer ${accessToken}` }, connections: 8, duration: seconds,
    }),
  );
  return results;
}
