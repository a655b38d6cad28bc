export const FUNCTIONS: string[];
export function optionsFor(name: string): Record<string, unknown>;
export function buildAll(): Promise<void>;
