/**
 * Where the key set document comes from. A source returns the raw secret string; parsing,
 * validation and caching live in the key store, so every source behaves the same.
 * Sources raise `service_unavailable` for anything that goes wrong: the caller must not serve.
 */
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
    try {
      // Loaded here, not at module scope: the deployed functions read Secrets Manager, and
      // node:fs/promises costs every cold start a few milliseconds for a local-only source.
      const { readFile } = await import('node:fs/promises');
      return await readFile(this.path, 'utf8');
    } catch (err) {
      throw serviceUnavailable(new Error(`cannot read dev key set at ${this.path}`, { cause: err }));
    }
  }
}
