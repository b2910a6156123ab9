/**
 * Section 4, scale: N tenants (basic, advanced and premium in turn) onboarded at once on the
 * local runtime with tiny simulated durations, in a fresh process per N. Measures the time until
 * every execution has ended, throughput, peak memory, failures and why, and the AWS calls per
 * tenant (the signature of contention). A run still going at its deadline is cut short and its
 * unfinished executions are counted as such.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalRuntime } from '../../local/runtime/runtime.ts';
import { benchTiers, newTenant, onboardingRequest } from '../lib/requests.ts';
import { dynamoDbRoundTripMs } from '../lib/round-trip.ts';
import { sdkMeter } from '../lib/sdk-meter.ts';

/** Tiny simulated durations: the run measures the orchestrator, not the cloud. */
export const scaleTimings = { createMs: 20, deleteMs: 20, startMs: 0, waitMs: 10 } as const;

/**
 * Route listeners for every run: 1,000 tenants need 11 load balancers at 99 tenant rules each
 * (the Application Load Balancer quota is 100 rules; the deployed routeCapacity is 99).
 */
export const scaleRouteListeners = { count: 11, capacity: 99 } as const;

export interface ScaleFigures {
  readonly tenants: number;
  readonly timings: typeof scaleTimings;
  readonly routeListeners: typeof scaleRouteListeners;
  /** Seconds from the first request to the end of the last execution (or to the deadline). */
  readonly seconds: number;
  readonly deadlineSeconds: number;
  readonly finished: boolean;
  readonly succeeded: number;
  readonly failed: number;
  /** Executions still running at the deadline. */
  readonly unfinished: number;
  /** Failures by `State: Error`. */
  readonly failures: Readonly<Record<string, number>>;
  /** The first cause seen for each failure key (shortened). */
  readonly failureCauses: Readonly<Record<string, string>>;
  /** Succeeded onboardings per second. */
  readonly throughputPerSecond: number;
  /** Highest sampled process.memoryUsage().rss, and resourceUsage().maxRSS, in MiB. */
  readonly peakRssMiB: number;
  readonly maxRssMiB: number;
  readonly retries: Readonly<Record<string, number>>;
  readonly sdkCallsPerTenant: Readonly<Record<string, number>>;
  readonly failedConditionalWritesPerTenant: number;
  readonly sdkErrors: Readonly<Record<string, number>>;
  /**
   * Median milliseconds of a DynamoDB round trip (bench/lib/round-trip.ts) timed in this process
   * just before the burst: the baseline the run's time is read against, since seconds move with
   * the machine's load. Absent in results written before it was measured.
   */
  readonly baselineRoundTripMs?: number;
}

/** Round trips timed before the burst, after untimed ones that open the connection; their median is the run's baseline. */
const baselineSamples = 21;
const baselineWarmUp = 10;

const perTenant = (value: number, tenants: number) => Number((value / tenants).toFixed(2));

/** Onboards `tenants` tenants at once and measures the run (one size per process). */
export async function runScaleSection(options: {
  readonly tenants: number;
  readonly deadlineSeconds: number;
  readonly log?: (line: string) => void;
}): Promise<ScaleFigures> {
  const { tenants, deadlineSeconds } = options;
  if (!Number.isInteger(tenants) || tenants < 1)
    throw new Error(`scale needs a positive whole number of tenants, got ${tenants}`);
  const directory = mkdtempSync(join(tmpdir(), `bench-scale-${tenants}-`));
  const runtime = await openLocalRuntime({
    stateDirectory: directory,
    timings: scaleTimings,
    routeListeners: scaleRouteListeners,
  });
  // Before the meter is reset and before the burst: the baseline is the machine as the burst finds it.
  const baselineRoundTripMs = await dynamoDbRoundTripMs(baselineSamples, baselineWarmUp);
  const meter = sdkMeter();
  meter.reset();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 250);

  const started = performance.now();
  for (let index = 0; index < tenants; index += 1) {
    await runtime.send(onboardingRequest(newTenant(benchTiers[index % benchTiers.length]!, `scale-${index}`)));
  }
  const deadline = new Promise<'deadline'>((resolve) =>
    setTimeout(() => resolve('deadline'), deadlineSeconds * 1000).unref(),
  );
  const outcome = await Promise.race([runtime.drain().then(() => 'drained' as const), deadline]);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  const executions = runtime.executions();
  const failures: Record<string, number> = {};
  const failureCauses: Record<string, string> = {};
  const retries: Record<string, number> = {};
  for (const execution of executions) {
    if (execution.status !== 'SUCCEEDED' && execution.status !== 'RUNNING') {
      const key = `${execution.failedState ?? '?'}: ${execution.error ?? execution.status}`;
      failures[key] = (failures[key] ?? 0) + 1;
      failureCauses[key] ??= (execution.cause ?? '').slice(0, 240);
    }
    for (const entry of runtime.history(execution.executionArn)) {
      if (entry.type === 'StateRetried') {
        const key = `${entry.state ?? '?'}: ${entry.error ?? '?'}`;
        retries[key] = (retries[key] ?? 0) + 1;
      }
    }
  }
  const succeeded = executions.filter((execution) => execution.status === 'SUCCEEDED').length;
  const unfinished =
    executions.filter((execution) => execution.status === 'RUNNING').length + (tenants - executions.length);
  const reading = meter.reading();
  const figures: ScaleFigures = {
    tenants,
    timings: scaleTimings,
    routeListeners: scaleRouteListeners,
    seconds: Number(seconds.toFixed(2)),
    deadlineSeconds,
    finished: outcome === 'drained',
    succeeded,
    failed: tenants - succeeded - unfinished,
    unfinished,
    failures,
    failureCauses,
    throughputPerSecond: Number((succeeded / seconds).toFixed(2)),
    peakRssMiB: Math.round(peakRss / 1024 ** 2),
    // resourceUsage().maxRSS is in kilobytes.
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    retries,
    sdkCallsPerTenant: Object.fromEntries(
      Object.entries(reading.calls).map(([call, count]) => [call, perTenant(count, tenants)]),
    ),
    failedConditionalWritesPerTenant: perTenant(reading.failedConditionalWrites, tenants),
    sdkErrors: reading.errors,
    baselineRoundTripMs: Number(baselineRoundTripMs.toFixed(3)),
  };
  options.log?.(
    `scale: ${tenants} tenants in ${figures.seconds} s, ${succeeded} succeeded, ${figures.failed} failed, ${unfinished} unfinished`,
  );
  if (outcome === 'drained') {
    await runtime.close();
    rmSync(directory, { recursive: true, force: true });
  } else {
    // Executions are still running: closing would wait for them. Leave the process to end; remove what we can.
    rmSync(directory, { recursive: true, force: true });
  }
  return figures;
}
