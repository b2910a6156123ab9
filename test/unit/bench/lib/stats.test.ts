import { describe, expect, it } from 'vitest';
import { growthExponent, linearFit, mean, median, percentile } from '../../../../bench/lib/stats.ts';

describe('percentile', () => {
  it('interpolates between the closest ranks', () => {
    const values = [40, 10, 30, 20];

    expect(percentile(values, 0)).toBe(10);
    expect(percentile(values, 50)).toBe(25);
    expect(percentile(values, 100)).toBe(40);
    expect(percentile(values, 95)).toBeCloseTo(38.5, 10);
  });

  it('gives the single value of a one-element sample at every p', () => {
    expect(percentile([7], 95)).toBe(7);
  });

  it("does not reorder the caller's array", () => {
    const values = [3, 1, 2];

    percentile(values, 50);

    expect(values).toEqual([3, 1, 2]);
  });

  it('rejects an empty sample, a non-finite value and p outside 0..100', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1, Number.NaN], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
  });
});

describe('median and mean', () => {
  it('median of an odd sample is its middle value; mean is the average', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(mean([1, 2, 6])).toBe(3);
  });
});

describe('linearFit', () => {
  it('recovers an exact line with R² 1', () => {
    const fit = linearFit([
      { x: 10, y: 3 },
      { x: 100, y: 21 },
      { x: 1000, y: 201 },
    ]);

    expect(fit.slope).toBeCloseTo(0.2, 10);
    expect(fit.intercept).toBeCloseTo(1, 10);
    expect(fit.r2).toBeCloseTo(1, 10);
  });

  it('reports a poor fit for a curve', () => {
    const fit = linearFit([1, 2, 3, 4, 5, 6].map((x) => ({ x, y: (x - 3.5) ** 2 })));

    expect(fit.r2).toBeLessThan(0.1);
  });

  it('needs two points with distinct x', () => {
    expect(() => linearFit([{ x: 1, y: 1 }])).toThrow(RangeError);
    expect(() =>
      linearFit([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toThrow(/distinct x/);
  });
});

describe('growthExponent', () => {
  it('is 1 for linear growth and 2 for quadratic growth', () => {
    const xs = [10, 100, 1000];

    expect(growthExponent(xs.map((x) => ({ x, y: 0.05 * x })))).toBeCloseTo(1, 10);
    expect(growthExponent(xs.map((x) => ({ x, y: 0.001 * x * x })))).toBeCloseTo(2, 10);
  });

  it('needs positive values', () => {
    expect(() =>
      growthExponent([
        { x: 0, y: 1 },
        { x: 10, y: 2 },
      ]),
    ).toThrow(RangeError);
  });
});
