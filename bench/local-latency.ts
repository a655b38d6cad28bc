/**
 * `npm run bench:local [-- <base URL>]`: times GET /auth/me against a running `npm start`
 * (default http://localhost:3000), the way a developer meets it. Registers a throwaway user,
 * warms the route with 5 requests, then times 30 sequential requests and prints p50/p90/max.
 */
const base = (process.argv[2] ?? `http://localhost:${process.env.PORT ?? 3000}`).replace(/\/$/, '');
const TIMED = 30;
const WARM_UP = 5;

async function timedMe(accessToken: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  const body = (await response.json()) as { id?: string; errorMessage?: string };
  const ms = performance.now() - started;
  // The offline gateway answers a Lambda timeout as HTTP 200: check the body, not only the status.
  if (response.status !== 200 || typeof body.id !== 'string') throw new Error(`GET /auth/me answered ${response.status}: ${JSON.stringify(body)}`);
  return ms;
}

async function main(): Promise<void> {
  const email = `latency-${Date.now()}@example.com`;
  const registered = await fetch(`${base}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'correct horse battery' }),
  });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${await registered.text()}`);
  const { accessToken } = (await registered.json()) as { accessToken: string };

  for (let i = 0; i < WARM_UP; i += 1) await timedMe(accessToken);
  const samples: number[] = [];
  for (let i = 0; i < TIMED; i += 1) samples.push(await timedMe(accessToken));
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)]!;
  console.log(`GET ${base}/auth/me, ${TIMED} sequential requests after ${WARM_UP} warm-up:`);
  console.log(`  p50 ${at(0.5).toFixed(1)} ms   p90 ${at(0.9).toFixed(1)} ms   max ${samples.at(-1)!.toFixed(1)} ms`);
}

main().catch((err) => {
  console.error(`bench:local failed: ${(err as Error).message}`);
  process.exit(1);
});
