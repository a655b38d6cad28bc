/**
 * The client's weight in an app: each entry of dist/ bundled and minified by esbuild, then
 * gzipped. `npm run size` (after `npm run build`) prints
 * - the core (`@lambda-jwt-auth/client`): the budget, 10 KB gzipped, applies to it;
 * - the passkeys entry (`/passkeys`) without `@simplewebauthn/browser` (its own code, with the
 *   core it imports left out, as an app that has the core already adds it), and with it;
 * - the core and passkeys together with `@simplewebauthn/browser`: what an app using both carries.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const BUDGET_GZIP_BYTES = 10 * 1024;

const dist = (file) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
export const CORE_ENTRY = dist('index.js');
export const PASSKEYS_ENTRY = dist('passkeys.js');

/** The core's modules, as the passkeys entry imports them (left out to measure the entry alone). */
const coreModules = { name: 'core-external', setup(b) { b.onResolve({ filter: /^\.\/(errors|index)\.js$/ }, (args) => (args.importer === PASSKEYS_ENTRY ? { path: args.path, external: true } : undefined)); } };

/**
 * Minified and gzipped sizes, in bytes, of the bundle of `entries` (one module re-exporting them
 * all). `external`: package names left out of the bundle; `withoutCore`: the passkeys entry's
 * imports of the core left out.
 */
export async function bundleSize(entries = CORE_ENTRY, options = {}) {
  const list = Array.isArray(entries) ? entries : [entries];
  const result = await build({
    stdin: { contents: list.map((entry) => `export * from ${JSON.stringify(entry)};`).join('\n'), resolveDir: fileURLToPath(new URL('..', import.meta.url)) },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    external: options.external ?? [],
    plugins: options.withoutCore ? [coreModules] : [],
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

/** Every row `npm run size` prints. */
export async function sizes() {
  return {
    core: await bundleSize(CORE_ENTRY),
    passkeysAlone: await bundleSize(PASSKEYS_ENTRY, { external: ['@simplewebauthn/browser'], withoutCore: true }),
    passkeysWithHelper: await bundleSize(PASSKEYS_ENTRY, { withoutCore: true }),
    all: await bundleSize([CORE_ENTRY, PASSKEYS_ENTRY]),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await sizes();
  const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;
  const line = (label, { minified, gzip }) => console.log(`${label.padEnd(68)} ${kb(minified).padStart(9)} min ${kb(gzip).padStart(9)} gzip`);
  line('@lambda-jwt-auth/client (core; budget 10 KB gzip)', rows.core);
  line('@lambda-jwt-auth/client/passkeys, without @simplewebauthn/browser', rows.passkeysAlone);
  line('@lambda-jwt-auth/client/passkeys, with @simplewebauthn/browser', rows.passkeysWithHelper);
  line('core + passkeys + @simplewebauthn/browser', rows.all);
  if (rows.core.gzip > BUDGET_GZIP_BYTES) process.exitCode = 1;
}
