export interface Setting {
  readonly name: string;
  /** Stage parameter that sets it; null when the stack sets it itself. */
  readonly param: string | null;
  readonly default?: string | number | boolean;
  /** Default in local mode only. */
  readonly local?: string;
}
export const SETTINGS: readonly Setting[];
export const STACK_SET: readonly string[];
export function paramName(name: string): string;
export function settingOf(name: string): Setting;
export function defaultOf(name: string): string | number | boolean;
export function localDefaultOf(name: string): string;
