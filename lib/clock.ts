/**
 * Time, one way everywhere.
 *
 * - The clock is a {@link Clock}: a function returning the current instant as a `Date`. Use cases
 *   and the authorizer get it as `clock` in their deps; long-lived caches (the key store, the
 *   session check) as the `clock` option, defaulting to {@link systemClock}. Tests pass a clock
 *   they move by hand instead of sleeping.
 * - A function that works on one instant takes it as `now: Date` (never a default parameter), so
 *   one request reads the clock once and every record it writes agrees.
 * - Stored and in memory, instants are ISO-8601 strings / `Date`s (`createdAt`, `lastUsedAt`,
 *   `revokedAt`, `consumedAt`, `lastFailureAt`). Only expiry attributes are
 *   {@link EpochSeconds}: `expiresAt` and `sessionExpiresAt` (DynamoDB TTL reads them) and the
 *   JWT's `iat`/`exp`. Durations carry their unit in their name (`...Seconds`, `...Ms`).
 */
export type Clock = () => Date;

/** Whole seconds since the epoch: DynamoDB's TTL unit and the JWT's. */
export type EpochSeconds = number;

export const systemClock: Clock = () => new Date();

export function epochSeconds(at: Date): EpochSeconds {
  return Math.floor(at.getTime() / 1000);
}

/**
 * Reads a stored instant: an ISO-8601 string, or epoch milliseconds as written by earlier
 * versions (`consumedAt`, `lastFailureAt`), so items written before the switch stay readable.
 */
export function storedInstant(value: unknown): Date | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value);
  if (typeof value === 'string') {
    const at = new Date(value);
    return Number.isNaN(at.getTime()) ? undefined : at;
  }
  return undefined;
}
