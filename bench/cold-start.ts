/**
 * Cold start per function, measured on whole processes: a fresh Node process runs a probe file
 * that requires the bundle (which builds its clients and key store at module scope, as on Lambda)
 * and exits. Each run of a bundle is paired with a run of the same probe on an empty module, one
 * right after the other, so the figure is the difference within a pair and a machine whose speed
 * drifts (other work on a shared host) moves both halves alike. Reported per function: the median
 * of the paired wall-time differences, the same for CPU time (user + system, as the process itself
 * reports it at exit: it does not count time spent waiting for a core), and the median pair ratio.
 *
 * The probe is a file, not `node -e`: the eval entry point loads node:crypto and node:stream
 * before any user code, which hid what the bundles pay for them.
 *
 * Rows besides the functions: `(node:crypto only)`, a module that only requires node:crypto, the
 * least any token verifier loads before its first signature check.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { FUNCTIONS } from '../esbuild.config.mjs';
import { median, round } from './stats';

export interface ColdStartResult {
  function: string;
  bytes: number;
  gzipBytes: number;
  /** Median wall time of the whole process (start, require, exit). */
  processMs: number;
  /** Median over pairs of (this process - the empty-module process of the pair), wall time. */
  overEmptyMs: number;
  /** The same difference in CPU time (user + system of the process). */
  overEmptyCpuMs: number;
  /** Median over pairs of this process's wall time / the empty-module process's. */
  ratioToEmpty: number;
  runs: number;
}

/** Requires argv[2] and, at exit, prints the process's own CPU time (user + system) in ms. */
const PROBE = `require(process.argv[2]);
process.on('exit', () => { const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000)); });
`;

/** Functions measured with more runs: they run in front of every request or serve every verifier. */
const CLOSE_LOOK = new Set(['authorizer', 'jwks', '(node:crypto only)']);

function run(probe: string, file: string, env: NodeJS.ProcessEnv): { wallMs: number; cpuMs: number } {
  const started = process.hrtime.bigint();
  const out = spawnSync(process.execPath, [probe, file], { env, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (out.status !== 0) throw new Error(`cold-start probe failed for ${file}: ${out.stderr}`);
  return { wallMs, cpuMs: Number(out.stdout) };
}

export function benchColdStart(env: Record<string, string>, runs = 10, closeLookRuns = 30): ColdStartResult[] {
  const root = path.resolve(__dirname, '..');
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-cold-'));
  try {
    const probe = path.join(dir, 'probe.js');
    const empty = path.join(dir, 'empty.js');
    const cryptoOnly = path.join(dir, 'crypto-only.js');
    writeFileSync(probe, PROBE);
    writeFileSync(empty, '');
    writeFileSync(cryptoOnly, "require('node:crypto');\n");
    const targets: Record<string, string> = { '(node:crypto only)': cryptoOnly };
    for (const fn of FUNCTIONS) targets[fn] = path.join(root, 'dist', fn, 'index.js');
    const childEnv = { ...process.env, ...env };
    run(probe, empty, childEnv); // the first process after a build reads files cold: not counted
    const pairs: Record<string, { wall: number[]; cpu: number[]; emptyWall: number[]; emptyCpu: number[] }> = {};
    for (const name of Object.keys(targets)) pairs[name] = { wall: [], cpu: [], emptyWall: [], emptyCpu: [] };
    const rounds = Math.max(runs, closeLookRuns);
    for (let r = 0; r < rounds; r += 1) {
      for (const [name, file] of Object.entries(targets)) {
        if (r >= (CLOSE_LOOK.has(name) ? closeLookRuns : runs)) continue;
        // Alternate which half of the pair goes first, so neither always runs in the other's wake.
        let e: { wallMs: number; cpuMs: number };
        let b: { wallMs: number; cpuMs: number };
        if (r % 2 === 0) {
          e = run(probe, empty, childEnv);
          b = run(probe, file, childEnv);
        } else {
          b = run(probe, file, childEnv);
          e = run(probe, empty, childEnv);
        }
        const p = pairs[name]!;
        p.wall.push(b.wallMs);
        p.cpu.push(b.cpuMs);
        p.emptyWall.push(e.wallMs);
        p.emptyCpu.push(e.cpuMs);
      }
    }
    const allEmptyWall = Object.values(pairs).flatMap((p) => p.emptyWall);
    const rows: ColdStartResult[] = [
      { function: '(empty module)', bytes: 0, gzipBytes: 0, processMs: round(median(allEmptyWall), 1), overEmptyMs: 0, overEmptyCpuMs: 0, ratioToEmpty: 1, runs: allEmptyWall.length },
    ];
    for (const [name, file] of Object.entries(targets)) {
      const p = pairs[name]!;
      const bytes = name.startsWith('(') ? 0 : statSync(file).size;
      rows.push({
        function: name,
        bytes,
        gzipBytes: bytes ? gzipSync(readFileSync(file)).length : 0,
        processMs: round(median(p.wall), 1),
        overEmptyMs: round(median(p.wall.map((w, i) => w - p.emptyWall[i]!)), 1),
        overEmptyCpuMs: round(median(p.cpu.map((c, i) => c - p.emptyCpu[i]!)), 1),
        ratioToEmpty: round(median(p.wall.map((w, i) => w / p.emptyWall[i]!)), 3),
        runs: p.wall.length,
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
