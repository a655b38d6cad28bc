/**
 * The client's weight in an app: dist/index.js bundled and minified by esbuild, then gzipped.
 * `npm run size` (after `npm run build`) prints it; the budget is 10 KB gzipped.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const BUDGET_GZIP_BYTES = 10 * 1024;

/** Minified and gzipped sizes, in bytes, of the bundle of `entry`. */
export async function bundleSize(entry = fileURLToPath(new URL('../dist/index.js', import.meta.url))) {
  const result = await build({ entryPoints: [entry], bundle: true, minify: true, format: 'esm', target: 'es2022', write: false, logLevel: 'silent' });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { minified, gzip } = await bundleSize();
  console.log(`@lambda-jwt-auth/client: ${(minified / 1024).toFixed(1)} KB minified, ${(gzip / 1024).toFixed(2)} KB gzipped (budget ${BUDGET_GZIP_BYTES / 1024} KB)`);
  if (gzip > BUDGET_GZIP_BYTES) process.exitCode = 1;
}
