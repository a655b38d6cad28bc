/**
 * The fetch the client package's tests hand to `createAuthClient`: Node's own fetch, plus what a
 * browser adds on its own, so cookie mode runs in Node against the real API. It sends an allowed
 * `Origin` (the local stack's default CORS origin), keeps the cookies the API sets and sends them
 * back only on requests made with `credentials: 'include'` (as a browser does across origins).
 * Every answer is checked against docs/openapi.yaml, like the e2e helper's, and every request is
 * recorded, so a test can count refreshes.
 */
import { OpenApiContract, loadOpenApi } from './openapi';

const contract = new OpenApiContract(loadOpenApi());

export interface TestFetch {
  fetch: typeof fetch;
  /** Cookies held, by name. */
  cookies: Map<string, string>;
  /** `METHOD /path` of every request, in order. */
  requests: string[];
  /** Answers that do not match the OpenAPI document. */
  problems: string[];
  count(route: string): number;
}

export function testFetch(origin = 'http://localhost:5173'): TestFetch {
  const cookies = new Map<string, string>();
  const requests: string[] = [];
  const problems: string[] = [];
  const wrapped: typeof fetch = async (input, init = {}) => {
    const url = new URL(String(input));
    const method = init.method ?? 'GET';
    requests.push(`${method} ${url.pathname}`);
    const headers = new Headers(init.headers);
    headers.set('origin', origin);
    const withCookies = init.credentials === 'include';
    if (withCookies && cookies.size > 0) headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers });
    if (withCookies) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const at = pair.indexOf('=');
        const name = pair.slice(0, at).trim();
        const value = pair.slice(at + 1).trim();
        if (/max-age=0/i.test(line) || value === '') cookies.delete(name);
        else cookies.set(name, value);
      }
    }
    const text = await response.clone().text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    problems.push(...contract.problems(method, url.pathname + url.search, { status: response.status, headers: response.headers, text, body }));
    return response;
  };
  return { fetch: wrapped, cookies, requests, problems, count: (route) => requests.filter((r) => r === route).length };
}
