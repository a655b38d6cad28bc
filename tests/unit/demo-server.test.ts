/** The demo server: a fixed list of files, the API URL in /config.js, protective headers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../scripts/demo-server';

let demo: DemoServer;
let base: string;

beforeAll(async () => {
  demo = await startDemoServer({ port: 0, apiUrl: 'http://localhost:4321' });
  base = demo.url.replace('localhost', '127.0.0.1');
});
afterAll(() => demo.stop());

describe('demo server', () => {
  it('serves the app, the email link pages and the API URL', async () => {
    for (const page of ['/', '/verify-email?token=abc', '/reset-password?token=abc', '/confirm-email?token=abc']) {
      const answer = await fetch(`${base}${page}`);
      expect(answer.status, page).toBe(200);
      expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    }
    expect(await (await fetch(`${base}/config.js`)).text()).toBe('window.DEMO_CONFIG = {"apiUrl":"http://localhost:4321"};\n');
  });

  it('serves the QR code encoder from node_modules as a script of its own origin', async () => {
    const answer = await fetch(`${base}/vendor/uqr.mjs`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await answer.text()).toContain('export {');
    expect((await fetch(`${base}/account.js`)).status).toBe(200);
  });

  it('serves the client package bundled as one ES module of its own origin', async () => {
    const answer = await fetch(`${base}/vendor/client.js`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const code = await answer.text();
    // One module with no imports left for the browser to resolve, exporting the client's entry points.
    expect(code).not.toMatch(/\bimport\s*[{*\w]/);
    expect(code).toMatch(/export\s*\{[^}]*\bcreateAuthClient\b/);
    expect(code).toMatch(/export\s*\{[^}]*\bcreatePasskeys\b/);
  });

  it('sends a CSP that allows scripts from itself and fetches to the API only, and never a Referer', async () => {
    const answer = await fetch(`${base}/reset-password?token=secret`);
    const csp = answer.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain('connect-src http://localhost:4321;');
    expect(csp).toContain("default-src 'none'");
    expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves the OpenAPI document as YAML and as JSON', async () => {
    expect(await (await fetch(`${base}/openapi.yaml`)).text()).toMatch(/^openapi: 3\.1\.0/);
    const json = await (await fetch(`${base}/openapi.json`)).json();
    expect(json.openapi).toBe('3.1.0');
    expect(Object.keys(json.paths)).toContain('/auth/refresh');
  });

  it('attack: path traversal and unlisted files get 404, other methods 405', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/demo/app.js', '/.local/signing-keys.json', '/index.html', '/vendor/client.js/x', '/extras.js', '/format.d.ts']) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
  });
});
