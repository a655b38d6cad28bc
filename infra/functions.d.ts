export interface FunctionEntry {
  name: string;
  handler?: string;
  http?: { method: string; path: string } | { method: string; path: string }[];
  authorizer?: boolean;
  role?: string;
  memorySize?: number;
  timeout?: number;
  events?: Record<string, unknown>[];
  environment?: Record<string, string>;
}
export const FUNCTIONS: readonly FunctionEntry[];
export const HTTP_AUTHORIZER: string;
export const VERIFIER_ROLE: string;
export function serverlessKey(fn: FunctionEntry): string;
export function handlerFile(fn: FunctionEntry): string;
export function routeKey(fn: FunctionEntry): string | undefined;
export function routeKeys(fn: FunctionEntry): string[];
export function serverlessFunctions(context?: { resolveVariable?: (name: string) => Promise<unknown> }): Promise<Record<string, Record<string, unknown>>>;
export function functionLogicalId(fn: FunctionEntry): string;
export const SIGN_IN_FUNCTIONS: readonly string[];
export function verifierLogGroupArns(): { 'Fn::GetAtt': [string, 'Arn'] }[];
