/**
 * Where the key set document comes from. A source returns the raw secret string; parsing,
 * validation and caching live in the key store, so every source behaves the same.
 * Sources raise `service_unavailable` for anything that goes wrong: the caller must not serve.
 */
import { readFile } from 'node:fs';
import { serviceUnavailable } from '../errors';

export interface KeySource {
  /** A short label for logs (never the secret's content). */
  readonly description: string;
  load(): Promise<string>;
}

/** Local development: the git-ignored file that `npm start` writes on first run. */
export class FileKeySource implements KeySource {
  readonly description: string;
  constructor(private readonly path: string) {
    this.description = `file ${path}`;
  }

  load(): Promise<string> {
    // node:fs with a callback, not node:fs/promises: Node has loaded node:fs before any user code
    // (requiring it costs 0.03 ms), while the first `import('node:fs/promises')` of a process
    // started the ES module loader and loaded the module, 6-7 ms of the first authorization.
    return new Promise((resolve, reject) => {
      readFile(this.path, 'utf8', (err, text) => {
        if (err) reject(serviceUnavailable(new Error(`cannot read dev key set at ${this.path}`, { cause: err })));
        else resolve(text);
      });
    });
  }
}
