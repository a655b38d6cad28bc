export declare const BUDGET_GZIP_BYTES: number;
export declare const CORE_ENTRY: string;
export declare const PASSKEYS_ENTRY: string;
export interface BundleSize {
  minified: number;
  gzip: number;
}
export declare function bundleSize(entries?: string | string[], options?: { external?: string[]; withoutCore?: boolean }): Promise<BundleSize>;
export declare function sizes(): Promise<{ core: BundleSize; passkeysAlone: BundleSize; passkeysWithHelper: BundleSize; all: BundleSize }>;
