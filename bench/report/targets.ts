/**
 * The targets the benchmarks are read against, checked on the figures. For each one missed, the
 * reason and the way to close the gap are written from this run's figures alone (no fixed text
 * about how the code works, which would go stale when the code changes).
 */
import { prices } from '../lib/pricing.ts';
import type { ColdStartResult } from '../sections/cold-start.ts';
import type { CostResult, LoopFigures, WorkflowFigures } from '../sections/cost.ts';
import type { OverheadResult } from '../sections/overhead.ts';
import type { ScaleFigures } from '../sections/scale.ts';
import { isCleanRun, type ScaleResult, type ScaleUnderLoad, type TargetCheck } from './results.ts';

export const targets = {
  costPerOnboardingDollars: 0.001,
  /** Issue 13: what a premium onboarding may cost once its waits are resumed by events. */
  costPerPremiumOnboardingDollars: 0.00045,
  /** Issue 13: billed transitions per premium onboarding (checked in bench/report/time-to-ready.ts). */
  premiumTransitions: 15,
  overheadP95Ms: 1000,
  bundleBytes: 300 * 1024,
  /**
   * A bundle's import over the import of the SDK's DynamoDB clients alone, which every function
   * needs: a ratio, because milliseconds move with the machine's load and the ratio barely does.
   */
  importRatio: 2.5,
  scaleTenants: 1000,
  /** "Linear": time ≈ c·tenants^k with k at most this (1 is exactly linear). */
  linearGrowthExponent: 1.2,
} as const;

/** Dollars with enough decimals for fractions of a cent. */
export const dollars = (value: number): string => `$${value < 0.01 ? value.toFixed(6) : value.toFixed(4)}`;

/** What the dollar figures are: the local run's counts priced at list prices, not a measured bill. */
export const costBasis = 'local counts × list prices';

const percent = (part: number, whole: number) => `${whole > 0 ? ((100 * part) / whole).toFixed(0) : '0'}%`;

/** Dollars one look after the first cost in this run: its billed transitions (counted in the run) and the Lambda request. */
export function extraLookCost(loop: LoopFigures): number | undefined {
  if (loop.transitionsPerExtraLook === undefined) return undefined;
  return loop.transitionsPerExtraLook * prices.stepFunctionsTransition.dollars + prices.lambdaRequest.dollars;
}

/** The run's cost if its stack loop had taken `looks` looks instead of the ones it took (as it is when the run cannot say). */
export function costWithLooks(run: WorkflowFigures, looks: number): number {
  const stack = run.loops.find((loop) => loop.loop === 'stack');
  const perLook = stack === undefined ? undefined : extraLookCost(stack);
  if (stack === undefined || perLook === undefined || stack.looks <= looks) return run.cost.total;
  return run.cost.total - (stack.looks - looks) * perLook;
}

/** The run's cost with `transitions` billed transitions instead of the ones it took. */
export function costWithTransitions(run: WorkflowFigures, transitions: number): number {
  return run.cost.total - (run.billedTransitions - transitions) * prices.stepFunctionsTransition.dollars;
}

/** The lines of a run's bill, largest first. */
function costLines(run: WorkflowFigures): { line: string; dollars: number }[] {
  const { cost } = run;
  return [
    { line: `Step Functions (${run.billedTransitions} billed transitions)`, dollars: cost.stepFunctions },
    { line: `Lambda requests (${run.lambdaInvocations})`, dollars: cost.lambdaRequests },
    { line: 'Lambda duration', dollars: cost.lambdaDuration },
    { line: `DynamoDB (${run.readUnits} RRU, ${run.writeUnits} WRU)`, dollars: cost.dynamoDb },
    { line: `EventBridge (${run.events} events)`, dollars: cost.eventBridge },
    { line: 'CloudWatch Logs', dollars: cost.logs },
    { line: 'X-Ray', dollars: cost.traces },
  ].sort((a, b) => b.dollars - a.dollars);
}

/** Why a run costs what it does: its status, largest line and stack loop, from its figures. */
function costWhy(run: WorkflowFigures): string {
  const stack = run.loops.find((loop) => loop.loop === 'stack');
  const [largest] = costLines(run);
  const extraLooks = stack === undefined ? 0 : stack.looks - 1;
  const perLook = stack === undefined ? undefined : extraLookCost(stack);
  const loopDollars = perLook === undefined ? 0 : extraLooks * perLook;
  return [
    run.status === 'SUCCEEDED'
      ? undefined
      : `The onboarding ended ${run.status}, so its cost is not that of an onboarding.`,
    largest === undefined
      ? undefined
      : `The largest line is ${largest.line}: ${dollars(largest.dollars)}, ${percent(largest.dollars, run.cost.total)} of the total.`,
    stack === undefined || extraLooks === 0 || perLook === undefined
      ? undefined
      : `The stack loop looked ${stack.looks} times over the ${stack.readySeconds} s the stack took (waits of ${stack.waitSeconds.join(', ')} s); its ${extraLooks} looks after the first cost ${dollars(loopDollars)} (${Number(stack.transitionsPerExtraLook?.toFixed(2))} transitions and a Lambda request each, counted in this run), ${percent(loopDollars, run.cost.total)} of the total.`,
  ]
    .filter((part) => part !== undefined)
    .join(' ');
}

/** How a run could meet `limit`, from its figures: with one look at the stack, or by lowering its largest line. */
function costCloseTheGap(run: WorkflowFigures, limit: number): string {
  const stack = run.loops.find((loop) => loop.loop === 'stack');
  const [largest] = costLines(run);
  const oneLook = costWithLooks(run, 1);
  if (stack !== undefined && stack.looks > 1 && oneLook < run.cost.total)
    return `With one look at the stack the run would cost ${dollars(oneLook)}, which ${oneLook < limit ? 'meets' : 'still misses'} the target.`;
  return largest === undefined ? '' : `Lower the largest line, ${largest.line}.`;
}

/** One check per tier's onboarding against the general limit, and the premium onboarding against its own. */
export function costTargets(cost: CostResult): TargetCheck[] {
  const onboardings = cost.runs.filter((run) => run.workflow === 'onboarding');
  const perTier = onboardings.map((run): TargetCheck => {
    const met = run.status === 'SUCCEEDED' && run.cost.total < targets.costPerOnboardingDollars;
    return {
      target: `cost per ${run.tier} onboarding < ${dollars(targets.costPerOnboardingDollars)} (${costBasis})`,
      measured: `${dollars(run.cost.total)} (${dollars(run.cost.requests)} without logs and traces)`,
      met,
      ...(met ? {} : { why: costWhy(run), closeTheGap: costCloseTheGap(run, targets.costPerOnboardingDollars) }),
    };
  });
  const premium = onboardings.find((run) => run.tier === 'premium');
  if (premium === undefined) return perTier;
  const limit = targets.costPerPremiumOnboardingDollars;
  const met = premium.status === 'SUCCEEDED' && premium.cost.total < limit;
  const fewer = targets.premiumTransitions;
  const atFewer = costWithTransitions(premium, fewer);
  return [
    ...perTier,
    {
      target: `cost per premium onboarding < ${dollars(limit)} (${costBasis})`,
      measured: `${dollars(premium.cost.total)} (${premium.billedTransitions} billed transitions)`,
      met,
      ...(met
        ? {}
        : {
            why: costWhy(premium),
            closeTheGap:
              premium.billedTransitions > fewer
                ? `At ${fewer} billed transitions (the transitions target) instead of ${premium.billedTransitions}, the run would cost ${dollars(atFewer)}, which ${atFewer < limit ? 'meets' : 'still misses'} the target.`
                : costCloseTheGap(premium, limit),
          }),
    },
  ];
}

/** One check per tier measured. */
export function overheadTargets(overhead: OverheadResult): TargetCheck[] {
  return overhead.tiers.map((tier) => {
    const met = tier.failed === 0 && tier.overheadMs.p95 < targets.overheadP95Ms;
    const [slowestState, slowestMs] = Object.entries(tier.meanTaskMs).sort((a, b) => b[1] - a[1])[0] ?? [];
    const startLarger = tier.startMs.p95 > tier.inWorkflowMs.p95;
    const slowestText =
      slowestState === undefined
        ? ''
        : `; the slowest Task state is ${slowestState}, ${slowestMs?.toFixed(0)} ms on average`;
    return {
      target: `orchestration overhead p95 per ${tier.tier} onboarding < ${targets.overheadP95Ms} ms (local runtime)`,
      measured: `p95 ${tier.overheadMs.p95.toFixed(0)} ms, p50 ${tier.overheadMs.p50.toFixed(0)} ms over ${tier.runs} runs (${tier.startMs.p50.toFixed(0)} ms p50 before the first state); p95 ${tier.overheadRatio.p95.toFixed(0)}× a DynamoDB round trip measured beside it`,
      met,
      ...(met
        ? {}
        : {
            why:
              tier.failed > 0
                ? `${tier.failed} of ${tier.runs} onboardings failed: ${Object.entries(tier.failures)
                    .map(([failure, count]) => `${count} × ${failure}`)
                    .join('; ')}.`
                : `${tier.startMs.p95.toFixed(0)} ms (p95) pass before the first state and ${tier.inWorkflowMs.p95.toFixed(0)} ms (p95) from the first state on${slowestText}.`,
            closeTheGap:
              tier.failed > 0
                ? 'Make the runs succeed first (see the failures); only then is the overhead comparable.'
                : startLarger
                  ? `Start with the time before the first state (${tier.startMs.p95.toFixed(0)} ms p95), the larger part.`
                  : `Start with the time from the first state on (${tier.inWorkflowMs.p95.toFixed(0)} ms p95), the larger part${slowestState === undefined ? '' : `, and its slowest Task state, ${slowestState}`}.`,
          }),
    };
  });
}

/** Bundle size, and import time as a ratio to the SDK's DynamoDB clients imported alone in the same run. */
export function coldStartTargets(coldStart: ColdStartResult): TargetCheck[] {
  const largest = [...coldStart.bundles].sort((a, b) => b.bytes - a.bytes)[0];
  const tooSlow = coldStart.bundles.filter((bundle) => bundle.importRatio >= targets.importRatio);
  const slowest = [...coldStart.bundles].sort((a, b) => b.importRatio - a.importRatio)[0];
  if (largest === undefined || slowest === undefined) return [];
  const baseline = new Set(coldStart.baselineModules);
  const extraPackages = slowest.externals.filter((name) => !baseline.has(name));
  const sdkShare = slowest.externalsImportMs / slowest.importMs;
  const ownMs = Math.max(0, slowest.importMs - slowest.externalsImportMs);
  const sourceMapsMs = Math.max(0, slowest.importMs - slowest.importMsWithoutSourceMaps);
  const [topInput] = largest.topInputs;
  return [
    {
      target: `every bundle < ${targets.bundleBytes / 1024} KiB`,
      measured: `largest ${largest.function} ${(largest.bytes / 1024).toFixed(0)} KiB`,
      met: largest.bytes < targets.bundleBytes,
      ...(largest.bytes < targets.bundleBytes
        ? {}
        : {
            why: `Its largest inputs: ${largest.topInputs.map((input) => `${input.input} ${(input.bytes / 1024).toFixed(0)} KiB`).join(', ')}.`,
            closeTheGap:
              topInput === undefined
                ? ''
                : `Start with ${topInput.input}, ${percent(topInput.bytes, largest.bytes)} of the bundle.`,
          }),
    },
    {
      target: `every bundle imports in < ${targets.importRatio}× the time of the SDK's DynamoDB clients alone (median of ${slowest.loads} paired fresh-process loads on this machine)`,
      measured: `slowest ${slowest.function} ${slowest.importRatio.toFixed(2)}× (${slowest.importMs.toFixed(0)} ms against ${slowest.baselineImportMs.toFixed(0)} ms); ${tooSlow.length} of ${coldStart.bundles.length} at or over`,
      met: tooSlow.length === 0,
      ...(tooSlow.length === 0
        ? {}
        : {
            why: `${slowest.function} imports ${slowest.externals.length} SDK packages (${slowest.externals.join(', ')}); importing only those takes ${slowest.externalsImportMs.toFixed(0)} ms of its ${slowest.importMs.toFixed(0)} ms (${(100 * sdkShare).toFixed(0)}%), its own code about ${ownMs.toFixed(0)} ms, and source maps add ${sourceMapsMs.toFixed(0)} ms.`,
            closeTheGap:
              sdkShare >= 0.5
                ? extraPackages.length === 0
                  ? `The SDK's DynamoDB clients are most of it; ${slowest.function} imports nothing beyond them, so its own code (${ownMs.toFixed(0)} ms) is what is left to cut.`
                  : `The SDK packages are most of it: ${slowest.function} imports ${extraPackages.join(', ')} beyond the baseline.`
                : `Its own code is most of it: ${slowest.topInputs.map((input) => `${input.input} ${(input.bytes / 1024).toFixed(0)} KiB`).join(', ')}.`,
          }),
    },
  ];
}

/** The calls per tenant that grew the most from the smaller run to the larger one. */
export function growingCalls(smaller: ScaleFigures, larger: ScaleFigures, count = 2): string[] {
  return Object.entries(larger.sdkCallsPerTenant)
    .map(([call, perTenant]) => ({ call, from: smaller.sdkCallsPerTenant[call] ?? 0, to: perTenant }))
    .filter((entry) => entry.to > entry.from * 1.5 && entry.to - entry.from >= 0.5)
    .sort((a, b) => b.to - b.from - (a.to - a.from))
    .slice(0, count)
    .map(
      (entry) =>
        `${entry.call} ${entry.from} per tenant at ${smaller.tenants} tenants, ${entry.to} at ${larger.tenants}`,
    );
}

/** No failures at 1,000 tenants, and linear time, on the local runtime. */
export function scaleTargets(scale: ScaleResult): TargetCheck[] {
  const big = scale.runs.find((run) => run.tenants === targets.scaleTenants);
  if (big === undefined) return [];
  const noFailures = isCleanRun(big);
  // Judged on time in round trips of each run's own process when every run has that baseline: seconds move with load.
  const k = scale.growthExponentInRoundTrips ?? scale.growthExponent;
  const kBasis =
    scale.growthExponentInRoundTrips === undefined
      ? 'on seconds (no baseline in these runs)'
      : `on time in DynamoDB round trips timed before each run; on seconds k = ${scale.growthExponent?.toFixed(2)}`;
  const linear = k !== undefined && k <= targets.linearGrowthExponent && noFailures;
  const failureEntries = Object.entries(big.failures).sort((a, b) => b[1] - a[1]);
  const failureList = failureEntries.map(([failure, count]) => `${count} × ${failure}`).join('; ');
  const retried = Object.entries(big.retries)
    .map(([retry, count]) => `${count} × ${retry}`)
    .join('; ');
  const clean = scale.runs.filter(isCleanRun);
  const smallest = scale.runs[0];
  const first = clean[0];
  const last = clean.at(-1);
  const contentionTrend =
    first !== undefined &&
    last !== undefined &&
    last.failedConditionalWritesPerTenant > 2 * Math.max(first.failedConditionalWritesPerTenant, 0.5)
      ? `Refused conditional writes grow with the burst: ${first.failedConditionalWritesPerTenant} per tenant at ${first.tenants} tenants, ${last.failedConditionalWritesPerTenant} at ${last.tenants}.`
      : undefined;
  const growing = smallest !== undefined && smallest !== big ? growingCalls(smallest, big) : [];
  const growingText =
    growing.length === 0 ? undefined : `Calls per tenant that grow with the burst: ${growing.join('; ')}.`;
  const [topFailure, topCount] = failureEntries[0] ?? [];
  const topCause = topFailure === undefined ? undefined : big.failureCauses[topFailure];
  return [
    {
      target: `${targets.scaleTenants} tenants at once with zero failures (local runtime)`,
      measured: big.finished
        ? `${big.succeeded} succeeded, ${big.failed} failed in ${big.seconds.toFixed(0)} s`
        : `cut at the ${big.deadlineSeconds} s deadline: ${big.succeeded} succeeded, ${big.failed} failed, ${big.unfinished} still running`,
      met: noFailures,
      ...(noFailures
        ? {}
        : {
            why: [
              failureList === '' ? undefined : `Failures: ${failureList}.`,
              big.finished
                ? undefined
                : `${big.unfinished} executions were still running at the ${big.deadlineSeconds} s deadline.`,
              big.failedConditionalWritesPerTenant > 1
                ? `${big.failedConditionalWritesPerTenant} refused conditional writes per tenant${retried === '' ? '' : `; retries: ${retried}`}.`
                : retried === ''
                  ? undefined
                  : `Retries: ${retried}.`,
              growingText,
            ]
              .filter((part) => part !== undefined)
              .join(' '),
            closeTheGap:
              topFailure === undefined
                ? `Let the run finish: raise the deadline above ${big.deadlineSeconds} s to see whether it ends with failures or only late.`
                : `Start with the most frequent failure, ${topFailure} (${topCount} executions)${topCause === undefined ? '' : `: "${topCause}"`}.`,
          }),
    },
    {
      target: `time grows linearly with tenants on the local runtime (growth exponent k <= ${targets.linearGrowthExponent} in time ≈ c·tenants^k)`,
      measured:
        k === undefined
          ? 'not enough runs without failures to fit'
          : `k = ${k.toFixed(2)} over the runs without failures (${clean.map((run) => run.tenants).join(', ')} tenants), ${kBasis}${noFailures ? '' : `; the ${targets.scaleTenants}-tenant run had failures, so its time is not comparable`}`,
      met: linear,
      ...(linear
        ? {}
        : {
            why: [
              k !== undefined && k <= targets.linearGrowthExponent
                ? `Time grows linearly as far as every tenant was onboarded (${clean.at(-1)?.tenants ?? 0} tenants), but the ${targets.scaleTenants}-tenant run did not onboard every tenant, so linearity there is not shown.`
                : 'Time grows faster than the number of tenants.',
              contentionTrend,
              growingText,
            ]
              .filter((part) => part !== undefined)
              .join(' '),
            closeTheGap: noFailures
              ? growing.length === 0
                ? 'No call per tenant grows with the burst; look at the time per call instead (the local runtime shares one process among every execution).'
                : 'Find why those calls per tenant grow with the burst: the work per tenant should not depend on it.'
              : 'Onboard every tenant of the largest run first (see the failures above); only then is its time comparable.',
          }),
    },
  ];
}

/** The loaded burst against the unloaded run of the same size in this run, when there is one. */
export interface LoadComparison {
  readonly baseline?: ScaleFigures;
  /** Failures the loaded run had beyond the unloaded one's, by `State: Error` (all of them without a baseline). */
  readonly addedFailures: Readonly<Record<string, number>>;
  /** Both runs ended before their deadline with the same failures, so their times compare. */
  readonly timeComparable: boolean;
}

export function compareWithUnloaded(underLoad: ScaleUnderLoad, scale: ScaleResult | undefined): LoadComparison {
  const baseline = scale?.runs.find((candidate) => candidate.tenants === underLoad.tenants);
  const addedFailures = Object.fromEntries(
    Object.entries(underLoad.failures)
      .map(([failure, count]) => [failure, count - (baseline?.failures[failure] ?? 0)] as const)
      .filter(([, added]) => added > 0),
  );
  const sameFailures =
    baseline !== undefined &&
    JSON.stringify(Object.entries(baseline.failures).sort()) ===
      JSON.stringify(Object.entries(underLoad.failures).sort());
  return {
    ...(baseline !== undefined ? { baseline } : {}),
    addedFailures,
    timeComparable:
      baseline !== undefined && sameFailures && baseline.finished && underLoad.finished && underLoad.unfinished === 0,
  };
}

const failureCounts = (failures: Readonly<Record<string, number>>) =>
  Object.entries(failures)
    .sort((a, b) => b[1] - a[1])
    .map(([failure, count]) => `${count} × ${failure}`)
    .join('; ');

/** What the load changed, from the two runs' failures: one sentence, or undefined when nothing failed. */
export function loadFailureVerdict(underLoad: ScaleUnderLoad, comparison: LoadComparison): string | undefined {
  if (underLoad.failed === 0) return undefined;
  const { baseline, addedFailures } = comparison;
  if (baseline === undefined) return 'No unloaded run of the same size to compare these failures with.';
  if (Object.keys(addedFailures).length === 0)
    return `Without the load the same burst failed as much (${failureCounts(baseline.failures)}): the load added no failure.`;
  return `The load added failures beyond those of the same burst without it: ${failureCounts(addedFailures)}.`;
}

/** Load should slow a burst down, never fail it. */
export function scaleUnderLoadTargets(underLoad: ScaleUnderLoad, scale: ScaleResult | undefined): TargetCheck[] {
  const met = underLoad.finished && underLoad.failed === 0 && underLoad.unfinished === 0;
  const comparison = compareWithUnloaded(underLoad, scale);
  const baseline = comparison.baseline;
  const slower =
    baseline === undefined || !comparison.timeComparable
      ? ''
      : `, ${(underLoad.seconds / baseline.seconds).toFixed(1)}× the unloaded run's ${baseline.seconds.toFixed(0)} s`;
  const failureEntries = Object.entries(underLoad.failures).sort((a, b) => b[1] - a[1]);
  const [topFailure, topCount] = failureEntries[0] ?? [];
  const topCause = topFailure === undefined ? undefined : underLoad.failureCauses[topFailure];
  return [
    {
      target: `${underLoad.tenants} tenants at once beside one CPU-burning process per core, with zero failures (local runtime)`,
      measured: underLoad.finished
        ? `${underLoad.failed} failed in ${underLoad.seconds.toFixed(0)} s${slower} (${underLoad.cpuBurners} burners)`
        : `cut at the ${underLoad.deadlineSeconds} s deadline: ${underLoad.failed} failed, ${underLoad.unfinished} still running (${underLoad.cpuBurners} burners)`,
      met,
      ...(met
        ? {}
        : {
            why: [
              failureEntries.length === 0 ? undefined : `Failures: ${failureCounts(underLoad.failures)}.`,
              loadFailureVerdict(underLoad, comparison),
              underLoad.finished
                ? undefined
                : `${underLoad.unfinished} executions were still running at the ${underLoad.deadlineSeconds} s deadline.`,
            ]
              .filter((part) => part !== undefined)
              .join(' '),
            closeTheGap:
              topFailure === undefined
                ? `Let the run finish: raise its deadline above ${underLoad.deadlineSeconds} s to see whether it ends with failures or only late.`
                : `Start with the most frequent failure under load, ${topFailure} (${topCount} executions)${topCause === undefined ? '' : `: "${topCause}"`}.`,
          }),
    },
  ];
}
