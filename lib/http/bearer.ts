/**
 * Extracts the token from `Authorization: Bearer <token>`. The scheme is case-insensitive
 * (RFC 7235); exactly one space separates it from a single token. Anything else (Basic, empty,
 * extra spaces, two tokens) is "no bearer token".
 */
const BEARER = /^bearer ([A-Za-z0-9._~+/-]+=*)$/i;

export function bearerToken(header: string | undefined | null): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = BEARER.exec(header);
  return match ? match[1] : undefined;
}

/** Case-insensitive header lookup, for events whose header names keep the client's casing. */
export function headerValue(headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}
