/**
 * Cold start proxy per function: a fresh Node process that requires the bundle (which builds its
 * clients and key store at module scope, as on Lambda) and reports how long that took, against the
 * same measurement for an empty module. Median of `runs` interleaved runs.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { FUNCTIONS } from '../esbuild.config.mjs';
import { median, round } from './stats';

export interface ColdStartResult {
  function: string;
  bytes: number;
  gzipBytes: number;
  initMs: number;
  overEmptyMs: number;
}

const PROBE = `
const t0 = process.hrtime.bigint();
require(process.argv[1]);
const t1 = process.hrtime.bigint();
process.stdout.write(String(Number(t1 - t0) / 1e6));
`;

export function benchColdStart(env: Record<string, string>, runs = 10): ColdStartResult[] {
  const root = path.resolve(__dirname, '..');
  const empty = path.join(tmpdir(), 'bench-empty-module.js');
  writeFileSync(empty, '');
  const targets: Record<string, string> = { '(empty module)': empty };
  for (const fn of FUNCTIONS) targets[fn] = path.join(root, 'dist', fn, 'index.js');
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  for (let r = 0; r < runs; r += 1) {
    for (const [name, file] of Object.entries(targets)) {
      const out = execFileSync(process.execPath, ['-e', PROBE, file], { env: { ...process.env, ...env }, encoding: 'utf8' });
      samples[name]!.push(Number(out));
    }
  }
  const emptyMs = median(samples['(empty module)']!);
  return Object.entries(targets).map(([name, file]) => {
    const bytes = name === '(empty module)' ? 0 : statSync(file).size;
    return {
      function: name,
      bytes,
      gzipBytes: bytes ? gzipSync(readFileSync(file)).length : 0,
      initMs: round(median(samples[name]!), 2),
      overEmptyMs: round(median(samples[name]!) - emptyMs, 2),
    };
  });
}
