'use strict';
/**
 * A Serverless plugin that builds the function bundles (esbuild.config.mjs) before they are
 * packaged, so `npx sls deploy` and `npx sls package` are each one command and never ship stale
 * bundles. SKIP_BUNDLE_BUILD=1 skips it when dist/ was just built (the packaging tests do that).
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
    const started = Date.now();
    const { buildAll, FUNCTIONS } = await import('../esbuild.config.mjs');
    await buildAll();
    this.serverless.cli.log(`Built ${FUNCTIONS.length} function bundles in ${Date.now() - started} ms`);
  }
}

module.exports = BuildBundlesPlugin;
