import { describe, expect, it } from 'vitest';
import { prices, workflowCost } from '../../../../bench/lib/pricing.ts';
import {
  coldStartTargets,
  costTargets,
  costWithLooks,
  costWithTransitions,
  extraLookCost,
  growingCalls,
  overheadTargets,
  scaleTargets,
  scaleUnderLoadTargets,
  targets,
} from '../../../../bench/report/targets.ts';
import type { BundleFigures, ColdStartResult } from '../../../../bench/sections/cold-start.ts';
import type { WorkflowFigures } from '../../../../bench/sections/cost.ts';
import type { OverheadFigures } from '../../../../bench/sections/overhead.ts';
import { scaleUnderLoad } from '../../../../bench/report/results.ts';
import type { ScaleFigures } from '../../../../bench/sections/scale.ts';

function onboarding(
  transitions: number,
  stackLooks: number | undefined,
  waitSeconds: number[] = [],
  transitionsPerExtraLook = 3,
): WorkflowFigures {
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
        : [
            {
              loop: 'stack',
              readySeconds: 360,
              looks: stackLooks,
              expectedLooks: stackLooks,
              waitSeconds,
              transitionsPerExtraLook,
            },
          ],
    handlerLogBytes: 0,
    stepFunctionsLogBytes: 0,
    platformLogBytes: 0,
    cost: workflowCost(usage),
  };
}

describe('costTargets', () => {
  const premiumLimit = targets.costPerPremiumOnboardingDollars;

  it('passes a cheap onboarding without explanation, and says the figure is counts × list prices', () => {
    const [check, premium] = costTargets({ durations: {} as never, runs: [onboarding(8, undefined)] });

    expect(check).toMatchObject({ met: true });
    expect(check?.target).toContain('local counts × list prices');
    expect(check?.why).toBeUndefined();
    expect(premium).toMatchObject({
      met: true,
      target: `cost per premium onboarding < $0.000450 (local counts × list prices)`,
    });
  });

  it("explains a missed target with this run's loop, its waits and the transitions it counted per look", () => {
    // Waits and a pass length no schedule or definition of the code produces: the text must come from the run.
    const run = onboarding(42, 10, [7, 9, 11, 13, 17, 19, 23, 29, 31], 5);

    const [check] = costTargets({ durations: {} as never, runs: [run] });

    expect(check?.met).toBe(false);
    expect(check?.why).toContain('looked 10 times over the 360 s');
    expect(check?.why).toContain('waits of 7, 9, 11, 13, 17, 19, 23, 29, 31 s');
    expect(check?.why).toContain('5 transitions and a Lambda request each, counted in this run');
    expect(check?.why).toContain('The largest line is Step Functions (42 billed transitions)');
    const perLook = 5 * prices.stepFunctionsTransition.dollars + prices.lambdaRequest.dollars;
    expect(extraLookCost(run.loops[0]!)).toBeCloseTo(perLook, 12);
    expect(costWithLooks(run, 1)).toBeCloseTo(run.cost.total - 9 * perLook, 12);
    expect(check?.closeTheGap).toContain(`would cost $${costWithLooks(run, 1).toFixed(6)}, which meets the target`);
  });

  it('says when one look would still miss', () => {
    const [check] = costTargets({ durations: {} as never, runs: [onboarding(60, 3, [30, 45])] });

    expect(check?.closeTheGap).toContain('still misses the target');
  });

  it('makes no loop claim when the run did not count the transitions of a look', () => {
    const run = onboarding(42, 10, [30, 45], 3);
    const withoutCount = { ...run, loops: run.loops.map(({ transitionsPerExtraLook: _, ...loop }) => loop) };

    const [check] = costTargets({ durations: {} as never, runs: [withoutCount] });

    expect(check?.why).not.toContain('stack loop');
    expect(costWithLooks(withoutCount, 1)).toBe(run.cost.total);
    expect(check?.closeTheGap).toBe('Lower the largest line, Step Functions (42 billed transitions).');
  });

  it('checks the premium onboarding against its own limit, priced at the transitions target', () => {
    const run = onboarding(33, 8, [30, 45, 60, 60, 60, 60, 60]);

    const premium = costTargets({ durations: {} as never, runs: [run] }).at(-1);

    expect(run.cost.total).toBeGreaterThan(premiumLimit);
    expect(premium?.met).toBe(false);
    expect(premium?.measured).toBe(`$${run.cost.total.toFixed(6)} (33 billed transitions)`);
    const atTarget = costWithTransitions(run, targets.premiumTransitions);
    expect(atTarget).toBeCloseTo(run.cost.total - 18 * prices.stepFunctionsTransition.dollars, 12);
    expect(premium?.closeTheGap).toBe(
      `At 15 billed transitions (the transitions target) instead of 33, the run would cost $${atTarget.toFixed(6)}, which ${atTarget < premiumLimit ? 'meets' : 'still misses'} the target.`,
    );
  });

  it('has no premium check when the run onboarded no premium tenant', () => {
    const basic = { ...onboarding(8, undefined), tier: 'basic' as const };

    expect(costTargets({ durations: {} as never, runs: [basic] }).map((check) => check.target)).toEqual([
      'cost per basic onboarding < $0.001000 (local counts × list prices)',
    ]);
  });
});

describe('overheadTargets', () => {
  const tier = (extra: Partial<OverheadFigures>): OverheadFigures =>
    ({
      tier: 'premium',
      runs: 60,
      failed: 0,
      failures: {},
      wallMs: { p50: 2000, p95: 2500 },
      waitMs: { p50: 100, p95: 100 },
      overheadMs: { p50: 1200, p95: 1500, mean: 1250, max: 1600 },
      startMs: { p50: 5, p95: 10 },
      inWorkflowMs: { p50: 1195, p95: 1490 },
      meanTaskMs: { PlanTenantResources: 20, CheckTenantStacks: 900, ActivateTenant: 40 },
      baselineMs: { p50: 2 },
      overheadRatio: { p50: 600, p95: 750 },
      ...extra,
    }) as OverheadFigures;

  it('names the larger part and the slowest Task state of this run, and says the figure is local', () => {
    const [check] = overheadTargets({ timings: {} as never, tiers: [tier({})] });

    expect(check?.met).toBe(false);
    expect(check?.target).toContain('local runtime');
    expect(check?.why).toContain('the slowest Task state is CheckTenantStacks, 900 ms');
    expect(check?.closeTheGap).toContain('from the first state on (1490 ms p95)');
    expect(check?.measured).toContain('p95 750× a DynamoDB round trip');
  });
});

describe('coldStartTargets', () => {
  const bundle = (name: string, extra: Partial<BundleFigures>): BundleFigures => ({
    function: name,
    bytes: 150 * 1024,
    sourceMapBytes: 400 * 1024,
    topInputs: [
      { input: 'functions/shared', bytes: 60 * 1024 },
      { input: '@aws-lambda-powertools/logger', bytes: 40 * 1024 },
    ],
    importMs: 120,
    importMsWithoutSourceMaps: 100,
    externals: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'],
    externalsImportMs: 70,
    sinceProcessStartMs: 160,
    baselineImportMs: 70,
    importRatio: 1.7,
    loads: 10,
    ...extra,
  });
  const result = (bundles: BundleFigures[]): ColdStartResult => ({
    nodeVersion: 'v24',
    baselineModules: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'],
    dynamoDbOnlyImportMs: 70,
    bundles,
  });

  it('reads import time as a ratio to the baseline, so a loaded machine does not miss it', () => {
    // 400 ms would miss any fixed millisecond target; 1.4× the baseline measured beside it does not.
    const [, load] = coldStartTargets(
      result([bundle('plan-tenant', { importMs: 400, baselineImportMs: 285, importRatio: 1.4 })]),
    );

    expect(load?.met).toBe(true);
    expect(load?.measured).toContain('1.40×');
  });

  it('explains a slow bundle from its own figures: its SDK packages, its code, its source maps', () => {
    const slow = bundle('send-reply', {
      importMs: 300,
      importMsWithoutSourceMaps: 240,
      externals: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-eventbridge'],
      externalsImportMs: 200,
      importRatio: targets.importRatio + 0.5,
    });

    const [size, load] = coldStartTargets(result([bundle('plan-tenant', {}), slow]));

    expect(size?.met).toBe(true);
    expect(load?.met).toBe(false);
    expect(load?.measured).toContain('slowest send-reply');
    expect(load?.why).toContain('send-reply imports 3 SDK packages');
    expect(load?.why).toContain('200 ms of its 300 ms (67%)');
    expect(load?.why).toContain('source maps add 60 ms');
    expect(load?.why).not.toContain('every bundle imports every SDK client package');
    expect(load?.closeTheGap).toContain('@aws-sdk/client-eventbridge beyond the baseline');
    expect(load?.closeTheGap).not.toContain('functions/shared/clients');
  });

  it("points at the bundle's own code when the SDK is the smaller part", () => {
    const slow = bundle('plan-tenant', { importMs: 300, externalsImportMs: 70, importRatio: 4 });

    const [, load] = coldStartTargets(result([slow]));

    expect(load?.closeTheGap).toContain('Its own code is most of it: functions/shared 60 KiB');
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

  it('meets both targets for a clean, linear 1,000-tenant run, and says it ran locally', () => {
    const checks = scaleTargets({ runs: [run(10, 1), run(1000, 100)], growthExponent: 1 });

    expect(checks.map((check) => check.met)).toEqual([true, true]);
    expect(checks.every((check) => check.target.includes('local runtime'))).toBe(true);
  });

  it('judges linearity on time in round trips when every run has its baseline, and says so', () => {
    const [, linear] = scaleTargets({
      runs: [run(10, 1), run(1000, 400)],
      growthExponent: 1.3,
      growthExponentInRoundTrips: 1.01,
    });
    const [, onSeconds] = scaleTargets({ runs: [run(10, 1), run(1000, 400)], growthExponent: 1.3 });

    expect(linear?.met).toBe(true);
    expect(linear?.measured).toContain(
      'k = 1.01 over the runs without failures (10, 1000 tenants), on time in DynamoDB round trips timed before each run; on seconds k = 1.30',
    );
    expect(onSeconds?.met).toBe(false);
    expect(onSeconds?.measured).toContain(
      'k = 1.30 over the runs without failures (10, 1000 tenants), on seconds (no baseline in these runs)',
    );
  });

  it('explains failures from the figures only: the failures, their cause, the calls that grow', () => {
    const failing = run(1000, 127, {
      succeeded: 49,
      failed: 951,
      failures: { 'RegisterTenantRoute: TimeoutError': 951 },
      failureCauses: { 'RegisterTenantRoute: TimeoutError': 'The operation was aborted' },
      failedConditionalWritesPerTenant: 3.8,
      sdkCallsPerTenant: { 'DynamoDB Query': 12, 'DynamoDB PutItem': 4 },
    });

    const [failures, linear] = scaleTargets({ runs: [run(10, 1), run(100, 7), failing], growthExponent: 0.85 });

    expect(failures?.met).toBe(false);
    expect(failures?.why).toContain('951 × RegisterTenantRoute: TimeoutError');
    expect(failures?.why).toContain('3.8 refused conditional writes per tenant');
    expect(failures?.why).toContain('DynamoDB Query 4 per tenant at 10 tenants, 12 at 1000');
    expect(failures?.closeTheGap).toContain(
      'RegisterTenantRoute: TimeoutError (951 executions): "The operation was aborted"',
    );
    // Claims about how the code works are not derived from the figures, so they are not made.
    for (const text of [failures?.why, failures?.closeTheGap])
      expect(text).not.toMatch(/lowest free|50 sockets|TransientAwsError|picked at random/);
    expect(linear?.met).toBe(false);
    expect(linear?.measured).toContain('had failures');
  });
});

describe('scaleUnderLoadTargets', () => {
  const run = (seconds: number, extra: Partial<ScaleFigures> = {}): ScaleFigures => ({
    tenants: 1000,
    timings: { createMs: 20, deleteMs: 20, startMs: 0, waitMs: 10 },
    routeListeners: { count: 11, capacity: 99 },
    seconds,
    deadlineSeconds: 480,
    finished: true,
    succeeded: 1000,
    failed: 0,
    unfinished: 0,
    failures: {},
    failureCauses: {},
    throughputPerSecond: 1000 / seconds,
    peakRssMiB: 100,
    maxRssMiB: 100,
    retries: {},
    sdkCallsPerTenant: {},
    failedConditionalWritesPerTenant: 0,
    sdkErrors: {},
    ...extra,
  });

  it('is met by a loaded burst that only took longer, measured against the unloaded run of the same size', () => {
    const [check] = scaleUnderLoadTargets(scaleUnderLoad(run(300), 2), { runs: [run(100)] });

    expect(check?.met).toBe(true);
    expect(check?.target).toContain('1000 tenants at once beside one CPU-burning process per core');
    expect(check?.measured).toBe("0 failed in 300 s, 3.0× the unloaded run's 100 s (2 burners)");
  });

  it('is missed by failures or a cut run, each explained from the figures', () => {
    const failing = run(142, {
      succeeded: 427,
      failed: 573,
      failures: { 'CheckTenantStacks: StackTimeout': 573 },
      failureCauses: { 'CheckTenantStacks: StackTimeout': 'No stack operation slot came free within 600 seconds' },
    });
    const [failed] = scaleUnderLoadTargets(scaleUnderLoad(failing, 2), undefined);
    const [cut] = scaleUnderLoadTargets(
      scaleUnderLoad(run(480, { finished: false, succeeded: 900, unfinished: 100 }), 2),
      undefined,
    );

    expect(failed?.met).toBe(false);
    expect(failed?.why).toBe(
      'Failures: 573 × CheckTenantStacks: StackTimeout. No unloaded run of the same size to compare these failures with.',
    );
    expect(failed?.closeTheGap).toContain('"No stack operation slot came free within 600 seconds"');
    expect(cut?.met).toBe(false);
    expect(cut?.measured).toBe('cut at the 480 s deadline: 0 failed, 100 still running (2 burners)');
    expect(cut?.closeTheGap).toContain('raise its deadline above 480 s');
  });
});

describe('growingCalls', () => {
  it('keeps only calls whose count per tenant grows clearly', () => {
    const figures = (tenants: number, sdkCallsPerTenant: Record<string, number>) =>
      ({ tenants, sdkCallsPerTenant }) as unknown as ScaleFigures;

    expect(
      growingCalls(
        figures(10, { 'DynamoDB Query': 4, 'DynamoDB GetItem': 2 }),
        figures(1000, { 'DynamoDB Query': 9, 'DynamoDB GetItem': 2.2, 'ELBv2 CreateRule': 1 }),
      ),
    ).toEqual([
      'DynamoDB Query 4 per tenant at 10 tenants, 9 at 1000',
      'ELBv2 CreateRule 0 per tenant at 10 tenants, 1 at 1000',
    ]);
  });
});
