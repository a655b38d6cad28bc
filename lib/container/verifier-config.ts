import { loadVerifierConfigOrDie, type VerifierConfig } from '../config';

let config: VerifierConfig | undefined;

/**
 * The authorizer's configuration, read once per container: only the verifier's settings (see
 * loadVerifierConfig), so its cold start reads a dozen variables instead of every setting.
 */
export function verifierConfig(): VerifierConfig {
  config ??= loadVerifierConfigOrDie(process.env);
  return config;
}
