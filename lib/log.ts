/**
 * Minimal structured logger: one JSON object per line, which CloudWatch Logs Insights indexes.
 * Kept tiny on purpose because the authorizer bundle imports it and must stay small.
 * Callers pass ids and codes only; tokens, passwords and hashes are never handed to it.
 *
 * A line whose `event` is one of lib/metrics.ts's EVENT_METRICS is also counted as a CloudWatch
 * metric (a separate EMF line), so logins, failures, throttles and reuse detections reach the
 * alarms without a second call where they happen.
 *
 * Every line written while a request is being handled carries that request's `requestId`: the
 * HTTP middleware and the authorizer's handler open the scope once ({@link withRequestId}), so no
 * caller passes it and none can pass a different one.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { countEvent } from './metrics';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function threshold(): number {
  const wanted = (process.env.LOG_LEVEL ?? 'info').toLowerCase() as Level | 'silent';
  return ORDER[wanted] ?? ORDER.info;
}

export function describeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { value: String(err) };
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if ('code' in err && typeof err.code === 'string') out.code = err.code;
  if (err.cause !== undefined) out.cause = describeError(err.cause);
  return out;
}

const requestScope = new AsyncLocalStorage<{ requestId: string | undefined }>();

/**
 * Runs `fn` with `requestId` on every log line it writes, awaited work included: API Gateway's
 * request id when the event has one (it is what the client and the access logs see), else Lambda's.
 */
export function withRequestId<T>(requestId: string | undefined, fn: () => T): T {
  return requestScope.run({ requestId }, fn);
}

/** API Gateway's request id (what clients and access logs see), else Lambda's. */
export function requestIdOf(
  event: { requestContext?: { requestId?: string } | null } | null | undefined,
  context: { awsRequestId?: string } | null | undefined,
): string | undefined {
  return event?.requestContext?.requestId || context?.awsRequestId || undefined;
}

/** The request id of the request being handled, if any. */
export function currentRequestId(): string | undefined {
  return requestScope.getStore()?.requestId;
}

function write(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  if (ORDER[level] >= threshold()) {
    const requestId = currentRequestId();
    // The scope's id wins over a field of the same name: one id per request, whoever logs.
    const line = JSON.stringify({ level, time: new Date().toISOString(), message, ...fields, ...(requestId ? { requestId } : {}) });
    if (level === 'error' || level === 'warn') console.error(line);
    else console.log(line);
  }
  // Events that are metrics (lib/metrics.ts) are counted whatever LOG_LEVEL hides: alarms need them.
  countEvent(fields.event);
}

export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write('debug', message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
};
