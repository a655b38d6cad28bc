import type { KeyObject } from 'node:crypto';

/** A checker of `token` against `key`; throws what it refuses (bench/floor.cjs). */
export function floorVerifier(key: KeyObject, issuer: string, audience: string): (token: string) => Record<string, unknown>;
