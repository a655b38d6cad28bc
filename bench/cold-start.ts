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
 * before any user code, which hid what the bundles pay for them. The probe files live inside the
 * repository while they run, so the empty module shares the bundles' package scope.
 *
 * The wall and inside medians come with a 95% confidence interval (bench/stats.ts, medianInterval).
 *
 * Rows besides the functions: `(node:crypto only)`, a module that only requires node:crypto, the
 * least any token verifier loads before its first signature check. Given a token (`firstRequest`),
 * three more rows time a cold start through its first authorization, which is what a request
 * arriving at a new container waits for: `(floor: node:crypto, first RS256 check)` reads the key
 * file, imports the key and checks the token by hand (the floor of bench/floor.cjs), and
 * `authorizer, first authorization` requires the bundle and authorizes the token through the
 * handler, stateless and with the session check (one signed GetItem to DynamoDB Local). Each
 * probe fails unless the token is accepted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { FUNCTIONS } from '../esbuild.config.mjs';
import { median, medianInterval, round } from './stats';

export interface ColdStartResult {
  function: string;
  bytes: number;
  gzipBytes: number;
  /** Median wall time of the whole process (start, require, exit). */
  processMs: number;
  /** Median over pairs of (this process - the empty-module process of the pair), wall time. */
  overEmptyMs: number;
  /** 95% confidence interval of that median (bench/stats.ts, medianInterval). */
  overEmptyMsInterval: [number, number];
  /** The same difference in CPU time (user + system of the process). */
  overEmptyCpuMs: number;
  /** Median over pairs of this process's wall time / the empty-module process's. */
  ratioToEmpty: number;
  /**
   * Median over pairs of the difference in the probe's own time, measured inside each process
   * from before its require to its exit event (the module's load and what it ran, without the
   * process's start and end, which carry most of a whole process's noise here).
   */
  insideOverEmptyMs: number;
  /** 95% confidence interval of the inside median. */
  insideOverEmptyMsInterval: [number, number];
  runs: number;
}

/**
 * Requires argv[2] and, at exit, prints the process's own CPU time (user + system) in ms and the
 * wall time from before the require to the exit event.
 */
const PROBE = `const started = process.hrtime.bigint();
require(process.argv[2]);
process.on('exit', () => {
  const u = process.cpuUsage();
  process.stdout.write((u.user + u.system) / 1000 + ' ' + Number(process.hrtime.bigint() - started) / 1e6);
});
`;

const BUNDLES = new Set(FUNCTIONS);
const FLOOR_FIRST = '(floor: node:crypto, first RS256 check)';
const FIRST_STATELESS = 'authorizer, first authorization (stateless)';
const FIRST_SESSION = 'authorizer, first authorization (session check)';

/** Functions measured with more runs: they run in front of every request or serve every verifier. */
const CLOSE_LOOK = new Set(['authorizer', 'jwks', '(node:crypto only)', FLOOR_FIRST, FIRST_STATELESS, FIRST_SESSION]);
/**
 * The authorizer's load is the row its 5 ms target is read from: four times the close look's
 * pairs. Its wall difference is the inside one plus the noise of two process starts (a pair
 * difference's interquartile range is about 5 ms here, the inside one's 0.5), so a median over
 * 60 pairs moved by 3.6 ms from run to run; over 240 its interval is half as wide.
 */
const TARGET_LOOK_FACTOR = 4;
const TARGET_ROW = 'authorizer';

export interface FirstRequest {
  keysFile: string;
  accessToken: string;
  issuer: string;
  audience: string;
  /** The authorizer event carrying the token (bench/authorizer-common.ts). */
  event: unknown;
}

/** A probe body that reads the key file and checks the token with the floor (bench/floor.cjs); it fails on a refusal. */
function floorFirstCheck(first: FirstRequest): string {
  return `const { createPublicKey } = require('node:crypto');
const { floorVerifier } = require(${JSON.stringify(path.join(__dirname, 'floor.cjs'))});
const token = ${JSON.stringify(first.accessToken)};
const { kid } = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
const entry = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(first.keysFile)}, 'utf8')).keys.find((k) => k.kid === kid);
floorVerifier(createPublicKey({ key: entry.publicJwk ?? entry.privateJwk, format: 'jwk' }), ${JSON.stringify(first.issuer)}, ${JSON.stringify(first.audience)})(token);
`;
}

/** A probe body that authorizes the event through the bundle's handler and fails unless allowed. */
function bundleFirstAuthorization(bundle: string, first: FirstRequest): string {
  return `require(${JSON.stringify(bundle)}).handler(${JSON.stringify(first.event)}).then((answer) => {
  if (answer?.isAuthorized !== true) { console.error(JSON.stringify(answer)); process.exitCode = 1; }
});
`;
}

/** One probe process: its wall time seen from here, its CPU time and its inside time (PROBE). */
interface ProbeRun {
  wallMs: number;
  cpuMs: number;
  insideMs: number;
}

function run(probe: string, file: string, env: NodeJS.ProcessEnv): ProbeRun {
  const started = process.hrtime.bigint();
  const out = spawnSync(process.execPath, [probe, file], { env, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (out.status !== 0) throw new Error(`cold-start probe failed for ${file}: ${out.stderr}`);
  const [cpuMs, insideMs] = out.stdout.trim().split(' ').map(Number);
  return { wallMs, cpuMs: cpuMs!, insideMs: insideMs! };
}

export function benchColdStart(env: Record<string, string>, runs = 10, closeLookRuns = 60, first?: FirstRequest, functions: readonly string[] = FUNCTIONS): ColdStartResult[] {
  const root = path.resolve(__dirname, '..');
  // The probe files (empty module included) sit inside the repository, beside the bundles, so both
  // halves of a pair find the same package.json when Node looks up a file's package scope: from
  // the system's temp directory the empty module found none and a bundle under dist/ read the
  // repository's, 0.25 ms that only the bundle's half paid (a deployed zip holds no package.json,
  // so there neither pays it).
  const dir = mkdtempSync(path.join(root, 'bench', '.cold-'));
  try {
    const probe = path.join(dir, 'probe.js');
    const empty = path.join(dir, 'empty.js');
    const cryptoOnly = path.join(dir, 'crypto-only.js');
    writeFileSync(probe, PROBE);
    writeFileSync(empty, '');
    writeFileSync(cryptoOnly, "require('node:crypto');\n");
    const targets: Record<string, string> = { '(node:crypto only)': cryptoOnly };
    for (const fn of functions) targets[fn] = path.join(root, 'dist', fn, 'index.js');
    const targetEnv: Record<string, NodeJS.ProcessEnv> = {};
    const withEndpoint = { ...process.env, ...env };
    // The load-only rows make no call: they run as a deployed function does, which reaches
    // DynamoDB at its regional endpoint (AUTH_MODE=production ignores DYNAMODB_ENDPOINT). The
    // first-authorization rows below read a session from DynamoDB Local, so they keep it.
    const { DYNAMODB_ENDPOINT: _local, ...childEnv } = withEndpoint;
    if (first) {
      const bundle = path.join(root, 'dist', 'authorizer', 'index.js');
      const write = (name: string, body: string) => {
        const file = path.join(dir, `${name.replace(/[^a-z]+/gi, '-')}.js`);
        writeFileSync(file, body);
        return file;
      };
      targets[FLOOR_FIRST] = write('floor-first', floorFirstCheck(first));
      // One probe for both settings: they differ by environment only.
      const firstAuthorization = write('first-authorization', bundleFirstAuthorization(bundle, first));
      targets[FIRST_STATELESS] = firstAuthorization;
      targets[FIRST_SESSION] = firstAuthorization;
      targetEnv[FIRST_STATELESS] = { ...withEndpoint, AUTHORIZER_SESSION_CHECK: 'off' };
      targetEnv[FIRST_SESSION] = { ...withEndpoint, AUTHORIZER_SESSION_CHECK: 'dynamodb' };
    }
    run(probe, empty, childEnv); // the first process after a build reads files cold: not counted
    // Each target's pairs: its run and the empty module's run beside it.
    const pairs: Record<string, { bundle: ProbeRun; empty: ProbeRun }[]> = {};
    for (const name of Object.keys(targets)) pairs[name] = [];
    const runsOf = (name: string) => (name === TARGET_ROW ? closeLookRuns * TARGET_LOOK_FACTOR : CLOSE_LOOK.has(name) ? closeLookRuns : runs);
    const rounds = Math.max(...Object.keys(targets).map(runsOf));
    for (let r = 0; r < rounds; r += 1) {
      for (const [name, file] of Object.entries(targets)) {
        if (r >= runsOf(name)) continue;
        // Alternate which half of the pair goes first, so neither always runs in the other's wake.
        let emptyRun: ProbeRun;
        let bundleRun: ProbeRun;
        if (r % 2 === 0) {
          emptyRun = run(probe, empty, childEnv);
          bundleRun = run(probe, file, targetEnv[name] ?? childEnv);
        } else {
          bundleRun = run(probe, file, targetEnv[name] ?? childEnv);
          emptyRun = run(probe, empty, childEnv);
        }
        pairs[name]!.push({ bundle: bundleRun, empty: emptyRun });
      }
    }
    const allEmptyWall = Object.values(pairs).flatMap((list) => list.map((pair) => pair.empty.wallMs));
    const rows: ColdStartResult[] = [
      { function: '(empty module)', bytes: 0, gzipBytes: 0, processMs: round(median(allEmptyWall), 1), overEmptyMs: 0, overEmptyMsInterval: [0, 0], overEmptyCpuMs: 0, ratioToEmpty: 1, insideOverEmptyMs: 0, insideOverEmptyMsInterval: [0, 0], runs: allEmptyWall.length },
    ];
    for (const [name, file] of Object.entries(targets)) {
      const list = pairs[name]!;
      const overEmpty = (key: keyof ProbeRun) => list.map((pair) => pair.bundle[key] - pair.empty[key]);
      const bytes = BUNDLES.has(name) ? statSync(file).size : 0;
      const wallDiffs = overEmpty('wallMs');
      const insideDiffs = overEmpty('insideMs');
      const [wallLow, wallHigh] = medianInterval(wallDiffs);
      const [insideLow, insideHigh] = medianInterval(insideDiffs);
      rows.push({
        function: name,
        bytes,
        gzipBytes: bytes ? gzipSync(readFileSync(file)).length : 0,
        processMs: round(median(list.map((pair) => pair.bundle.wallMs)), 1),
        overEmptyMs: round(median(wallDiffs), 1),
        overEmptyMsInterval: [round(wallLow, 1), round(wallHigh, 1)],
        overEmptyCpuMs: round(median(overEmpty('cpuMs')), 1),
        ratioToEmpty: round(median(list.map((pair) => pair.bundle.wallMs / pair.empty.wallMs)), 3),
        insideOverEmptyMs: round(median(insideDiffs), 2),
        insideOverEmptyMsInterval: [round(insideLow, 2), round(insideHigh, 2)],
        runs: list.length,
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
