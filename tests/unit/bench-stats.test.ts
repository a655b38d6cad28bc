import { describe, expect, it } from 'vitest';
import { median, medianInterval } from '../../bench/stats';

describe('the confidence interval of a median (bench/stats.ts)', () => {
  const shuffled = (n: number) => Array.from({ length: n }, (_, i) => ((i * 37) % n) + 1);

  it('takes the 22nd and 39th of 60 values, whatever their order', () => {
    expect(medianInterval(shuffled(60))).toEqual([22, 39]);
  });

  it('is the whole range for ten values, and the value itself for one', () => {
    expect(medianInterval(shuffled(10))).toEqual([1, 10]);
    expect(medianInterval([4.2])).toEqual([4.2, 4.2]);
  });

  it('holds the median and narrows as values are added', () => {
    const few = shuffled(60);
    const many = shuffled(240);
    const [lowFew, highFew] = medianInterval(few);
    const [lowMany, highMany] = medianInterval(many);
    expect(lowFew).toBeLessThanOrEqual(median(few));
    expect(highFew).toBeGreaterThanOrEqual(median(few));
    expect((highMany - lowMany) / many.length).toBeLessThan((highFew - lowFew) / few.length);
  });

  it('is empty for no values', () => {
    expect(medianInterval([])).toEqual([NaN, NaN]);
  });
});
