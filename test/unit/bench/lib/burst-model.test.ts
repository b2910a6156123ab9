import { describe, expect, it } from 'vitest';
import { modelBurst } from '../../../../bench/lib/burst-model.ts';
import { prices } from '../../../../bench/lib/pricing.ts';

describe('modelBurst', () => {
  it('costs nothing extra when every tenant gets a slot at once', () => {
    const outcome = modelBurst({ siloTenants: 20, slots: 20, stackSeconds: 240, transitionsPerLook: 3 });

    expect(outcome.meanExtraLooks).toBe(0);
    expect(outcome.meanExtraCost).toBe(0);
    expect(outcome.holdSeconds).toBe(255);
    expect(outcome.makespanHours).toBeCloseTo(255 / 3600, 10);
  });

  it('makes a second batch wait a full cycle and poll meanwhile', () => {
    // The second tenant's stack starts after 255 + 30 s and is complete at 525 s; its loop, polling
    // since the burst began, sees that at 555 s (11 looks instead of 6): 5 extra, 2.5 on average.
    const outcome = modelBurst({
      siloTenants: 2,
      slots: 1,
      stackSeconds: 240,
      pickUpSeconds: 30,
      transitionsPerLook: 4,
    });
    const perLook =
      4 * prices.stepFunctionsTransition.dollars + prices.lambdaRequest.dollars + prices.dynamoDbReadUnit.dollars;

    expect(outcome.meanExtraLooks).toBe(2.5);
    expect(outcome.meanExtraCost).toBeCloseTo(2.5 * perLook, 12);
    expect(outcome.makespanHours).toBeCloseTo(555 / 3600, 10);
  });

  it('needs at least one slot', () => {
    expect(() => modelBurst({ siloTenants: 1, slots: 0, stackSeconds: 60, transitionsPerLook: 3 })).toThrow(RangeError);
  });
});
