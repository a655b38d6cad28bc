export declare function bundleBrowserClient(options?: { minify?: boolean; sourcemap?: boolean }): Promise<string>;
