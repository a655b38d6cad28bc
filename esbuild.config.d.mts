export const FUNCTIONS: string[];
export function optionsFor(name: string): Record<string, unknown>;
export function buildAll(): Promise<void>;
/** The ES module a function bundle gets in place of infra/settings.js or infra/tables.js. */
export function infraValuesModule(which: 'settings' | 'tables'): string;
/** Stand-ins for the stream modules @middy/core imports, loading the real ones on first use. */
export const LAZY_STREAM_MODULES: Record<string, string>;
