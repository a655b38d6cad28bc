/**
 * CloudWatch metrics written as log lines in the Embedded Metric Format: CloudWatch Logs turns
 * each line into a data point, so the hot path makes no API call and carries no SDK. The alarms
 * and dashboard of the stack (infra/operations.js) read these names.
 *
 * A line holds the `_aws` block, the two dimensions and the count, and nothing else: no request
 * field, no user id, no error text, so no token material can reach a metric line, whatever a
 * caller had in hand. Only processes the stack started write them (it sets METRICS_STAGE); the
 * CLI and the tests of use cases write none.
 */

/** Namespace of every metric of the service. */
export const METRICS_NAMESPACE = 'LambdaJwtAuth';

/** The metrics, each a count of one kind of occurrence. */
export type MetricName = 'Logins' | 'LoginFailures' | 'LoginsThrottled' | 'RefreshTokenReuse' | 'AuthorizerUnavailable' | 'ServerErrors';

/**
 * The log events (the `event` field of lib/log.ts lines) counted as metrics. lib/log.ts emits the
 * count beside the line, so the code that logs the event needs no second call and cannot forget it.
 */
export const EVENT_METRICS: Readonly<Record<string, MetricName>> = {
  login: 'Logins',
  login_failed: 'LoginFailures',
  login_throttled: 'LoginsThrottled',
  refresh_token_reused: 'RefreshTokenReuse',
  // The key store or DynamoDB unreadable from the authorizer: it denies every token meanwhile.
  authorizer_unavailable: 'AuthorizerUnavailable',
};

/** The dimension names of every metric, in the order the alarms name them. */
export const METRIC_DIMENSIONS = ['Service', 'Stage'] as const;

/**
 * Writes one EMF line counting `name` once. Written to stdout directly, not through `console`:
 * the Lambda runtime prefixes console lines (time, request id, level), and CloudWatch reads a
 * line as EMF only when the whole line is the JSON document.
 */
export function countMetric(name: MetricName, now: Date = new Date()): void {
  const stage = process.env.METRICS_STAGE;
  if (!stage) return;
  const line = {
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [[...METRIC_DIMENSIONS]], Metrics: [{ Name: name, Unit: 'Count' }] }],
    },
    Service: process.env.METRICS_SERVICE || 'lambda-jwt-auth',
    Stage: stage,
    [name]: 1,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** The metric counting a log event, if it is one. */
export function countEvent(event: unknown): void {
  if (typeof event === 'string' && Object.hasOwn(EVENT_METRICS, event)) countMetric(EVENT_METRICS[event]!);
}
