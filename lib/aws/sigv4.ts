/**
 * AWS Signature Version 4 for the two calls the verifying functions make without the AWS SDK
 * (DynamoDB GetItem, Secrets Manager GetSecretValue), over node:crypto.
 *
 * Why not a library: aws4fetch, which signed them before, hashes with WebCrypto, and its first
 * signature in a process loads WebCrypto's modules: 3.6-4.5 ms on the authorizer's first request,
 * against 0.5-0.7 ms for the same HMAC and hash through node:crypto, which the authorizer loads
 * anyway to check signatures. The SDK's own signer (@smithy/signature-v4) weighs 15 KB minified and
 * took 4.7-8.3 ms to its first signature; aws4 loads node:url and node:querystring (1.7 ms) and took
 * 2.4-3.1 ms. Measured in fresh processes with node:crypto loaded (bench/README.md). A signature
 * this module gets wrong is refused by AWS (the call fails closed, as any outage does); the tests
 * compare it with aws4fetch and @smithy/signature-v4 on the same requests.
 *
 * What it signs: the method, the path and query of the URL, the host, `x-amz-date`, the session
 * token when there is one, every header given, and the SHA-256 of the body. Path segments are
 * encoded a second time, as every service but S3 expects.
 */
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SigningScope {
  region: string;
  service: string;
}

export interface RequestToSign {
  method: string;
  /** A URL, or the same three parts of one (lib/aws/json-call.ts builds regional endpoints without parsing). */
  url: Pick<URL, 'host' | 'pathname' | 'search'>;
  /** Header names in any case; they are all signed. */
  headers: Record<string, string>;
  body: string;
}

const hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 percent-encoding: encodeURIComponent plus the four characters it leaves. */
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalPath(url: RequestToSign['url']): string {
  // url.pathname is already percent-encoded once; each segment is encoded again.
  return url.pathname.split('/').map(encodeRfc3986).join('/') || '/';
}

function canonicalQuery(url: RequestToSign['url']): string {
  if (!url.search) return '';
  return [...new URLSearchParams(url.search)]
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** `20150830T123600Z` */
export function amzDate(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The derived key of one day, region, service and secret: four HMACs, kept until one of them changes. */
let signingKey: { id: string; key: Buffer } | undefined;

function signingKeyOf(secret: string, day: string, scope: SigningScope): Buffer {
  const id = `${day}/${scope.region}/${scope.service}/${secret}`;
  if (signingKey?.id !== id) {
    signingKey = { id, key: hmac(hmac(hmac(hmac(`AWS4${secret}`, day), scope.region), scope.service), 'aws4_request') };
  }
  return signingKey.key;
}

/**
 * The headers to send: those given, plus `host`, `x-amz-date`, `x-amz-security-token` (with a
 * session token) and `authorization`.
 */
export function signRequest(request: RequestToSign, credentials: AwsCredentials, scope: SigningScope, at: Date): Record<string, string> {
  const date = amzDate(at);
  const day = date.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  headers.host = request.url.host;
  headers['x-amz-date'] = date;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(request.url),
    canonicalQuery(request.url),
    ...names.map((name) => `${name}:${headers[name]!.trim().replace(/\s+/g, ' ')}`),
    '',
    signedHeaders,
    hex(request.body),
  ].join('\n');
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, credentialScope, hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', signingKeyOf(credentials.secretAccessKey, day, scope)).update(stringToSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
