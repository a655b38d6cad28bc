/**
 * The providers' client secrets: one JSON document `{"<provider name>": "<client secret>"}`, in
 * Secrets Manager on a deployed stage (OAUTH_CLIENT_SECRETS_SECRET_ID; never in the template or
 * the environment) and in a git-ignored file locally (OAUTH_CLIENT_SECRETS_FILE, written by
 * `npm start` for the local provider), read through the same key sources as the signing keys.
 * Cached per container for five minutes, so a rotated secret is picked up without a deploy.
 */
import { serviceUnavailable } from '../errors';
import type { KeySource } from '../keys/sources';

export interface ClientSecrets {
  get(provider: string): Promise<string>;
}

export const CLIENT_SECRETS_MAX_AGE_MS = 5 * 60_000;

export class CachedClientSecrets implements ClientSecrets {
  private cached: { at: number; secrets: Promise<Record<string, unknown>> } | undefined;

  constructor(
    private readonly source: KeySource,
    private readonly now: () => number = Date.now,
  ) {}

  async get(provider: string): Promise<string> {
    if (!this.cached || this.now() - this.cached.at > CLIENT_SECRETS_MAX_AGE_MS) {
      const secrets = this.source.load().then((raw) => {
        const doc = JSON.parse(raw) as unknown;
        if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('client secrets must be a JSON object');
        return doc as Record<string, unknown>;
      });
      this.cached = { at: this.now(), secrets };
      // A failed read is tried again by the next request.
      secrets.catch(() => (this.cached = undefined));
    }
    let secrets: Record<string, unknown>;
    try {
      secrets = await this.cached.secrets;
    } catch (err) {
      throw serviceUnavailable(err);
    }
    const secret = secrets[provider];
    if (typeof secret !== 'string' || !secret) throw serviceUnavailable(new Error(`no client secret for provider ${provider} (${this.source.description})`));
    return secret;
  }

  /** Tests: forget the cached document. */
  clearCache(): void {
    this.cached = undefined;
  }
}
