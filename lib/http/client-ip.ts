/**
 * Where a request came from, for the per-source limits.
 *
 * Only what API Gateway itself measured is trusted: `requestContext.http.sourceIp` (HTTP API,
 * payload 2.0) or `requestContext.identity.sourceIp` (REST API and payload 1.0). Client-supplied
 * forwarding headers (`X-Forwarded-For`, `Forwarded`) are never read: anyone can send them.
 *
 * Behind CloudFront the gateway sees the edge's address, shared by every client of that edge. The
 * `CLIENT_IP_HEADER` setting names a header that a trusted proxy sets from the connection it
 * accepted, e.g. `cloudfront-viewer-address` (CloudFront writes `ip:port` there and replaces any
 * value the client sent). Set it only when the API cannot be reached except through that proxy;
 * otherwise a client can name any address it likes. With the setting on, a request without the
 * header has no known source.
 *
 * A request without a known source is never unlimited: the limits put it in one shared bucket
 * (lib/source-key.ts).
 */
import { isIP } from 'node:net';


interface EventWithSource {
  headers?: Record<string, string | undefined> | null;
  requestContext?: unknown;
}

/**
 * The client's IP address, or undefined when the event does not carry one we can trust.
 * `trustedHeader` is the lower-case name of the header set by a trusted proxy, if any.
 */
export function clientIp(event: EventWithSource, trustedHeader?: string): string | undefined {
  if (trustedHeader) return parseAddress(headerValue(event.headers, trustedHeader));
  const context = (event.requestContext ?? {}) as {
    http?: { sourceIp?: unknown };
    identity?: { sourceIp?: unknown };
  };
  return parseAddress(context.http?.sourceIp) ?? parseAddress(context.identity?.sourceIp);
}

function headerValue(headers: EventWithSource['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value ?? undefined;
  return undefined;
}

/**
 * Accepts `ip`, `ip:port` (IPv4, as CloudFront writes it), `[ipv6]:port` and `ipv6:port`
 * (CloudFront's IPv6 form: the last colon group is the port). Anything else is not an address.
 */
export function parseAddress(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!text || text.length > 64) return undefined;
  if (isIP(text)) return text.toLowerCase();
  const bracketed = /^\[([0-9a-fA-F:.]+)\]:\d{1,5}$/.exec(text);
  if (bracketed && isIP(bracketed[1]!) === 6) return bracketed[1]!.toLowerCase();
  const withPort = /^(.+):(\d{1,5})$/.exec(text);
  if (withPort && isIP(withPort[1]!)) return withPort[1]!.toLowerCase();
  return undefined;
}
