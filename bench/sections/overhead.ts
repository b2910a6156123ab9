/**
 * Section 2, orchestration overhead per onboarding on the local runtime: the wall time of a whole
 * onboarding (request on the bus to reply) minus the time its waiting (Await) states lasted, which is where
 * the simulated cloud time goes (the stacks complete and the services start while the workflow
 * waits). What remains is the orchestrator's own work: the state machine interpreter, the real
 * handlers, their DynamoDB calls over HTTP and the simulated AWS answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalRuntime } from '../../local/runtime/runtime.ts';
import { ExecutionObserver, stateCatalog } from '../lib/observer.ts';
import { newTenant, onboardingRequest, type BenchTier } from '../lib/requests.ts';
import { dynamoDbRoundTripMs } from '../lib/round-trip.ts';
import { mean, percentile } from '../lib/stats.ts';

/** Simulated durations: short, so a run is quick, but every loop still waits at least once. */
export const overheadTimings = { createMs: 30, deleteMs: 30, startMs: 0, waitMs: 10 } as const;

export const overheadTiers: readonly BenchTier[] = ['basic', 'premium'];

/** Two listeners: every tenant onboarded here keeps its listener rule, more than one listener's quota. */
export const overheadRouteListeners = { count: 2, capacity: 99 } as const;

/** Onboardings per tier run before measuring, so module loading (cold starts) is not counted. */
const warmUpRuns = 3;

export interface OverheadFigures {
  readonly tier: BenchTier;
  readonly runs: number;
  readonly failed: number;
  /** Failed onboardings by `State: Error`. */
  readonly failures: Readonly<Record<string, number>>;
  /** Milliseconds per onboarding. */
  readonly wallMs: { readonly p50: number; readonly p95: number };
  readonly waitMs: { readonly p50: number; readonly p95: number };
  readonly overheadMs: { readonly p50: number; readonly p95: number; readonly mean: number; readonly max: number };
  /**
   * The part of the overhead before the first state runs: the local runner loads and validates the
   * definition for every execution (aws-local-stepfunctions), which Step Functions does not do per run.
   */
  readonly startMs: { readonly p50: number; readonly p95: number };
  /** The overhead from the first state on: handlers, DynamoDB, the interpreter between states. */
  readonly inWorkflowMs: { readonly p50: number; readonly p95: number };
  /** Mean wall milliseconds per Task state, per onboarding: where the overhead goes. */
  readonly meanTaskMs: Readonly<Record<string, number>>;
  readonly samplesMs: readonly number[];
  /** Median milliseconds of the baseline (bench/lib/round-trip.ts, five round trips) taken after each onboarding. */
  readonly baselineMs: { readonly p50: number };
  /**
   * Each onboarding's overhead over the baseline taken right after it: the overhead in DynamoDB
   * round trips of this process. Milliseconds move with the machine's load; this ratio much less.
   */
  readonly overheadRatio: { readonly p50: number; readonly p95: number };
}

export interface OverheadResult {
  readonly timings: typeof overheadTimings;
  readonly tiers: readonly OverheadFigures[];
}

const round = (value: number) => Number(value.toFixed(2));

/** Onboards `runs` tenants per tier one at a time and measures the overhead of each. */
export async function runOverheadSection(options: {
  readonly runs: number;
  readonly log?: (line: string) => void;
}): Promise<OverheadResult> {
  const observer = new ExecutionObserver(stateCatalog());
  const directory = mkdtempSync(join(tmpdir(), 'bench-overhead-'));
  const runtime = await openLocalRuntime({
    stateDirectory: directory,
    timings: overheadTimings,
    routeListeners: overheadRouteListeners,
    onEvent: observer.onEvent,
  });
  const tiers: OverheadFigures[] = [];
  try {
    for (const tier of overheadTiers) {
      for (let run = 0; run < warmUpRuns; run += 1)
        await runtime.send(onboardingRequest(newTenant(tier, `warm-up-${run}`)), { wait: true });
      const wall: number[] = [];
      const waits: number[] = [];
      const overheads: number[] = [];
      const starts: number[] = [];
      const baselines: number[] = [];
      const ratios: number[] = [];
      const taskTotals: Record<string, number> = {};
      let failed = 0;
      const failures: Record<string, number> = {};
      for (let run = 0; run < options.runs; run += 1) {
        const started = performance.now();
        const sent = await runtime.send(onboardingRequest(newTenant(tier, `overhead-${run}`)), { wait: true });
        const elapsed = performance.now() - started;
        const arn = sent.execution?.executionArn ?? '';
        if (sent.execution?.status !== 'SUCCEEDED') {
          failed += 1;
          const key = `${sent.execution?.failedState ?? '?'}: ${sent.execution?.error ?? 'not started'}`;
          failures[key] = (failures[key] ?? 0) + 1;
        }
        const observed = observer.execution(arn);
        const baseline = await dynamoDbRoundTripMs(5);
        baselines.push(baseline);
        ratios.push((elapsed - observed.waitMs) / baseline);
        wall.push(elapsed);
        waits.push(observed.waitMs);
        overheads.push(elapsed - observed.waitMs);
        starts.push((observed.firstStateAt ?? started) - started);
        for (const task of observed.tasks) taskTotals[task.state] = (taskTotals[task.state] ?? 0) + task.ms;
        observer.forget(arn);
      }
      const summary = (values: number[]) => ({
        p50: round(percentile(values, 50)),
        p95: round(percentile(values, 95)),
      });
      tiers.push({
        tier,
        runs: options.runs,
        failed,
        failures,
        wallMs: summary(wall),
        waitMs: summary(waits),
        overheadMs: { ...summary(overheads), mean: round(mean(overheads)), max: round(Math.max(...overheads)) },
        startMs: summary(starts),
        inWorkflowMs: summary(overheads.map((overhead, index) => overhead - starts[index]!)),
        meanTaskMs: Object.fromEntries(
          Object.entries(taskTotals).map(([state, total]) => [state, round(total / options.runs)]),
        ),
        samplesMs: overheads.map(round),
        baselineMs: { p50: round(percentile(baselines, 50)) },
        overheadRatio: summary(ratios),
      });
      options.log?.(
        `overhead: ${tier} p50 ${percentile(overheads, 50).toFixed(1)} ms, p95 ${percentile(overheads, 95).toFixed(1)} ms, p50 ${percentile(ratios, 50).toFixed(1)}× a DynamoDB round trip`,
      );
    }
  } finally {
    await runtime.close();
    rmSync(directory, { recursive: true, force: true });
  }
  return { timings: overheadTimings, tiers };
}
