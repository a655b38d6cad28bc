export declare const BUDGET_GZIP_BYTES: number;
export declare function bundleSize(entry?: string): Promise<{ minified: number; gzip: number }>;
