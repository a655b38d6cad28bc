/**
 * Real headless Chromium for the browser tests: Debian's `chromium` package driven by
 * playwright-core (which downloads nothing). `CHROMIUM_PATH` overrides the executable.
 * A missing browser is a failure with the way to install it, never a skipped test.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. The browser tests drive a real headless Chromium: ` +
        'install it with `sudo apt-get update && sudo apt-get install -y chromium` (Debian/Ubuntu; .ci/run does this in CI), ' +
        'or point CHROMIUM_PATH at a Chromium or Chrome binary.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS, headless: true });
}
