import { describe, expect, it } from 'vitest';
import { roundTripsPerTenant, scaleResult } from '../../../../bench/report/results.ts';
import type { ScaleFigures } from '../../../../bench/sections/scale.ts';

const run = (tenants: number, seconds: number, extra: Partial<ScaleFigures> = {}): ScaleFigures =>
  ({
    tenants,
    seconds,
    finished: true,
    succeeded: tenants,
    failed: 0,
    unfinished: 0,
    failures: {},
    ...extra,
  }) as ScaleFigures;

describe('roundTripsPerTenant', () => {
  it("is the run's milliseconds per tenant over its baseline", () => {
    expect(roundTripsPerTenant(run(100, 5, { baselineRoundTripMs: 2 }))).toBe(25);
  });

  it('is undefined without a baseline, as in results written before it was timed', () => {
    expect(roundTripsPerTenant(run(100, 5))).toBeUndefined();
    expect(roundTripsPerTenant(run(100, 5, { baselineRoundTripMs: 0 }))).toBeUndefined();
  });
});

describe('scaleResult', () => {
  it('fits the clean runs on seconds and on time in round trips of each run', () => {
    // The larger run's machine was four times slower: 400 s is 100,000 round trips of 4 ms, linear.
    const result = scaleResult([run(10, 1, { baselineRoundTripMs: 1 }), run(1000, 400, { baselineRoundTripMs: 4 })]);

    expect(result.growthExponent).toBeCloseTo(Math.log(400) / Math.log(100), 10);
    expect(result.growthExponentInRoundTrips).toBeCloseTo(1, 10);
  });

  it('leaves out runs with failures, and the round-trip fit when a clean run has no baseline', () => {
    const result = scaleResult([
      run(10, 1),
      run(100, 8, { baselineRoundTripMs: 1 }),
      run(1000, 50, { failed: 400, succeeded: 600 }),
    ]);

    expect(result.growthExponent).toBeCloseTo(Math.log(8) / Math.log(10), 10);
    expect(result).not.toHaveProperty('growthExponentInRoundTrips');
  });

  it('has no fit with fewer than two clean runs', () => {
    expect(scaleResult([run(10, 1)])).toEqual({ runs: [run(10, 1)] });
  });
});
