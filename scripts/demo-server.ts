/**
 * Serves the demo web app (demo/) and the OpenAPI document (docs/openapi.yaml) for `npm start`
 * and the browser tests. Static files only, from a fixed list: no directory listing, no path
 * taken from the request. `/config.js` tells the page where the API is.
 *
 * Routes: /, /verify-email, /reset-password and /confirm-email (the pages the emails link to), their
 * ES modules and stylesheet, /vendor/client.js (the client package with its passkeys entry and
 * @simplewebauthn/browser, bundled from client/src by the package's `bundleBrowserClient` on first
 * request), /vendor/uqr.mjs (the QR code encoder the second-factor enrolment draws with, from
 * node_modules: the page never asks a remote service), /openapi.yaml and /openapi.json, and
 * /reference (that document rendered: scripts/api-reference.ts).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { apiReference } from './api-reference';

const ROOT = path.resolve(__dirname, '..');
const DEMO_DIR = path.join(ROOT, 'demo');
export const OPENAPI_PATH = path.join(ROOT, 'docs', 'openapi.yaml');
/** The client package's browser bundler (client/scripts/bundle.mjs). */
const CLIENT_BUNDLER = path.join(ROOT, 'client', 'scripts', 'bundle.mjs');

const JS = 'text/javascript; charset=utf-8';
const HTML = 'text/html; charset=utf-8';

const PAGES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: HTML },
  '/verify-email': { file: 'verify-email.html', type: HTML },
  '/reset-password': { file: 'reset-password.html', type: HTML },
  '/confirm-email': { file: 'confirm-email.html', type: HTML },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/vendor/uqr.mjs': { file: path.join(ROOT, 'node_modules', 'uqr', 'dist', 'index.mjs'), type: JS },
  ...Object.fromEntries(
    ['app', 'auth', 'account', 'step-up', 'format', 'messages', 'qr', 'ui', 'token-page'].map((name) => [`/${name}.js`, { file: `${name}.js`, type: JS }]),
  ),
};

export interface DemoServer {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

/**
 * Starts the demo server on `host:port`. `apiUrl` is the auth API the page calls (it must list
 * the demo's origin in CORS_ALLOWED_ORIGINS for cookie mode). Locally the demo and the API share
 * the host `localhost`, and cookies ignore ports, so browsers send this server the API's
 * `__Host-refresh_token` cookie (`Path=/`) too: it reads no request header and logs nothing.
 */
export async function startDemoServer(options: { port: number; apiUrl: string; host?: string; publicHost?: string }): Promise<DemoServer> {
  const host = options.host ?? '127.0.0.1';
  const apiOrigin = new URL(options.apiUrl).origin;
  const headers = {
    // Scripts only from this server; fetches only to the API: an injected script could neither
    // load code from elsewhere nor send what it finds anywhere but the API.
    'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; connect-src ${apiOrigin}; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    // The verify/reset pages carry a token in their URL: never leak it in a Referer.
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  };

  // Built once per server, on first request: a change to client/src shows after a restart. A
  // failed build is retried on the next request rather than kept. Imported when first needed:
  // the bundler is an ES module with top-level await, which this CommonJS script (`npm start`
  // runs it through tsx) cannot require.
  let client: Promise<string> | undefined;
  const clientBundle = () => {
    client ??= (import(pathToFileURL(CLIENT_BUNDLER).href) as Promise<typeof import('../client/scripts/bundle.mjs')>).then((m) => m.bundleBrowserClient()).catch((err: unknown) => {
      client = undefined;
      throw err;
    });
    return client;
  };

  const server = createServer((request, response) => {
    void (async () => {
      const pathname = new URL(request.url ?? '/', 'http://demo.invalid').pathname;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end();
        return;
      }
      if (pathname === '/config.js') {
        response.writeHead(200, { ...headers, 'content-type': 'text/javascript; charset=utf-8' });
        response.end(`window.DEMO_CONFIG = ${JSON.stringify({ apiUrl: options.apiUrl })};\n`);
        return;
      }
      if (pathname === '/openapi.yaml' || pathname === '/openapi.json') {
        const yaml = await readFile(OPENAPI_PATH, 'utf8');
        const json = pathname.endsWith('.json');
        response.writeHead(200, {
          ...headers,
          'content-type': json ? 'application/json; charset=utf-8' : 'application/yaml; charset=utf-8',
          'access-control-allow-origin': '*',
        });
        response.end(json ? JSON.stringify(parse(yaml), null, 2) : yaml);
        return;
      }
      if (pathname === '/vendor/client.js') {
        const code = await clientBundle();
        response.writeHead(200, { ...headers, 'content-type': JS });
        response.end(request.method === 'HEAD' ? undefined : code);
        return;
      }
      if (pathname === '/reference') {
        const reference = await apiReference(OPENAPI_PATH);
        response.writeHead(200, {
          ...headers,
          // Its own policy: the page's inline scripts by hash and inline styles, nothing fetched.
          'content-security-policy': `default-src 'none'; script-src ${reference.scriptHashes.join(' ')}; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
          'content-type': 'text/html; charset=utf-8',
        });
        response.end(request.method === 'HEAD' ? undefined : reference.html);
        return;
      }
      const page = PAGES[pathname];
      if (!page) {
        response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      // Read on each request, so edits to demo/ show on reload without a restart.
      const content = await readFile(path.resolve(DEMO_DIR, page.file));
      response.writeHead(200, { ...headers, 'content-type': page.type });
      response.end(request.method === 'HEAD' ? undefined : content);
    })().catch((err: Error) => {
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`demo server error: ${err.message}\n`);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.publicHost ?? 'localhost'}:${port}`,
    server,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
