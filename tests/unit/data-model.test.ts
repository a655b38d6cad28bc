/**
 * The description of every item kind (infra/data-model.js) against the code that writes the items
 * and the page that shows them: a key prefix built under lib/ and not described, a described one
 * no code builds, or a page out of date each fail here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ITEM_KINDS, withItemKinds } from '../../infra/data-model.js';

const ROOT = path.resolve(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|js|mjs|cjs)$/.test(entry.name))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

/** The source without its comments, so only code counts as building a key. */
function codeOf(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** `PREFIX#` at the start of a string or template literal: how every key builder begins. */
const KEY_PREFIX = /[`'"]([A-Z][A-Z0-9_]*#)/g;

function prefixesIn(text: string): Set<string> {
  return new Set([...text.matchAll(KEY_PREFIX)].map((m) => m[1]!));
}

const described = new Set(ITEM_KINDS.map((kind) => kind.prefix));

describe('infra/data-model.js', () => {
  it('describes every key prefix the code under lib/ builds', () => {
    const built = new Map<string, string>();
    for (const file of sourceFiles('lib')) {
      for (const prefix of prefixesIn(codeOf(readFileSync(path.join(ROOT, file), 'utf8')))) built.set(prefix, file);
    }
    const undescribed = [...built].filter(([prefix]) => !described.has(prefix)).map(([prefix, file]) => `${prefix} (${file})`);
    expect(undescribed).toEqual([]);
  });

  it('describes no key prefix that the module it names does not build', () => {
    for (const kind of ITEM_KINDS) {
      const builder = kind.keyBuiltIn ?? kind.writtenBy;
      const code = codeOf(readFileSync(path.join(ROOT, builder), 'utf8'));
      expect(prefixesIn(code).has(kind.prefix), `${kind.prefix} in ${builder}`).toBe(true);
    }
  });

  it('describes each prefix once, and each key starts with its prefix', () => {
    expect(described.size).toBe(ITEM_KINDS.length);
    for (const kind of ITEM_KINDS) expect(kind.key.startsWith(kind.prefix), kind.key).toBe(true);
  });

  it('is what docs/reference/data-model.md shows (`node infra/data-model.js` rewrites the page)', () => {
    const page = readFileSync(path.join(ROOT, 'docs', 'reference', 'data-model.md'), 'utf8');
    expect(withItemKinds(page)).toBe(page);
  });

  it('leaves no comment or document naming a key prefix it does not describe (a stale LOGIN# would fail here)', () => {
    const files = [
      ...sourceFiles('lib'),
      ...sourceFiles('infra'),
      ...sourceFiles('functions'),
      ...sourceFiles('scripts'),
      'README.md',
      'SECURITY.md',
      'bench/README.md',
      ...readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.md'))
        .map((f) => path.join('docs', f)),
    ];
    const stale: string[] = [];
    for (const file of files) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const prefix of prefixesIn(text)) if (!described.has(prefix)) stale.push(`${prefix} in ${file}`);
    }
    expect(stale).toEqual([]);
  });
});
