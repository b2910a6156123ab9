import { describe, expect, it } from 'vitest';
import { modelBurst } from '../../../../bench/lib/burst-model.ts';
import { lambdaMemoryMb, workflowCost } from '../../../../bench/lib/pricing.ts';
import {
  coldStartSection,
  comparisonSection,
  costSection,
  overheadSection,
  scaleSection,
  scaleUnderLoadSection,
} from '../../../../bench/report/summary-sections.ts';
import { modelScriptBurst, modelScriptRun } from '../../../../bench/sections/comparison.ts';
import { realisticDurations, type WorkflowFigures } from '../../../../bench/sections/cost.ts';
import type { OverheadResult } from '../../../../bench/sections/overhead.ts';
import type { ScaleFigures } from '../../../../bench/sections/scale.ts';

const run: WorkflowFigures = {
  tier: 'basic',
  workflow: 'onboarding',
  status: 'SUCCEEDED',
  stateEntered: 8,
  retries: 0,
  billedTransitions: 8,
  lambdaInvocations: 5,
  lambdaDurationsMs: [10, 10, 10, 10, 10],
  sdkCalls: { 'DynamoDB PutItem': 3 },
  sdkErrors: {},
  readUnits: 4,
  writeUnits: 9,
  failedConditionalWrites: 0,
  events: 2,
  simulatedSeconds: 0,
  loops: [],
  handlerLogBytes: 0,
  stepFunctionsLogBytes: 0,
  platformLogBytes: 0,
  cost: workflowCost({
    stateTransitions: 8,
    lambdaInvocations: 5,
    lambdaDurationsMs: [10, 10, 10, 10, 10],
    readRequestUnits: 4,
    writeRequestUnits: 9,
    events: 2,
  }),
};

const overhead = {
  timings: { createMs: 30, deleteMs: 30, startMs: 0, waitMs: 10 },
  tiers: [
    {
      tier: 'basic',
      runs: 60,
      failed: 0,
      failures: {},
      wallMs: { p50: 20, p95: 30 },
      waitMs: { p50: 0, p95: 0 },
      overheadMs: { p50: 16, p95: 21, mean: 17, max: 40 },
      startMs: { p50: 1, p95: 2 },
      inWorkflowMs: { p50: 15, p95: 19 },
      meanTaskMs: { AcceptRequest: 3 },
      baselineMs: { p50: 1.5 },
      overheadRatio: { p50: 11, p95: 14 },
    },
    {
      tier: 'premium',
      runs: 60,
      failed: 0,
      failures: {},
      wallMs: { p50: 30, p95: 40 },
      waitMs: { p50: 0, p95: 0 },
      overheadMs: { p50: 23, p95: 37, mean: 25, max: 50 },
      startMs: { p50: 1, p95: 2 },
      inWorkflowMs: { p50: 22, p95: 35 },
      meanTaskMs: { AcceptRequest: 3 },
      baselineMs: { p50: 1.5 },
      overheadRatio: { p50: 11, p95: 14 },
    },
  ],
} as unknown as OverheadResult;

describe('costSection', () => {
  it("labels dollars as counts × list prices and names the construct's memory", () => {
    const text = costSection({ durations: realisticDurations, runs: [run] });

    expect(text).toContain('Total (local counts × list prices)');
    expect(text).toContain(`priced at ${lambdaMemoryMb} MB, the memory the CDK construct gives every function`);
  });
});

describe('comparisonSection', () => {
  const comparison = {
    script: [modelScriptRun('basic', 'onboarding', 0)],
    scriptBurst: modelScriptBurst(1000, 300),
    orchestratorBurst: modelBurst({ siloTenants: 667, slots: 20, stackSeconds: 300, transitionsPerLook: 3 }),
  };

  it('does not call the cost column measured', () => {
    const text = comparisonSection(comparison, { durations: realisticDurations, runs: [run] }, overhead);

    expect(text).toContain('This orchestrator (local counts × list prices)');
    expect(text).not.toContain('(measured)');
  });

  it("states this run's overhead instead of a fixed claim", () => {
    expect(comparisonSection(comparison, undefined, overhead)).toContain(
      'was at most 37 ms (p95) on the local runtime',
    );
    expect(comparisonSection(comparison, undefined, undefined)).toContain('was not measured in this run');
  });
});

describe('overheadSection', () => {
  it('gives no fixed duration for what the run did not measure', () => {
    expect(overheadSection(overhead)).not.toContain('about 100 ms');
  });

  it('reports the overhead as a ratio to the baseline measured in the same run', () => {
    expect(overheadSection(overhead)).toContain('| 11 / 14 (round trip 1.5 ms) |');
  });
});

describe('coldStartSection', () => {
  it('reports each import as a ratio to the baseline measured in the same run', () => {
    const text = coldStartSection({
      nodeVersion: 'v24',
      baselineModules: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'],
      dynamoDbOnlyImportMs: 70,
      bundles: [
        {
          function: 'plan-tenant',
          bytes: 140 * 1024,
          sourceMapBytes: 400 * 1024,
          topInputs: [],
          importMs: 120,
          importMsWithoutSourceMaps: 100,
          externals: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'],
          externalsImportMs: 70,
          sinceProcessStartMs: 160,
          baselineImportMs: 72,
          importRatio: 1.66,
          loads: 10,
        },
      ],
    });

    expect(text).toContain('| × baseline |');
    expect(text).toContain('| 1.66× | 72 ms |');
    expect(text).toContain('on this machine');
  });
});

describe('scaleUnderLoadSection', () => {
  const underLoad = {
    tenants: 1000,
    failed: 0,
    seconds: 250.4,
    unfinished: 0,
    finished: true,
    deadlineSeconds: 480,
    cpuBurners: 2,
    failures: {},
    failureCauses: {},
  };

  it('says from the figures what the load did: the time, against the unloaded run when there is one, and no failures', () => {
    const unloaded = { tenants: 1000, seconds: 100.2, finished: true, failed: 0, unfinished: 0, failures: {} };

    const text = scaleUnderLoadSection(underLoad, { runs: [unloaded as never] });

    expect(text).toContain('with 2 CPU-burning processes beside it (one per core)');
    expect(text).toContain('every execution ended after 250.4 s (2.5× the 100.2 s of the same burst without the load)');
    expect(text).toContain('1000 succeeded, 0 failed. The load slowed the burst down and failed none of it.');
  });

  it('lists the failures with their first cause', () => {
    const text = scaleUnderLoadSection(
      {
        ...underLoad,
        failed: 3,
        failures: { 'ActivateTenant: Sandbox.Timedout': 3 },
        failureCauses: { 'ActivateTenant: Sandbox.Timedout': 'Task timed out after 20.00 seconds' },
      },
      undefined,
    );

    expect(text).toContain('997 succeeded, 3 failed. No unloaded run of the same size to compare these failures with.');
    expect(text).toContain('- 3 × ActivateTenant: Sandbox.Timedout ("Task timed out after 20.00 seconds")');
    expect(text).not.toContain('without the load');
  });

  it('tells failures the unloaded run of the same size had as well from failures the load added', () => {
    const failures = { 'CheckTenantStacks: StackTimeout': 426 };
    const loaded = { ...underLoad, seconds: 358.6, failed: 426, failures, failureCauses: {} };
    const unloaded = (count: number) =>
      ({
        tenants: 1000,
        seconds: 138.6,
        finished: true,
        failed: count,
        unfinished: 0,
        failures: { 'CheckTenantStacks: StackTimeout': count },
      }) as never;

    const same = scaleUnderLoadSection(loaded, { runs: [unloaded(426)] });
    const more = scaleUnderLoadSection(loaded, { runs: [unloaded(400)] });

    expect(same).toContain('(2.6× the 138.6 s of the same burst without the load)');
    expect(same).toContain(
      'Without the load the same burst failed as much (426 × CheckTenantStacks: StackTimeout): the load added no failure.',
    );
    expect(more).toContain(
      'The load added failures beyond those of the same burst without it: 26 × CheckTenantStacks: StackTimeout.',
    );
    expect(more).not.toContain('× the 138.6 s');
  });
});

describe('scaleSection', () => {
  const scaleRun = (tenants: number, seconds: number, baselineRoundTripMs?: number): ScaleFigures => ({
    tenants,
    timings: { createMs: 20, deleteMs: 20, startMs: 0, waitMs: 10 },
    routeListeners: { count: 11, capacity: 99 },
    seconds,
    deadlineSeconds: 120,
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
    sdkCallsPerTenant: {},
    failedConditionalWritesPerTenant: 0,
    sdkErrors: {},
    ...(baselineRoundTripMs === undefined ? {} : { baselineRoundTripMs }),
  });

  it("gives each run's time per tenant in round trips of its own baseline, and a dash without one", () => {
    const text = scaleSection({
      runs: [scaleRun(10, 2, 2), scaleRun(100, 12.5, 2.5), scaleRun(300, 30)],
      growthExponent: 0.9,
      growthExponentInRoundTrips: 0.85,
      fit: { slope: 0.1, intercept: 1, r2: 0.99 },
    });

    expect(text).toContain('Per tenant, in DynamoDB round trips');
    // 2 s over 10 tenants is 200 ms per tenant, 100 round trips of 2 ms.
    expect(text).toMatch(/\| 10 \| 2\.0 s \|.*\| 100\.0 \(2\.00 ms\) \|/);
    expect(text).toMatch(/\| 100 \| 12\.5 s \|.*\| 50\.0 \(2\.50 ms\) \|/);
    expect(text).toMatch(/\| 300 \| 30\.0 s \|.*\| — \|/);
    expect(text).toContain('k = 0.90 on seconds, 0.85 on time in round trips');
  });
});
