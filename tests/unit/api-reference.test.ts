/**
 * The API reference page `npm start` serves at /reference: docs/openapi.yaml rendered by
 * `@redocly/cli build-docs`, self-contained, under a policy that lets it fetch nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineScriptHashes } from '../../scripts/api-reference';
import { startDemoServer, type DemoServer } from '../../scripts/demo-server';
import { loadOpenApi } from '../helpers/openapi';

let demo: DemoServer;
let base: string;
let answer: Response;
let html: string;

beforeAll(async () => {
  demo = await startDemoServer({ port: 0, apiUrl: 'http://localhost:4321' });
  base = demo.url.replace('localhost', '127.0.0.1');
  answer = await fetch(`${base}/reference`);
  html = await answer.text();
});
afterAll(() => demo.stop());

describe('GET /reference', () => {
  it('serves an HTML page', () => {
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain('<title>lambda-jwt-auth API reference</title>');
  });

  it('names the operations of docs/openapi.yaml: login, refresh, the JWKS, passkey sign-in', () => {
    const doc = loadOpenApi() as { paths: Record<string, Record<string, { summary?: string; operationId?: string }>> };
    for (const [route, method] of [['/auth/login', 'post'], ['/auth/refresh', 'post'], ['/.well-known/jwks.json', 'get'], ['/auth/passkeys/login/verify', 'post']] as const) {
      const operation = doc.paths[route]![method]!;
      expect(html, route).toContain(operation.summary!);
      expect(html, route).toContain(operation.operationId!);
    }
  });

  it('loads no script or stylesheet from elsewhere, and its policy allows exactly its inline scripts and nothing fetched', () => {
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=["']?https?:/i);
    const csp = answer.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    const scriptSources = /script-src ([^;]*)/.exec(csp)![1]!.split(' ');
    expect(scriptSources.length).toBeGreaterThan(0);
    expect(scriptSources.sort()).toEqual(inlineScriptHashes(html).sort());
    expect(csp).not.toMatch(/https?:|\*|'unsafe-eval'|connect-src/);
  });

  it('answers HEAD without a body', async () => {
    const head = await fetch(`${base}/reference`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
