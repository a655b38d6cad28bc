import { loadConfigOrDie, type Config } from '../config';

let config: Config | undefined;

/** The configuration, read once per container; a bad one fails the cold start. */
export function containerConfig(): Config {
  config ??= loadConfigOrDie();
  return config;
}
