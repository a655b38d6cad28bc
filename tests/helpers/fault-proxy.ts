/**
 * A switchable HTTP proxy in front of DynamoDB Local, to make DynamoDB fail for one consumer (the
 * authorizer) while the rest of the stack keeps working. `mode`:
 * - `pass`: forwards every request unchanged;
 * - `error`: answers 500 with a DynamoDB-style error body, as a failing service would;
 * - `throttle`: answers 400 ThrottlingException, DynamoDB's way of saying "slow down".
 * `throttleNext`, when above 0, throttles that many more requests whatever the mode, then passes.
 * `beforeThrottle`, when set, runs before a throttling answer goes out: what it writes lands
 * between the throttled attempt and the client's retry.
 * `requests` counts requests seen, by DynamoDB target (e.g. `GetItem`).
 */
import { createServer, type Server } from 'node:http';

export type ProxyMode = 'pass' | 'error' | 'throttle';

export interface FaultProxy {
  url: string;
  mode: ProxyMode;
  throttleNext: number;
  beforeThrottle: (() => Promise<void>) | undefined;
  requests: Map<string, number>;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const requests = new Map<string, number>();
  // The handler reads the settings from the object handed back, so a test changes them in place.
  const state: Omit<FaultProxy, 'url' | 'close'> = { mode: 'pass', throttleNext: 0, beforeThrottle: undefined, requests };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      requests.set(op, (requests.get(op) ?? 0) + 1);
      if (state.mode === 'error') {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'injected fault' }));
        return;
      }
      if (state.mode === 'throttle' || state.throttleNext > 0) {
        state.throttleNext = Math.max(0, state.throttleNext - 1);
        const answer = () => {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'injected throttling' }));
        };
        const before = state.beforeThrottle;
        if (before) void before().then(answer, () => void res.writeHead(502).end());
        else answer();
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(k)) headers[k] = v;
      fetch(`${target}${req.url ?? '/'}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined })
        .then(async (answer) => {
          const body = Buffer.from(await answer.arrayBuffer());
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/x-amz-json-1.0' });
          res.end(body);
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
