/**
 * The shape of bench/results/latest.json: every section's figures, the comparison model and the
 * target checks, as one document the summary and the headline table are written from.
 */
import type { TimeToReadyResult } from '../sections/time-to-ready.ts';
import type { TimeToReadyOutput } from './time-to-ready.ts';
import type { BurstOutcome } from '../lib/burst-model.ts';
import type { Price } from '../lib/pricing.ts';
import { growthExponent, linearFit, type LinearFit } from '../lib/stats.ts';
import type { ColdStartResult } from '../sections/cold-start.ts';
import type { BurstModel, ScriptRunModel } from '../sections/comparison.ts';
import type { CostResult } from '../sections/cost.ts';
import type { OverheadResult } from '../sections/overhead.ts';
import type { ScaleFigures } from '../sections/scale.ts';

export interface ScaleResult {
  readonly runs: readonly ScaleFigures[];
  /** Seconds against tenants over the clean runs (needs two). */
  readonly fit?: LinearFit;
  /** k of time ≈ c·tenants^k over the clean runs: 1 is linear. */
  readonly growthExponent?: number;
  /**
   * The same k with each run's time in DynamoDB round trips timed in its own process just before
   * it (`baselineRoundTripMs`), so a run slowed by the machine's load bends the fit less. Set when
   * every clean run has a baseline.
   */
  readonly growthExponentInRoundTrips?: number;
}

/** Fits time against tenants over the clean runs: a run with failures ended early and says nothing about the time of N onboardings. */
export function scaleResult(runs: readonly ScaleFigures[]): ScaleResult {
  const clean = runs.filter(isCleanRun);
  if (clean.length < 2) return { runs };
  const points = clean.map((run) => ({ x: run.tenants, y: run.seconds }));
  const baselined = clean.every((run) => run.baselineRoundTripMs !== undefined && run.baselineRoundTripMs > 0);
  return {
    runs,
    fit: linearFit(points),
    growthExponent: growthExponent(points),
    ...(baselined
      ? {
          growthExponentInRoundTrips: growthExponent(
            clean.map((run) => ({ x: run.tenants, y: (1000 * run.seconds) / run.baselineRoundTripMs! })),
          ),
        }
      : {}),
  };
}

/**
 * A run's time per tenant in DynamoDB round trips of the same process: milliseconds per tenant
 * over the baseline. Undefined without a baseline.
 */
export function roundTripsPerTenant(
  run: Pick<ScaleFigures, 'seconds' | 'tenants' | 'baselineRoundTripMs'>,
): number | undefined {
  if (run.baselineRoundTripMs === undefined || !(run.baselineRoundTripMs > 0)) return undefined;
  return (1000 * run.seconds) / run.tenants / run.baselineRoundTripMs;
}

/** A run that ended before its deadline with every tenant onboarded. */
export function isCleanRun(run: ScaleFigures): boolean {
  return run.finished && run.failed === 0 && run.unfinished === 0;
}

/**
 * The largest burst run once more beside one CPU-burning process per core (`npm run bench`, full
 * runs): load should slow a burst down, never fail it.
 */
export interface ScaleUnderLoad {
  readonly tenants: number;
  /** Executions that ended in failure (not counting those still running at the deadline). */
  readonly failed: number;
  /** Seconds from the first request to the end of the last execution (or to the deadline). */
  readonly seconds: number;
  readonly unfinished: number;
  readonly finished: boolean;
  readonly deadlineSeconds: number;
  /** CPU-burning processes beside the run. */
  readonly cpuBurners: number;
  /** Failures by `State: Error`, and the first cause seen for each. */
  readonly failures: Readonly<Record<string, number>>;
  readonly failureCauses: Readonly<Record<string, string>>;
}

/** The figures of a loaded scale run that latest.json keeps. */
export function scaleUnderLoad(run: ScaleFigures, cpuBurners: number): ScaleUnderLoad {
  return {
    tenants: run.tenants,
    failed: run.failed,
    seconds: run.seconds,
    unfinished: run.unfinished,
    finished: run.finished,
    deadlineSeconds: run.deadlineSeconds,
    cpuBurners,
    failures: run.failures,
    failureCauses: run.failureCauses,
  };
}

export interface ComparisonResult {
  readonly script: readonly ScriptRunModel[];
  readonly scriptBurst: BurstModel;
  /** This orchestrator's silo tenants in the same burst, at the default admission limit. */
  readonly orchestratorBurst: BurstOutcome;
}

/** One target, measured. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
  /** The run has no figure for this target (a design or section it did not measure): neither met nor missed. */
  readonly notMeasured?: boolean;
  /** When missed: why, and what would close the gap. */
  readonly why?: string;
  readonly closeTheGap?: string;
}

export interface BenchResults {
  readonly generatedAt: string;
  /** `full` runs every section at its default size; `quick` and `partial` runs are for trying things out. */
  readonly mode: 'full' | 'quick' | 'partial';
  readonly durationSeconds: number;
  readonly machine: {
    readonly node: string;
    readonly cpus: number;
    readonly loadAverage: readonly number[];
    readonly platform: string;
  };
  readonly pricesCheckedOn: string;
  readonly prices: Readonly<Record<string, Price>>;
  readonly cost?: CostResult;
  readonly overhead?: OverheadResult;
  readonly coldStart?: ColdStartResult;
  readonly scale?: ScaleResult;
  readonly scaleUnderLoad?: ScaleUnderLoad;
  /** The event-driven design, per tier; absent when the run did not measure it. */
  readonly timeToReady?: TimeToReadyResult['tiers'];
  /** Today's polling design, per tier; absent when the run did not measure it. */
  readonly timeToReadyPolling?: TimeToReadyResult['tiers'];
  /**
   * How those figures were made, per design: seed, draws, modelled latencies and every run. An
   * earlier latest.json holds a bare polling result here; {@link timeToReadyDesigns} reads both.
   */
  readonly timeToReadyRuns?: TimeToReadyOutput;
  readonly comparison?: ComparisonResult;
  readonly targets: readonly TargetCheck[];
}
