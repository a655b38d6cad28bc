/**
 * Form bodies (`application/x-www-form-urlencoded`), as OAuth clients send them to the token and
 * revocation endpoints (RFC 6749 §3.2, RFC 7009 §2.1).
 *
 * Parsed with the WHATWG `URLSearchParams` built into Node rather than
 * `@middy/http-urlencode-body-parser`: that package parses with the legacy `node:querystring`,
 * matches the media type case-sensitively, turns a repeated parameter into an array, and answers
 * 415 for some well-formed bodies (one name without `=`). `URLSearchParams` is the algorithm
 * browsers and `fetch` use to write these bodies, and costs no dependency (docs/reference/endpoints.md "OAuth clients: POST /oauth2/token and POST /oauth2/revoke"
 * has the measurement).
 *
 * RFC 6749 §3.2's rules are applied here, once for both endpoints: a parameter sent without a
 * value counts as omitted, and one sent more than once makes the request invalid (which copy
 * would count is exactly what a smuggling attempt plays on).
 */
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { AppError, invalidRequest } from '../errors';
import type { HttpEvent } from './event';
import type { HttpResult } from './responses';

const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded\s*(?:;.*)?$/i;

/** A form's parameters: one string per name; names sent without a value are absent. */
export type FormParameters = Record<string, string>;

/** Parses a form body under RFC 6749 §3.2's rules (see the file header). */
export function parseForm(text: string): FormParameters {
  const params = new URLSearchParams(text);
  // A null prototype: a parameter named `__proto__` or `constructor` is just a name.
  const form: FormParameters = Object.create(null);
  const repeated = new Set<string>();
  for (const [name, value] of params) {
    if (params.getAll(name).length > 1) repeated.add(name);
    else if (value !== '') form[name] = value;
  }
  if (repeated.size > 0) throw invalidRequest([...repeated].map((field) => ({ field, message: 'must not be sent more than once' })));
  return form;
}

function bodyText(event: HttpEvent): string {
  if (typeof event.body !== 'string') return '';
  // API Gateway's HTTP API hands form bodies over base64-encoded.
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** The body's size in bytes as the client sent it (before any base64 decoding). */
export function rawBodyBytes(event: Pick<HttpEvent, 'body' | 'isBase64Encoded'>): number {
  if (typeof event.body !== 'string') return 0;
  return event.isBase64Encoded ? Math.floor((event.body.length * 3) / 4) : Buffer.byteLength(event.body, 'utf8');
}

/**
 * The size and media type gate of a form endpoint, then the parse: `event.body` becomes the
 * {@link FormParameters}. A body that is not a form (JSON included) is `unsupported_media_type`,
 * which the OAuth endpoints answer as RFC 6749's `invalid_request`.
 */
export function formBodyGate<E extends HttpEvent>(maxBodyBytes: number): middy.MiddlewareObj<E, HttpResult, Error, Context> {
  return {
    before: (request) => {
      const { event } = request;
      if (rawBodyBytes(event) > maxBodyBytes) {
        throw new AppError('payload_too_large', `The request body must be at most ${maxBodyBytes} bytes.`);
      }
      const contentType = event.headers?.['content-type'];
      const hasBody = typeof event.body === 'string' && event.body.length > 0;
      if ((hasBody || contentType !== undefined) && (contentType === undefined || !FORM_CONTENT_TYPE.test(contentType))) {
        throw new AppError('unsupported_media_type', 'The request body must be form-encoded (Content-Type: application/x-www-form-urlencoded).');
      }
      event.body = parseForm(bodyText(event));
    },
  };
}
