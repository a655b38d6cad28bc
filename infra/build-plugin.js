'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

/**
 * A Serverless plugin that builds the function bundles (esbuild.config.mjs) before they are
 * packaged, so `npx sls deploy` and `npx sls package` are each one command and never ship stale
 * bundles. SKIP_BUNDLE_BUILD=1 skips it when dist/ was just built (the packaging tests do that).
 * It runs the build script as `npm run build` does, in a process of its own, rather than importing
 * it: the build reads this folder's function list, and nothing here depends on the build.
 */
class BuildBundlesPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    const build = () => this.build();
    this.hooks = {
      'before:package:createDeploymentArtifacts': build,
      'before:deploy:function:packageFunction': build,
    };
  }

  async build() {
    if (process.env.SKIP_BUNDLE_BUILD === '1') return;
    const script = path.join(__dirname, '..', 'esbuild.config.mjs');
    const code = await new Promise((resolve, reject) => {
      spawn(process.execPath, [script], { stdio: 'inherit' }).on('error', reject).on('exit', resolve);
    });
    if (code !== 0) throw new Error(`building the function bundles failed (node ${script} exited with ${code})`);
  }
}

module.exports = BuildBundlesPlugin;
