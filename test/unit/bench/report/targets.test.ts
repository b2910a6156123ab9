import { describe, expect, it } from 'vitest';
import { workflowCost } from '../../../../bench/lib/pricing.ts';
import { costTargets, costWithLooks, scaleTargets, stackLookCost } from '../../../../bench/report/targets.ts';
import type { WorkflowFigures } from '../../../../bench/sections/cost.ts';
import type { ScaleFigures } from '../../../../bench/sections/scale.ts';

function onboarding(transitions: number, stackLooks: number | undefined): WorkflowFigures {
  const usage = {
    stateTransitions: transitions,
    lambdaInvocations: 10,
    lambdaDurationsMs: [],
    readRequestUnits: 6,
    writeRequestUnits: 10,
    events: 2,
  };
  return {
    tier: 'premium',
    workflow: 'onboarding',
    status: 'SUCCEEDED',
    stateEntered: transitions,
    retries: 0,
    billedTransitions: transitions,
    lambdaInvocations: 10,
    lambdaDurationsMs: [],
    sdkCalls: {},
    sdkErrors: {},
    readUnits: 6,
    writeUnits: 10,
    failedConditionalWrites: 0,
    events: 2,
    simulatedSeconds: 373,
    loops:
      stackLooks === undefined
        ? []
        : [{ loop: 'stack', readySeconds: 360, looks: stackLooks, expectedLooks: stackLooks }],
    handlerLogBytes: 0,
    stepFunctionsLogBytes: 0,
    platformLogBytes: 0,
    cost: workflowCost(usage),
  };
}

describe('costTargets', () => {
  it('passes a cheap onboarding without explanation', () => {
    const [check] = costTargets({ durations: {} as never, runs: [onboarding(8, undefined)] });

    expect(check).toMatchObject({ met: true });
    expect(check?.why).toBeUndefined();
  });

  it('explains a missed target by the stack loop and prices the shorter loop', () => {
    const run = onboarding(42, 10);

    const [check] = costTargets({ durations: {} as never, runs: [run] });

    expect(check?.met).toBe(false);
    expect(check?.why).toContain('looks 10 times over the 360 s');
    expect(costWithLooks(run, 2)).toBeCloseTo(run.cost.total - 8 * stackLookCost(), 12);
    expect(check?.closeTheGap).toContain('2 looks instead of 10');
  });
});

describe('scaleTargets', () => {
  const run = (tenants: number, seconds: number, extra: Partial<ScaleFigures> = {}): ScaleFigures => ({
    tenants,
    timings: { createMs: 20, deleteMs: 20, startMs: 0, waitMs: 10 },
    routeListeners: { count: 11, capacity: 99 },
    seconds,
    deadlineSeconds: 240,
    finished: true,
    succeeded: tenants,
    failed: 0,
    unfinished: 0,
    failures: {},
    failureCauses: {},
    throughputPerSecond: tenants / seconds,
    peakRssMiB: 100,
    maxRssMiB: 100,
    retries: {},
    sdkCallsPerTenant: { 'DynamoDB Query': 4 },
    failedConditionalWritesPerTenant: 0,
    sdkErrors: {},
    ...extra,
  });

  it('meets both targets for a clean, linear 1,000-tenant run', () => {
    const checks = scaleTargets({ runs: [run(10, 1), run(1000, 100)], growthExponent: 1 });

    expect(checks.map((check) => check.met)).toEqual([true, true]);
  });

  it('names contention and the local runtime only when the figures show them', () => {
    const failing = run(1000, 127, {
      succeeded: 49,
      failed: 951,
      failures: { 'RegisterTenantRoute: TimeoutError': 951 },
      failedConditionalWritesPerTenant: 3.8,
    });

    const [failures, linear] = scaleTargets({ runs: [run(10, 1), run(100, 7), failing], growthExponent: 0.85 });

    expect(failures?.met).toBe(false);
    expect(failures?.why).toContain('951 × RegisterTenantRoute: TimeoutError');
    expect(failures?.why).toContain('Route priorities are contended');
    expect(failures?.why).toContain('TimeoutError ("The operation was aborted")');
    expect(failures?.why).not.toContain('States.Timeout');
    expect(linear?.met).toBe(false);
    expect(linear?.measured).toContain('had failures');
  });
});
