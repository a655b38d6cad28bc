/**
 * Dollars per million operations and a monthly estimate, from the bench's own measurements
 * (DynamoDB units per operation, duration per operation) and AWS list prices.
 *
 * Prices: US East (N. Virginia), on-demand, as published on the pages below and read on
 * 2026-11-29. Change them here if they move; every figure of the cost tables derives from these.
 */
import { FUNCTIONS } from '../infra/functions.js';
import type { OperationResult } from './operations';
import { round } from './stats';

export const PRICES = {
  checkedOn: '2026-11-29',
  // https://aws.amazon.com/dynamodb/pricing/on-demand/ (on-demand throughput, since 2024-11-01)
  dynamoPerMillionReadUnits: 0.125,
  dynamoPerMillionWriteUnits: 0.625,
  // https://aws.amazon.com/lambda/pricing/ (Arm, first 7.5 billion GB-s per month)
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  // https://aws.amazon.com/api-gateway/pricing/ (HTTP APIs, first 300 million requests)
  httpApiPerMillionRequests: 1.0,
  // https://aws.amazon.com/cognito/pricing/ (user pools; 10,000 MAU free on Essentials and Lite)
  cognitoEssentialsPerMau: 0.015,
  cognitoLitePerMau: 0.0055,
  cognitoFreeMau: 10_000,
} as const;

/** Lambda gives a function one full vCPU at 1,769 MB and a proportional share below. */
const FULL_VCPU_MB = 1769;
const DEFAULT_MEMORY_MB = 512;

export function memoryOf(fn: string): number {
  return (FUNCTIONS.find((f) => f.name === fn)?.memorySize as number | undefined) ?? DEFAULT_MEMORY_MB;
}

export interface OperationCost {
  operation: string;
  function: string;
  memoryMb: number;
  /** Estimated billed ms on Lambda: this machine's p50 scaled to the function's CPU share, rounded up. */
  billedMs: number;
  readUnits: number;
  writeUnits: number;
  dynamoPerMillion: number;
  lambdaPerMillion: number;
  gatewayPerMillion: number;
  totalPerMillion: number;
}

export function operationCost(
  op: Pick<OperationResult, 'operation' | 'p50Ms' | 'readUnitsPerOp' | 'writeUnitsPerOp'>,
  fn: string,
  throughGateway: boolean,
  /** Part of p50Ms spent waiting on the network, which a smaller CPU share does not slow down. */
  waitMs = 0,
): OperationCost {
  const memoryMb = memoryOf(fn);
  // Conservative: all but `waitMs` is treated as CPU time, which the smaller CPU share slows down.
  const cpuMs = Math.max(0, op.p50Ms - waitMs);
  const billedMs = Math.max(1, Math.ceil(cpuMs * Math.max(1, FULL_VCPU_MB / memoryMb) + waitMs));
  const dynamo = op.readUnitsPerOp * PRICES.dynamoPerMillionReadUnits + op.writeUnitsPerOp * PRICES.dynamoPerMillionWriteUnits;
  const lambda = PRICES.lambdaPerMillionRequests + (billedMs / 1000) * (memoryMb / 1024) * PRICES.lambdaArmPerGbSecond * 1e6;
  const gateway = throughGateway ? PRICES.httpApiPerMillionRequests : 0;
  return {
    operation: op.operation,
    function: fn,
    memoryMb,
    billedMs,
    readUnits: op.readUnitsPerOp,
    writeUnits: op.writeUnitsPerOp,
    dynamoPerMillion: round(dynamo, 4),
    lambdaPerMillion: round(lambda, 4),
    gatewayPerMillion: gateway,
    totalPerMillion: round(dynamo + lambda + gateway, 4),
  };
}

/**
 * The usage profile of the monthly estimate, per monthly active user and month. Stated, not
 * measured: change it to your own traffic.
 */
export const PROFILE = {
  mau: 100_000,
  newUsersPerMonth: 5_000,
  perUser: {
    login: 10,
    refresh: 160, // about 2 active hours a day on 20 days, one refresh per 15-minute access token
    logout: 10,
    me: 60,
    sessionsList: 1,
    sessionDelete: 0.2,
    apiRequests: 2_000, // requests to the APIs behind the authorizer
  },
  /** Share of protected requests answered from the gateway's cached decision. */
  gatewayCacheHitRate: { default: 0.5, stateless: 0.9 },
} as const;

export interface MonthlyLine {
  item: string;
  default: number;
  stateless: number;
}

/**
 * Monthly dollars for the profile. Token operations cost the same in both settings; the
 * authorizer differs (its DynamoDB read, and how many requests reach it).
 */
export function monthlyEstimate(costs: Record<string, OperationCost>, authorizer: { withCheck: OperationCost; stateless: OperationCost }): MonthlyLine[] {
  const u = PROFILE.perUser;
  const n = PROFILE.mau;
  const per = (key: string, count: number) => ((costs[key]?.totalPerMillion ?? 0) * count) / 1e6;
  const tokenOps =
    per('register', PROFILE.newUsersPerMonth) +
    per('login', n * u.login) +
    per('refresh', n * u.refresh) +
    per('logout (local)', n * u.logout) +
    per('me', n * u.me) +
    per('sessions list', n * u.sessionsList) +
    per('session delete', n * u.sessionDelete);
  const invocations = (hit: number) => n * u.apiRequests * (1 - hit);
  const authDefault = (authorizer.withCheck.totalPerMillion * invocations(PROFILE.gatewayCacheHitRate.default)) / 1e6;
  const authStateless = (authorizer.stateless.totalPerMillion * invocations(PROFILE.gatewayCacheHitRate.stateless)) / 1e6;
  // Two secrets at $0.40 a month; storage of ~100,000 users and their sessions, well under 1 GB.
  const fixed = 0.8 + 0.25;
  const cognitoBillable = Math.max(0, n - PRICES.cognitoFreeMau);
  return [
    { item: 'sign-up, login, refresh, logout, me, sessions (Lambda + DynamoDB + HTTP API)', default: round(tokenOps, 2), stateless: round(tokenOps, 2) },
    { item: 'authorizer (Lambda + DynamoDB)', default: round(authDefault, 2), stateless: round(authStateless, 2) },
    { item: 'secrets, table storage', default: fixed, stateless: fixed },
    { item: 'total, this service', default: round(tokenOps + authDefault + fixed, 2), stateless: round(tokenOps + authStateless + fixed, 2) },
    { item: `Amazon Cognito Essentials (${cognitoBillable.toLocaleString('en-US')} MAU x $${PRICES.cognitoEssentialsPerMau})`, default: round(cognitoBillable * PRICES.cognitoEssentialsPerMau, 2), stateless: round(cognitoBillable * PRICES.cognitoEssentialsPerMau, 2) },
    { item: `Amazon Cognito Lite (${cognitoBillable.toLocaleString('en-US')} MAU x $${PRICES.cognitoLitePerMau})`, default: round(cognitoBillable * PRICES.cognitoLitePerMau, 2), stateless: round(cognitoBillable * PRICES.cognitoLitePerMau, 2) },
  ];
}
