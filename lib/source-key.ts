/**
 * The key a request's source is limited under, by every per-source limit (the login throttle,
 * the per-IP request and email limits). The address itself comes from the HTTP layer
 * (lib/http/client-ip.ts), which trusts only what API Gateway or a named proxy measured.
 */
import { isIP } from 'node:net';

/** The one bucket shared by requests without a known source: never unlimited. */
export const UNKNOWN_SOURCE = 'unknown';

/**
 * The key a source is limited under. One IPv6 client usually holds a whole /64 (2^64 addresses),
 * so IPv6 sources are limited per /64; IPv4 per address. Unknown sources share one bucket.
 */
export function sourceKey(ip: string | undefined): string {
  if (!ip) return UNKNOWN_SOURCE;
  if (isIP(ip) === 4) return ip;
  if (isIP(ip) !== 6) return UNKNOWN_SOURCE;
  // An IPv4-mapped IPv6 address is the IPv4 client it maps.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIP(mapped[1]!) === 4) return mapped[1]!;
  return `${expandIpv6(ip).slice(0, 4).join(':')}::/64`;
}

function expandIpv6(ip: string): string[] {
  let text = ip.toLowerCase();
  // A trailing dotted IPv4 part stands for the last two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...fill, ...tailGroups].map((g) => (parseInt(g || '0', 16) || 0).toString(16));
}
