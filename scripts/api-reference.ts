/**
 * The API reference page: docs/openapi.yaml rendered by `@redocly/cli build-docs` with
 * `--inlineBundle`, so the page carries Redoc's scripts and the document itself (without the flag
 * it would load Redoc from Redocly's CDN at view time). The one thing it still asks another host
 * for, Redocly's logo image, is blocked by the policy scripts/demo-server.ts sends with it. Built
 * on the first request, about two seconds, and again after the document changes; nothing
 * generated is committed.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '..');
const REDOCLY = path.join(ROOT, 'node_modules', '.bin', 'redocly');

export interface ApiReference {
  html: string;
  /** CSP source expressions (`'sha256-...'`) of the page's inline scripts, its only scripts. */
  scriptHashes: string[];
}

/** The inline scripts' hashes, so the page's CSP can allow exactly them and nothing else. */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script(?:\s[^>]*)?>([\s\S]*?)<\/script>/g)].map(
    (match) => `'sha256-${createHash('sha256').update(match[1]!, 'utf8').digest('base64')}'`,
  );
}

/** Renders `openApiFile` into one self-contained HTML page. */
export async function buildApiReference(openApiFile: string): Promise<ApiReference> {
  const dir = await mkdtemp(path.join(tmpdir(), 'api-reference-'));
  try {
    const output = path.join(dir, 'reference.html');
    await promisify(execFile)(REDOCLY, ['build-docs', openApiFile, '--inlineBundle', '--title', 'lambda-jwt-auth API reference', '-o', output], {
      cwd: ROOT,
      // No usage reports or update checks from a local page build.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const html = await readFile(output, 'utf8');
    return { html, scriptHashes: inlineScriptHashes(html) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let cached: { mtimeMs: number; page: Promise<ApiReference> } | undefined;

/** The page for the document as it is now: built once, rebuilt when the file changes. */
export async function apiReference(openApiFile: string): Promise<ApiReference> {
  const { mtimeMs } = await stat(openApiFile);
  if (!cached || cached.mtimeMs !== mtimeMs) {
    const page = buildApiReference(openApiFile);
    cached = { mtimeMs, page };
    // A failed build is not kept: the next request tries again.
    page.catch(() => {
      if (cached?.page === page) cached = undefined;
    });
  }
  return cached.page;
}
