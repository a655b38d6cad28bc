/**
 * Every relative link of the documentation resolves: the file (or folder) exists, and a `#anchor`
 * names a heading of the target page, slugged as GitHub does. External links are not fetched.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, brokenLink, brokenSectionReferences, citingFiles, documentationPages, linksOf, ROOT, slugOf } from '../helpers/doc-links';

describe('documentation links', () => {
  it('slugs headings as GitHub does', () => {
    expect(slugOf('GET /auth/me (behind the authorizer)')).toBe('get-authme-behind-the-authorizer');
    expect(slugOf('Managing users (`npm run users`)')).toBe('managing-users-npm-run-users');
    expect(slugOf("Or API Gateway's native JWT authorizer")).toBe('or-api-gateways-native-jwt-authorizer');
    expect(slugOf('Step-up: POST /auth/reauthenticate')).toBe('step-up-post-authreauthenticate');
    expect([...anchorsOf('# A\n```sh\n# not a heading\n```\n## A\n')]).toEqual(['a', 'a-1']);
  });

  it('reports a link to a missing file and to a missing anchor, and passes a good one', () => {
    const page = 'docs/README.md';
    expect(brokenLink(page, 'guides/no-such-page.md')).toMatch(/no such file/);
    expect(brokenLink(page, '../README.md#no-such-heading')).toMatch(/no heading/);
    expect(brokenLink(page, '../README.md#a-five-minute-tour')).toBeUndefined();
    expect(brokenLink(page, 'https://example.com/x#y')).toBeUndefined();
  });

  it.each(documentationPages())('every relative link and anchor in %s resolves', (page) => {
    const broken = linksOf(readFileSync(path.join(ROOT, page), 'utf8'))
      .map((target) => brokenLink(page, target))
      .filter((problem) => problem !== undefined);
    expect(broken).toEqual([]);
  });

  it('every section cited by name in code or docs (`docs/guides/keys.md "Emergency rotation"`) exists, and none cites a missing API.md', () => {
    const problems: string[] = [];
    for (const file of citingFiles()) {
      if (file.endsWith('doc-links.test.ts') || file.endsWith('doc-links.ts')) continue;
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      problems.push(...brokenSectionReferences(text).map((problem) => `${file}: ${problem}`));
      if (/\bAPI\.md\b/.test(text)) problems.push(`${file}: cites API.md (the contract is docs/openapi.yaml)`);
    }
    expect(problems).toEqual([]);
  });
});
