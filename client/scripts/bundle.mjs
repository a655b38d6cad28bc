/**
 * The client as one ES module for a page without a bundler (the demo serves it as
 * /vendor/client.js): the core and the passkeys entry, with `@simplewebauthn/browser` inside,
 * bundled by esbuild from the TypeScript sources (no `npm run build` first).
 *
 *   import { createAuthClient, createPasskeys } from '/vendor/client.js';
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const CLIENT_DIR = fileURLToPath(new URL('..', import.meta.url));

/** The browser bundle's code (ESM, ES2022); `minify` defaults to true, `sourcemap` adds an inline map. */
export async function bundleBrowserClient(options = {}) {
  const result = await build({
    stdin: {
      contents: "export * from './src/index.ts';\nexport * from './src/passkeys.ts';\n",
      resolveDir: CLIENT_DIR,
      sourcefile: 'browser-client.ts',
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify ?? true,
    sourcemap: options.sourcemap ? 'inline' : false,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(await bundleBrowserClient({ minify: !process.argv.includes('--no-minify') }));
}
