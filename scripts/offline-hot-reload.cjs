'use strict';
/**
 * Preloaded (`node --require`) into the serverless-offline process that `npm start` runs with
 * `--useInProcess`. In that mode offline keeps one warm copy of each handler and loads it with
 * `require`, so a request costs what it would on a warm Lambda (`--reloadHandler`, by contrast,
 * starts a fresh worker and re-evaluates the bundle on every request: about 300 ms for
 * GET /auth/me on a 2-core machine).
 *
 * To keep edits live without a restart, the esbuild watcher's `meta.json` write (the last step
 * of a rebuild, after the bundle itself is on disk) drops that one bundle from the require cache:
 * the next request to the function loads the new code, like a fresh Lambda container.
 */
const fs = require('node:fs');
const path = require('node:path');

const dist = path.resolve(__dirname, '..', 'dist');

function watchFunction(name) {
  const dir = path.join(dist, name);
  const bundle = path.join(dir, 'index.js');
  try {
    fs.watch(dir, { persistent: false }, (_event, file) => {
      if (file !== 'meta.json' || !require.cache[bundle]) return;
      delete require.cache[bundle];
      process.stdout.write(`[hot-reload] ${name}: new bundle, loaded on its next request\n`);
    });
  } catch {
    // A function directory created after start-up is picked up by the dist/ watcher below.
  }
}

const watched = new Set();
function watchAll() {
  if (!fs.existsSync(dist)) return;
  for (const entry of fs.readdirSync(dist, { withFileTypes: true })) {
    if (entry.isDirectory() && !watched.has(entry.name)) {
      watched.add(entry.name);
      watchFunction(entry.name);
    }
  }
}

watchAll();
if (fs.existsSync(dist)) fs.watch(dist, { persistent: false }, () => watchAll());
