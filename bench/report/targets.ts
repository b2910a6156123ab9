/**
 * The targets the benchmarks are read against, checked on the figures, with the reason and the
 * way to close the gap written out for each one missed (from the measured figures, so they stay
 * true when the figures move).
 */
import { prices } from '../lib/pricing.ts';
import { median } from '../lib/stats.ts';
import { stackLoopWaits, transitionsPerLoopPass } from '../lib/wait-schedule.ts';
import type { ColdStartResult } from '../sections/cold-start.ts';
import type { CostResult, WorkflowFigures } from '../sections/cost.ts';
import type { OverheadResult } from '../sections/overhead.ts';
import { isCleanRun, type ScaleResult, type TargetCheck } from './results.ts';

/** The stack loop's waits as the schedule gives them, up to the first that repeats: "30, 45, then 60 s". */
function stackWaitsText(): string {
  const waits: number[] = [];
  for (let look = 0; look < 100 && waits.at(-1) !== stackLoopWaits(look); look += 1) waits.push(stackLoopWaits(look));
  return `${waits.slice(0, -1).join(', ')}, then ${waits.at(-1)} s`;
}

export const targets = {
  costPerOnboardingDollars: 0.001,
  overheadP95Ms: 1000,
  bundleBytes: 300 * 1024,
  loadMs: 150,
  scaleTenants: 1000,
  /** "Linear": time ≈ c·tenants^k with k at most this (1 is exactly linear). */
  linearGrowthExponent: 1.2,
} as const;

/** Dollars with enough decimals for fractions of a cent. */
export const dollars = (value: number): string => `$${value < 0.01 ? value.toFixed(6) : value.toFixed(4)}`;

/** Dollars one look of the stack loop costs: a Choice, a Wait and a Task, and the Lambda request. */
export function stackLookCost(): number {
  return transitionsPerLoopPass * prices.stepFunctionsTransition.dollars + prices.lambdaRequest.dollars;
}

/** The run's cost if its stack loop took `looks` looks (a first wait sized to the stack's typical duration). */
export function costWithLooks(run: WorkflowFigures, looks: number): number {
  const stack = run.loops.find((loop) => loop.loop === 'stack');
  if (stack === undefined || stack.looks <= looks) return run.cost.total;
  return run.cost.total - (stack.looks - looks) * stackLookCost();
}

/** One check per tier's onboarding. */
export function costTargets(cost: CostResult): TargetCheck[] {
  return cost.runs
    .filter((run) => run.workflow === 'onboarding')
    .map((run) => {
      const met = run.status === 'SUCCEEDED' && run.cost.total < targets.costPerOnboardingDollars;
      const stack = run.loops.find((loop) => loop.loop === 'stack');
      const loopShare = stack === undefined ? 0 : ((stack.looks - 1) * stackLookCost()) / run.cost.total;
      return {
        target: `cost per ${run.tier} onboarding < ${dollars(targets.costPerOnboardingDollars)}`,
        measured: `${dollars(run.cost.total)} (${dollars(run.cost.requests)} without logs and traces)`,
        met,
        ...(met
          ? {}
          : {
              why:
                stack === undefined
                  ? `${run.billedTransitions} billed transitions at ${dollars(prices.stepFunctionsTransition.dollars)} each dominate.`
                  : `Step Functions transitions dominate: the stack loop looks ${stack.looks} times over the ${stack.readySeconds} s the stack takes (waits of ${stackWaitsText()}), and each look after the first costs 3 transitions; the loop is ${(100 * loopShare).toFixed(0)}% of the cost.`,
              closeTheGap:
                stack === undefined
                  ? 'Fewer states per run (merge steps that always follow each other).'
                  : `Make the first wait of the stack loop the stack model's typical duration (plan-tenant knows the model): 2 looks instead of ${stack.looks} gives ${dollars(costWithLooks(run, 2))}. Or wait for CloudFormation's stack status event on EventBridge with a task token (.waitForTaskToken) instead of polling: one look, about the same cost.`,
            }),
      };
    });
}

/** One check per tier measured. */
export function overheadTargets(overhead: OverheadResult): TargetCheck[] {
  return overhead.tiers.map((tier) => {
    const met = tier.failed === 0 && tier.overheadMs.p95 < targets.overheadP95Ms;
    return {
      target: `orchestration overhead p95 per ${tier.tier} onboarding < ${targets.overheadP95Ms} ms`,
      measured: `p95 ${tier.overheadMs.p95.toFixed(0)} ms, p50 ${tier.overheadMs.p50.toFixed(0)} ms over ${tier.runs} runs (${tier.startMs.p50.toFixed(0)} ms p50 before the first state)`,
      met,
      ...(met
        ? {}
        : {
            why:
              tier.failed > 0
                ? `${tier.failed} of ${tier.runs} onboardings failed: ${Object.entries(tier.failures)
                    .map(([failure, count]) => `${count} × ${failure}`)
                    .join('; ')}.`
                : `${tier.startMs.p95.toFixed(0)} ms (p95) pass before the first state and ${tier.inWorkflowMs.p95.toFixed(0)} ms (p95) from the first state on; the Task states' means are in section 2.`,
            closeTheGap:
              tier.failed > 0
                ? 'Make the runs succeed first (see the failures); only then is the overhead comparable.'
                : 'Cut the largest part: the start (how the local runner loads and validates the definition) or the slowest Task state.',
          }),
    };
  });
}

/** Bundle size and import time, over all bundles. */
export function coldStartTargets(coldStart: ColdStartResult): TargetCheck[] {
  const largest = [...coldStart.bundles].sort((a, b) => b.bytes - a.bytes)[0];
  const tooSlow = coldStart.bundles.filter((bundle) => bundle.importMs >= targets.loadMs);
  const slowest = [...coldStart.bundles].sort((a, b) => b.importMs - a.importMs)[0];
  if (largest === undefined || slowest === undefined) return [];
  const sdkShare = slowest.externalsImportMs / slowest.importMs;
  const packages = Math.max(...coldStart.bundles.map((bundle) => bundle.externals.length));
  // A bundle's own part is its load minus its SDK packages'; with only the DynamoDB clients it would load in about that plus their time.
  const dynamoDbOnlyEstimate = median(
    coldStart.bundles.map(
      (bundle) => Math.max(0, bundle.importMs - bundle.externalsImportMs) + coldStart.dynamoDbOnlyImportMs,
    ),
  );
  return [
    {
      target: `every bundle < ${targets.bundleBytes / 1024} KiB`,
      measured: `largest ${largest.function} ${(largest.bytes / 1024).toFixed(0)} KiB`,
      met: largest.bytes < targets.bundleBytes,
      ...(largest.bytes < targets.bundleBytes
        ? {}
        : {
            why: `${largest.topInputs.map((input) => `${input.input} ${(input.bytes / 1024).toFixed(0)} KiB`).join(', ')}.`,
            closeTheGap: 'Drop or replace the largest dependency.',
          }),
    },
    {
      target: `every bundle loads in < ${targets.loadMs} ms (median of ${slowest.loads} fresh processes)`,
      measured: `slowest ${slowest.function} ${slowest.importMs.toFixed(0)} ms; ${tooSlow.length} of ${coldStart.bundles.length} at or over`,
      met: tooSlow.length === 0,
      ...(tooSlow.length === 0
        ? {}
        : {
            why: `The AWS SDK is most of it: every bundle imports every SDK client package (up to ${packages}), because functions/shared/aws/clients.ts imports all the clients and an external import cannot be tree-shaken; importing only those packages takes ${slowest.externalsImportMs.toFixed(0)} ms of ${slowest.function}'s ${slowest.importMs.toFixed(0)} ms (${(100 * sdkShare).toFixed(0)}%).`,
            closeTheGap: `Give each client its own module (functions/shared/clients/<service>.ts) so a bundle imports only the clients its step uses: the DynamoDB client and document client alone import in ${coldStart.dynamoDbOnlyImportMs.toFixed(0)} ms, which would bring a DynamoDB-only step to about ${dynamoDbOnlyEstimate.toFixed(0)} ms (median over the bundles of their own part plus that).`,
          }),
    },
  ];
}

/** No failures at 1,000 tenants, and linear time. */
export function scaleTargets(scale: ScaleResult): TargetCheck[] {
  const big = scale.runs.find((run) => run.tenants === targets.scaleTenants);
  if (big === undefined) return [];
  const noFailures = isCleanRun(big);
  const linear =
    scale.growthExponent !== undefined && scale.growthExponent <= targets.linearGrowthExponent && noFailures;
  const failureList = Object.entries(big.failures)
    .map(([failure, count]) => `${count} × ${failure}`)
    .join('; ');
  const retried = Object.entries(big.retries)
    .map(([retry, count]) => `${count} × ${retry}`)
    .join('; ');
  const contended = big.failedConditionalWritesPerTenant > 1;
  const clean = scale.runs.filter(isCleanRun);
  const first = clean[0];
  const last = clean.at(-1);
  const contentionTrend =
    first !== undefined &&
    last !== undefined &&
    last.failedConditionalWritesPerTenant > 2 * Math.max(first.failedConditionalWritesPerTenant, 0.5)
      ? `Route claims contend more as the burst grows: ${first.failedConditionalWritesPerTenant} refused conditional writes per tenant at ${first.tenants} tenants, ${last.failedConditionalWritesPerTenant} at ${last.tenants}.`
      : undefined;
  const timedOutCalls = Object.keys(big.failures).some((failure) => failure.endsWith(': TimeoutError'));
  const timedOutTasks = Object.keys(big.failures).some((failure) => failure.endsWith(': States.Timeout'));
  const overloaded = timedOutCalls || timedOutTasks || !big.finished;
  const contention = `Route priorities are contended: every tenant claims the lowest free priority, so concurrent claims collide (${big.failedConditionalWritesPerTenant} refused conditional writes and ${big.sdkCallsPerTenant['DynamoDB Query'] ?? 0} queries per tenant${retried === '' ? '' : `; retries: ${retried}`}).`;
  const symptoms = [
    timedOutCalls ? 'DynamoDB calls fail with the SDK\'s TimeoutError ("The operation was aborted")' : undefined,
    timedOutTasks ? 'handlers outlast the 60 s task timeout of aws-local-stepfunctions (States.Timeout)' : undefined,
    big.finished ? undefined : `executions were still running at the ${big.deadlineSeconds} s deadline`,
  ].filter((part) => part !== undefined);
  const overload = `The local runtime runs every execution in one process on two cores, against one DynamoDB (dynalite) behind one connection pool of 50 sockets; under that load ${symptoms.join(', and ')}. That says more about one process than about Lambda, where each invocation has its own sandbox${timedOutCalls ? '; but no step retries a TimeoutError, so the same error in AWS would fail the execution too' : ''}.`;
  return [
    {
      target: `${targets.scaleTenants} tenants at once with zero failures`,
      measured: big.finished
        ? `${big.succeeded} succeeded, ${big.failed} failed in ${big.seconds.toFixed(0)} s`
        : `cut at the ${big.deadlineSeconds} s deadline: ${big.succeeded} succeeded, ${big.failed} failed, ${big.unfinished} still running`,
      met: noFailures,
      ...(noFailures
        ? {}
        : {
            why: [
              failureList === '' ? undefined : `Failures: ${failureList}.`,
              contended ? contention : undefined,
              overloaded ? overload : undefined,
            ]
              .filter((part) => part !== undefined)
              .join(' '),
            closeTheGap: [
              contended
                ? 'Allocation: start each claim at a free priority picked at random (or from a hash of the tenant id) instead of the lowest, and look for orphan claims once per invocation rather than on every listener each round; collisions then stay rare and the work per tenant constant.'
                : undefined,
              'Errors: treat SDK TimeoutError (and other network errors) as TransientAwsError so the workflow retries them.',
              overloaded
                ? 'Local runtime: bound the handler invocations in flight, as a Lambda concurrency limit would, so a burst queues instead of timing out.'
                : undefined,
            ]
              .filter((part) => part !== undefined)
              .join(' '),
          }),
    },
    {
      target: `time grows linearly with tenants (growth exponent k <= ${targets.linearGrowthExponent} in time ≈ c·tenants^k)`,
      measured:
        scale.growthExponent === undefined
          ? 'not enough runs without failures to fit'
          : `k = ${scale.growthExponent.toFixed(2)} over the runs without failures (${clean.map((run) => run.tenants).join(', ')} tenants)${noFailures ? '' : `; the ${targets.scaleTenants}-tenant run had failures, so its time is not comparable`}`,
      met: linear,
      ...(linear
        ? {}
        : {
            why: [
              scale.growthExponent !== undefined && scale.growthExponent <= targets.linearGrowthExponent
                ? `Time grows linearly as far as every tenant was onboarded (${clean.at(-1)?.tenants ?? 0} tenants), but the ${targets.scaleTenants}-tenant run failed, so linearity there is not shown.`
                : 'Time grows faster than the number of tenants.',
              contentionTrend,
            ]
              .filter((part) => part !== undefined)
              .join(' '),
            closeTheGap:
              contended || contentionTrend !== undefined
                ? 'The allocation change above keeps the work per tenant independent of the burst size.'
                : 'Fix the failures above, then look for the call whose count per tenant grows with the burst.',
          }),
    },
  ];
}
