import { inject } from 'vitest';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** A small fetch wrapper for the offline gateway started by the global setup. */
export async function call(
  method: string,
  path: string,
  options: { json?: unknown; body?: string; headers?: Record<string, string>; base?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${options.base ?? inject('apiUrl')}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export const post = (path: string, json?: unknown, headers?: Record<string, string>) => call('POST', path, { json, headers });
export const get = (path: string, headers?: Record<string, string>) => call('GET', path, { headers });
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
