/**
 * docs/reference/configuration.md against infra/settings.js, the one list of the functions'
 * settings: every setting has a row, every row is a setting, and a row's default is the one
 * lib/config.ts applies.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../infra/settings.js';

const ROOT = path.resolve(__dirname, '..', '..');

/** `| \`NAME\` | default | meaning |` rows of a page's tables, by name. */
function settingRows(page: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readFileSync(path.join(ROOT, page), 'utf8').split('\n')) {
    const row = /^\| `([A-Z][A-Z0-9_]+)` \| ([^|]*) \|/.exec(line);
    if (row) rows.set(row[1]!, row[2]!);
  }
  return rows;
}

const configuration = settingRows('docs/reference/configuration.md');
// The ports of the local stack are listed with the stack itself.
const localPorts = settingRows('docs/guides/local-development.md');

describe('docs/reference/configuration.md', () => {
  it('has a row for every setting of infra/settings.js (ports of the local stack: in the local development guide)', () => {
    const missing = SETTINGS.map((s) => s.name).filter((name) => !configuration.has(name) && !localPorts.has(name));
    expect(missing).toEqual([]);
  });

  it('lists no variable the functions do not read', () => {
    const known = new Set(SETTINGS.map((s) => s.name));
    expect([...configuration.keys()].filter((name) => !known.has(name) && name !== 'LOG_LEVEL')).toEqual([]);
  });

  it('gives each setting the default lib/config.ts applies', () => {
    const wrong: string[] = [];
    for (const setting of SETTINGS) {
      if (setting.default === undefined) continue;
      const cell = configuration.get(setting.name) ?? localPorts.get(setting.name) ?? '';
      if (!cell.includes(`\`${String(setting.default)}\``)) wrong.push(`${setting.name}: "${cell.trim()}" lacks \`${String(setting.default)}\``);
    }
    expect(wrong).toEqual([]);
  });
});
