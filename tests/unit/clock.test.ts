import { describe, expect, it } from 'vitest';
import { epochSeconds, storedInstant } from '../../lib/clock';

describe('stored instants', () => {
  it('reads ISO-8601 strings, the format written now', () => {
    expect(storedInstant('2026-01-01T00:00:01.500Z')).toEqual(new Date(Date.UTC(2026, 0, 1, 0, 0, 1, 500)));
  });

  it('reads epoch milliseconds, the format earlier versions wrote for consumedAt and lastFailureAt', () => {
    expect(storedInstant(Date.UTC(2026, 0, 1))).toEqual(new Date(Date.UTC(2026, 0, 1)));
  });

  it('reads nothing else', () => {
    for (const value of [undefined, null, 'yesterday', Number.NaN, {}, true]) expect(storedInstant(value)).toBeUndefined();
  });
});

describe('epochSeconds', () => {
  it('truncates to whole seconds, the unit of DynamoDB TTL and JWT times', () => {
    expect(epochSeconds(new Date(1_767_225_600_999))).toBe(1_767_225_600);
  });
});
