import { loadConfigOrDie, type Config, type ConfigPart } from '../config';

let config: Config | undefined;
const asked = new Set<ConfigPart>();

/**
 * The configuration, read once per container; a bad one fails the cold start. Each container
 * names the parts it needs (tables, keys), so a function requires only the settings of what it
 * builds: the authorizer never needs USERS_TABLE. A part asked for later is checked then.
 */
export function containerConfig(parts: readonly ConfigPart[] = []): Config {
  if (!config || parts.some((part) => !asked.has(part))) {
    for (const part of parts) asked.add(part);
    config = loadConfigOrDie(process.env, [...asked]);
  }
  return config;
}
