/**
 * Checks Markdown links the way GitHub renders them: relative targets must exist, and a `#anchor`
 * must name a heading of the target page (GitHub's slug). Used by tests/unit/doc-links.test.ts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The pages whose links are checked. */
export function documentationPages(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.md'))
    .map((file) => path.join('docs', file));
  return ['README.md', 'SECURITY.md', 'bench/README.md', 'client/README.md', ...docs.sort()];
}

/** The text outside fenced code blocks, line by line (a `#` in a shell block is no heading). */
function proseLines(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      lines.push('');
      continue;
    }
    lines.push(fence === undefined ? line : '');
  }
  return lines;
}

/** GitHub's heading anchor: the rendered text, lower-cased, punctuation dropped, spaces to dashes. */
export function slugOf(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link keeps its text
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/[`*]/g, '') // code and emphasis markers
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors a page offers: one per heading, repeats numbered `-1`, `-2` as GitHub does. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = slugOf(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Link targets of a page: inline links and images (not inside code), and reference definitions. */
export function linksOf(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(markdown)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(match[1]!);
    const definition = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(prose);
    if (definition) targets.push(definition[1]!);
  }
  return targets;
}

/** What is wrong with one link of `page`, or undefined when it resolves. */
export function brokenLink(page: string, target: string, read: (file: string) => string = (file) => readFileSync(file, 'utf8')): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:: not fetched
  const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = rawPath === '' ? path.join(ROOT, page) : path.resolve(ROOT, path.dirname(page), decodeURIComponent(rawPath));
  if (!file.startsWith(ROOT)) return `${target}: outside the repository`;
  if (!existsSync(file)) return `${target}: no such file`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(file).isDirectory() || !file.endsWith('.md')) return `${target}: an anchor into a file that is not Markdown`;
  return anchorsOf(read(file)).has(decodeURIComponent(anchor)) ? undefined : `${target}: no heading with that anchor`;
}


/** A heading's text as rendered (links to their text, no code or emphasis markers). */
function headingTexts(markdown: string): string[] {
  return proseLines(markdown)
    .map((line) => /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1])
    .filter((heading): heading is string => heading !== undefined)
    .map((heading) => heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '').trim());
}

/**
 * Section references written in prose and comments, `docs/guides/keys.md "Emergency rotation"` or
 * `SECURITY.md "Password guessing"`: what is wrong with each, when the page is missing or no
 * heading of it begins with the quoted words.
 */
export function brokenSectionReferences(text: string): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(/\b((?:docs\/[\w/.-]+|SECURITY|bench\/README)\.md),? "([^"]+)"/g)) {
    const [whole, page, quoted] = match as unknown as [string, string, string];
    // A quotation may wrap across lines of prose or of a comment (` * ` continuation).
    const section = quoted.replace(/\s*\n\s*(?:\*\s*|\/\/\s*)?/g, ' ');
    const file = path.join(ROOT, page);
    if (!existsSync(file)) problems.push(`${whole}: no such page`);
    else if (!headingTexts(readFileSync(file, 'utf8')).some((heading) => heading.startsWith(section))) problems.push(`${whole}: no such section`);
  }
  return problems;
}

/** Source and documentation files whose comments and prose may cite a section. */
export function citingFiles(): string[] {
  const code = ['lib', 'functions', 'infra', 'scripts', 'tests', 'bench', 'client/src'].flatMap((dir) =>
    readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.(ts|js|mjs|cjs)$/.test(file))
      .map((file) => path.join(dir, file)),
  );
  return [...documentationPages(), ...code];
}
