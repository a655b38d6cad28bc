// Builds one minified, tree-shaken CommonJS bundle per function of infra/functions.js into
// dist/<name>/index.js, with a source map next to it. `node esbuild.config.mjs --watch` rebuilds
// on change (npm start uses it with scripts/offline-hot-reload.cjs, which reloads a handler when
// its bundle changes). A metafile per bundle lets tests check what went in.
import { build, context } from 'esbuild';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import manifest from './infra/functions.js';

const root = path.dirname(fileURLToPath(import.meta.url));
/** Names of the functions (the bundle directories under dist/), from the function manifest. */
export const FUNCTIONS = manifest.FUNCTIONS.map((fn) => fn.name);
const byName = new Map(manifest.FUNCTIONS.map((fn) => [fn.name, fn]));

/**
 * Credential providers the AWS SDK imports lazily (`await import(...)`), only when the
 * environment holds no credentials. On Lambda it always does (the execution role's keys come as
 * AWS_ACCESS_KEY_ID etc.), so these are never loaded there; left out of the bundles they save
 * about 130 KB of parsing on every cold start. Locally they resolve from node_modules. A function
 * run somewhere without credentials in its environment fails loudly (module not found) instead of
 * probing profiles and metadata services. BUNDLE_ALL_SDK=1 builds them in.
 */
export const LAZY_SDK_MODULES = [
  '@aws-sdk/nested-clients',
  '@aws-sdk/nested-clients/*',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/token-providers',
  '@smithy/credential-provider-imds',
];

const requireHere = createRequire(import.meta.url);

/** A CommonJS file of this repository as it is on disk now (watch mode rebuilds after edits). */
function requireFresh(file) {
  delete requireHere.cache[requireHere.resolve(file)];
  return requireHere(file);
}

/**
 * infra/settings.js and infra/tables.js are CommonJS because serverless.yml loads them. A function
 * needs only a few of their values (defaults, table and index names); bundled as they are, each
 * came with esbuild's CommonJS wrapper, the settings list's frozen entries and the CloudFormation
 * definitions, about 1 ms of the authorizer's cold start (bench/README.md). The bundles get
 * instead an ES module of the same exports, their values worked out here at build time, so the
 * function parses a few literals and tree-shaking drops what it does not read. A name lib/ imports
 * that this module lacks fails the build (esbuild: no matching export). Both files are watched.
 */
export function infraValuesModule(which) {
  if (which === 'settings') {
    const { SETTINGS, STACK_SET } = requireFresh('./infra/settings.js');
    const plain = SETTINGS.map((setting) => ({ ...setting }));
    const pick = (key) => Object.fromEntries(plain.filter((s) => s[key] !== undefined).map((s) => [s.name, s[key]]));
    return `// infra/settings.js, as values (esbuild.config.mjs)
export const SETTINGS = ${JSON.stringify(plain)};
export const STACK_SET = ${JSON.stringify(STACK_SET)};
const DEFAULTS = ${JSON.stringify(pick('default'))};
const LOCAL_DEFAULTS = ${JSON.stringify(pick('local'))};
export function defaultOf(name) {
  if (!Object.hasOwn(DEFAULTS, name)) throw new Error(name + ' is not in infra/settings.js or has no default there');
  return DEFAULTS[name];
}
export function localDefaultOf(name) {
  if (!Object.hasOwn(LOCAL_DEFAULTS, name)) throw new Error(name + ' is not in infra/settings.js or has no local default there');
  return LOCAL_DEFAULTS[name];
}
`;
  }
  const tables = requireFresh('./infra/tables.js');
  const constants = Object.entries(tables).filter(([, value]) => typeof value === 'string');
  // Each physical name is the stage between a fixed prefix and suffix: found by naming a marker stage.
  const byStage = Object.entries(tables.tableNames('\0')).map(([table, name]) => {
    const [prefix, suffix, ...rest] = name.split('\0');
    if (suffix === undefined || rest.length > 0) throw new Error(`infra/tables.js: ${table}'s name does not hold the stage once`);
    return `${table}: ${JSON.stringify(prefix)} + stage + ${JSON.stringify(suffix)}`;
  });
  return `// infra/tables.js, as values (esbuild.config.mjs)
${constants.map(([name, value]) => `export const ${name} = ${JSON.stringify(value)};`).join('\n')}
export function tableNames(stage) {
  return { ${byStage.join(', ')} };
}
`;
}

const INFRA_VALUES = /[\\/]infra[\\/](settings|tables)\.js$/;

function infraValues() {
  return {
    name: 'infra-values',
    setup(b) {
      b.onLoad({ filter: INFRA_VALUES }, (args) => ({
        contents: infraValuesModule(INFRA_VALUES.exec(args.path)[1]),
        loader: 'js',
        watchFiles: [args.path],
      }));
    },
  };
}

/**
 * @middy/core imports node:stream, node:stream/promises and node:stream/web at its top for response
 * streaming (`streamifyResponse`), which no function here turns on; loading them cost every HTTP
 * function 4-5 ms of its cold start (bench/README.md). For @middy/core alone they are replaced by
 * stand-ins that require the real module when the streaming path first uses it: `Readable.from`,
 * `pipeline` and `instanceof ReadableStream`, the only uses in @middy/core 6. A use the stand-ins
 * lack fails the build (esbuild: no matching export).
 */
export const LAZY_STREAM_MODULES = {
  'node:stream': `export const Readable = { from: (...args) => require('node:stream').Readable.from(...args) };`,
  'node:stream/promises': `export const pipeline = (...args) => require('node:stream/promises').pipeline(...args);`,
  'node:stream/web': `export const ReadableStream = { [Symbol.hasInstance]: (value) => value instanceof require('node:stream/web').ReadableStream };`,
};

function lazyStreamsForMiddy() {
  return {
    name: 'lazy-streams-for-middy',
    setup(b) {
      b.onResolve({ filter: /^node:stream(\/promises|\/web)?$/ }, (args) =>
        /[\\/]@middy[\\/]core[\\/]/.test(args.importer) ? { path: args.path, namespace: 'lazy-stream' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'lazy-stream' }, (args) => ({ contents: LAZY_STREAM_MODULES[args.path], loader: 'js' }));
    },
  };
}

/** esbuild options of one function's bundle. */
export function optionsFor(name) {
  const fn = byName.get(name);
  if (!fn) throw new Error(`${name} is not in infra/functions.js`);
  return {
    entryPoints: [path.join(root, manifest.handlerFile(fn))],
    outfile: path.join(root, 'dist', name, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    // CommonJS output loads a few ms faster than ESM on Lambda; the ESM-only dependencies
    // (middy, jose) are converted by esbuild at build time.
    format: 'cjs',
    // Prefer the ES module builds of dependencies (the AWS SDK ships both): they tree-shake far
    // better, which measured as a smaller and faster-loading bundle.
    mainFields: ['module', 'main'],
    minify: true,
    treeShaking: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    external: process.env.BUNDLE_ALL_SDK === '1' ? [] : LAZY_SDK_MODULES,
    plugins: [infraValues(), lazyStreamsForMiddy()],
  };
}

async function writeMeta(name, metafile) {
  await writeFile(path.join(root, 'dist', name, 'meta.json'), JSON.stringify(metafile));
}

export async function buildAll() {
  await Promise.all(
    FUNCTIONS.map(async (name) => {
      await mkdir(path.join(root, 'dist', name), { recursive: true });
      const result = await build(optionsFor(name));
      await writeMeta(name, result.metafile);
    }),
  );
}

async function watchAll() {
  for (const name of FUNCTIONS) {
    const options = optionsFor(name);
    const ctx = await context({
      ...options,
      plugins: [...options.plugins, { name: 'meta', setup: (b) => b.onEnd((r) => r.metafile && writeMeta(name, r.metafile)) }],
    });
    await ctx.watch();
  }
  console.log('esbuild: watching functions/ and lib/ for changes');
}

async function cli() {
  if (process.argv.includes('--watch')) return watchAll();
  const started = Date.now();
  await buildAll();
  console.log(`esbuild: built ${FUNCTIONS.length} functions into dist/ in ${Date.now() - started} ms`);
}

// No top-level await: the bench and scripts also load this file through a CommonJS loader.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
