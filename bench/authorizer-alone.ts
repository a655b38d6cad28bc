/**
 * One authorizer bundle alone in a fresh process, as Lambda runs it, timed against the floor in
 * the same process, interleaved: `node --import tsx bench/authorizer-alone.ts '<job JSON>'`
 * prints the samples of both as JSON. bench/authorizer.ts runs it in five processes per setting.
 *
 * Alone, because Lambda runs one authorizer per process: in the bench's own process, beside five
 * other verifiers and two more copies of itself, the same bundle measured 1.62x the floor against
 * 1.23x alone (bench/README.md "Where the authorizer's cold start goes", its third round).
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { floorVerifier, httpApiEvent, timeOps } from './authorizer-common';

export interface AloneJob {
  bundle: string;
  env: Record<string, string>;
  token: string;
  issuer: string;
  audience: string;
  publicJwk: JsonWebKey;
  repetitions: number;
  iterations: number;
}

export interface AloneSamples {
  floor: { cpu: number; wall: number }[];
  ours: { cpu: number; wall: number }[];
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as AloneJob;
  Object.assign(process.env, job.env);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const authorizer = require(job.bundle) as { handler: (e: unknown) => Promise<{ isAuthorized: boolean }> };
  const event = httpApiEvent(job.token);
  const floor = floorVerifier(createPublicKey({ key: job.publicJwk, format: 'jwk' }), job.issuer, job.audience);
  const ops = {
    floor: () => floor(job.token),
    ours: async () => {
      if (!(await authorizer.handler(event)).isAuthorized) throw new Error('the authorizer denied the bench token');
    },
  };
  // Warm-up (JIT, key import, the first session read) and a check that both accept the token.
  for (const op of Object.values(ops)) await timeOps(op, 300);
  const samples: AloneSamples = { floor: [], ours: [] };
  for (let r = 0; r < job.repetitions; r += 1) {
    samples.floor.push(await timeOps(ops.floor, job.iterations));
    samples.ours.push(await timeOps(ops.ours, job.iterations));
  }
  process.stdout.write(JSON.stringify(samples));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
