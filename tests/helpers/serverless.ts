/**
 * Runs the Serverless CLI (osls) in the project directory, one run at a time across every test
 * process of this checkout. `serverless package` stages its zips in <project>/.serverless and
 * empties that directory when it starts, so two runs at once (two test files in parallel workers)
 * break each other: "Could not calculate hash for .serverless/register.zip: ENOENT".
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Timeout for a test (or hook) that runs the CLI: one `serverless package` takes about 10 s on an
 * idle machine and up to 40 s on a loaded one, and a run may first wait in the lock for the
 * others of the unit project (four at the time of writing).
 */
export const SERVERLESS_TEST_TIMEOUT = 300_000;

export const ROOT = path.resolve(__dirname, '../..');

/** One lock per checkout: other clones on the same machine have their own .serverless. */
const LOCK = path.join(tmpdir(), `lambda-jwt-auth-serverless-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Holds the lock directory (mkdir is atomic) while `fn` runs; a dead holder's lock is taken over. */
async function exclusively<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await readFile(path.join(LOCK, 'pid'), 'utf8').catch(() => ''));
      // No pid yet means the holder is between mkdir and writeFile: wait like for a live one.
      if (holder && !alive(holder)) await rm(LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    await writeFile(path.join(LOCK, 'pid'), String(process.pid));
    return await fn();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

/** `serverless <args>` in the project directory; rejects like execFile (with stdout and stderr). */
export function serverless(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return exclusively(() =>
    run(process.execPath, [path.join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'), ...args], {
      cwd: ROOT,
      // The unit project's setup has just built dist/; the build plugin need not do it again.
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SKIP_BUNDLE_BUILD: '1' },
      timeout: 120_000,
      maxBuffer: 10 * 1024 * 1024,
    }),
  );
}
