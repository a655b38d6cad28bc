import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { clientIp, parseAddress } from '../../lib/http/client-ip';
import { sourceKey, UNKNOWN_SOURCE } from '../../lib/source-key';
import { requestMeta } from '../../lib/http/request';
import type { HttpEvent } from '../../lib/http/middleware';

const httpApiEvent = (sourceIp: string, headers: Record<string, string> = {}) =>
  ({ version: '2.0', headers, requestContext: { http: { sourceIp, userAgent: 'ua-v2' }, requestId: 'r1' } }) as unknown as HttpEvent;
const restApiEvent = (sourceIp: string, headers: Record<string, string> = {}) =>
  ({ resource: '/auth/login', headers, requestContext: { identity: { sourceIp, userAgent: 'ua-v1' }, requestId: 'r2' } }) as unknown as HttpEvent;

describe('client IP', () => {
  it('reads the HTTP API source address', () => {
    expect(clientIp(httpApiEvent('203.0.113.7'))).toBe('203.0.113.7');
  });

  it('reads the REST API source address, so limits do not switch off behind a REST API', () => {
    expect(clientIp(restApiEvent('203.0.113.8'))).toBe('203.0.113.8');
    expect(requestMeta(restApiEvent('203.0.113.8'), { clientIpHeader: undefined })).toMatchObject({ ip: '203.0.113.8', userAgent: 'ua-v1' });
  });

  it('a spoofed X-Forwarded-For, Forwarded or X-Real-IP header is ignored', () => {
    const spoofed = { 'x-forwarded-for': '1.2.3.4', forwarded: 'for=1.2.3.4', 'x-real-ip': '1.2.3.4' };
    expect(clientIp(httpApiEvent('203.0.113.7', spoofed))).toBe('203.0.113.7');
    expect(clientIp(restApiEvent('203.0.113.8', spoofed))).toBe('203.0.113.8');
  });

  it('behind CloudFront, the trusted header names the viewer instead of the shared edge address', () => {
    const header = 'cloudfront-viewer-address';
    expect(clientIp(httpApiEvent('130.176.0.1', { [header]: '198.51.100.9:46532' }), header)).toBe('198.51.100.9');
    expect(clientIp(httpApiEvent('130.176.0.1', { [header]: '2001:db8::5:46532' }), header)).toBe('2001:db8::5');
    expect(clientIp(restApiEvent('130.176.0.1', { 'CloudFront-Viewer-Address': '[2001:db8::6]:443' }), header)).toBe('2001:db8::6');
  });

  it('with the trusted header configured, a request without it has no known source (it does not fall back to the edge)', () => {
    expect(clientIp(httpApiEvent('130.176.0.1'), 'cloudfront-viewer-address')).toBeUndefined();
    expect(clientIp(httpApiEvent('130.176.0.1', { 'cloudfront-viewer-address': 'not an ip' }), 'cloudfront-viewer-address')).toBeUndefined();
  });

  it('an event without any source address has no known source, limited under the shared bucket', () => {
    expect(clientIp({ headers: {}, requestContext: {} })).toBeUndefined();
    expect(clientIp({ headers: {} })).toBeUndefined();
    expect(sourceKey(undefined)).toBe(UNKNOWN_SOURCE);
  });

  it('parses only real addresses', () => {
    for (const bad of ['', 'localhost', '1.2.3', '1.2.3.4.5', '999.1.1.1', '1.2.3.4:99999999', 'x'.repeat(100), 42]) {
      expect(parseAddress(bad)).toBeUndefined();
    }
    expect(parseAddress(' 10.0.0.1 ')).toBe('10.0.0.1');
  });

  it('an IPv6 attacker rotating within a /64 maps to one source; IPv4-mapped addresses to their IPv4', () => {
    expect(sourceKey('2001:db8:1:2::1')).toBe(sourceKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(sourceKey('2001:DB8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:3::1')).not.toBe(sourceKey('2001:db8:1:2::1'));
    expect(sourceKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('192.0.2.1')).toBe('192.0.2.1');
  });

  it('CLIENT_IP_HEADER is validated and lower-cased at cold start', () => {
    const base = { AUTH_MODE: 'local', SIGNING_KEYS_FILE: 'x.json' };
    expect(loadConfig({ ...base, CLIENT_IP_HEADER: 'CloudFront-Viewer-Address' }).clientIpHeader).toBe('cloudfront-viewer-address');
    expect(loadConfig(base).clientIpHeader).toBeUndefined();
    expect(() => loadConfig({ ...base, CLIENT_IP_HEADER: 'bad header' })).toThrow(/CLIENT_IP_HEADER/);
  });
});
