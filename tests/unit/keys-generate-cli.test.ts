/** `npm run keys:generate`: asking for help (or mistyping a flag) never prints a private key. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

async function keysGenerate(...args: string[]) {
  try {
    const { stdout, stderr } = await run('npm', ['run', '-s', 'keys:generate', '--', ...args], { cwd: ROOT, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const PRIVATE_MEMBER = /"(d|p|q|dp|dq|qi|privateJwk|refreshTokenKey)"/;

describe('keys:generate command line', () => {
  it('npm run keys:generate -- --help prints the usage and no key', async () => {
    const answer = await keysGenerate('--help');
    expect(answer.code).toBe(0);
    expect(answer.stdout).toMatch(/^Usage: npm run -s keys:generate/);
    expect(answer.stdout).toContain('--rotate FILE');
    expect(answer.stdout).not.toMatch(PRIVATE_MEMBER);
    expect(answer.stdout).not.toContain('{');
  }, 60_000);

  it('-h and --help after other options print help only', async () => {
    for (const args of [['-h'], ['--alg', 'ES256', '--help']]) {
      const answer = await keysGenerate(...args);
      expect(answer.code).toBe(0);
      expect(answer.stdout).not.toMatch(PRIVATE_MEMBER);
    }
  }, 60_000);

  it('a mistyped or unknown option is an error with nothing on stdout, never a fresh key', async () => {
    for (const args of [['--hlep'], ['help'], ['--alg'], ['--rotate']]) {
      const answer = await keysGenerate(...args);
      expect(answer.code).toBe(2);
      expect(answer.stdout).toBe('');
      expect(answer.stderr).toContain('Usage:');
    }
  }, 120_000);
});
