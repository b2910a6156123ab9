/**
 * Section 5, time to ready: how long after CloudFormation and ECS are done the control plane hears
 * of it. Each run onboards one tenant on the local runtime with the real workflow and handlers, the
 * stack and service durations drawn at random around realistic values (so no wait schedule can be
 * tuned to them), on a simulated clock:
 *
 *   lag = (reply time − request time) − (stack time + service time)
 *
 * Two designs, the same draws:
 * - `eventDriven` (this release): the waits end on the local cloud's CloudFormation and ECS events;
 *   the clock jumps to the cloud's next change while a wait is open (bench/lib/wait-driver.ts), and
 *   each wait that ends adds the modelled event delivery.
 * - `polling` (the release before): event-driven waits off (EVENT_DRIVEN_WAITS=false, no events), so
 *   each wait is a fallback look on the polling schedule (30, 45, then 60 s for stacks; 8, 11, 17,
 *   25, then 30 s for services), and the clock moves by the seconds of each wait.
 * In both, the clock also moves by the modelled latency of each state transition and each Lambda
 * invocation as they happen, so only those on the way to the reply count. The latencies AWS adds
 * are assumptions, stated in the result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtInTierCatalog as tierCatalog } from '../../functions/shared/config/catalog.ts';
import type { LocalRuntime } from '../../local/runtime/api.ts';
import { openLocalRuntime } from '../../local/runtime/runtime.ts';
import { ExecutionObserver, stateCatalog } from '../lib/observer.ts';
import { benchTiers, newTenant, onboardingRequest, type BenchTier } from '../lib/requests.ts';
import { percentile } from '../lib/stats.ts';
import { VirtualClock } from '../lib/virtual-clock.ts';
import { WaitDriver } from '../lib/wait-driver.ts';
import { servicesLoopWaits, stackLoopWaits } from '../lib/wait-schedule.ts';
import { realisticDurations } from './cost.ts';

/**
 * The latencies AWS adds that the local runtime does not, in seconds. Assumed, not measured: AWS
 * publishes no figure for them. Kept deliberately generous so the lag is not flattered.
 */
export const modelledLatencies = {
  /** Request put on the bus to the workflow's first state (rule match, admission, StartExecution). */
  requestToStartSeconds: 0.5,
  /** Per billed state transition of a Standard workflow. */
  perTransitionSeconds: 0.05,
  /** Per Lambda invocation of a warm function, handler included. */
  perInvocationSeconds: 0.15,
  /** The reply put on the bus to the control plane's target receiving it. */
  replyDeliverySeconds: 0.5,
  /**
   * A CloudFormation or ECS event from the change to the waiting task's answer: the service putting it
   * on the default bus (unpublished), EventBridge's delivery (AWS reported a P99 of about 0.4 s in
   * 2023: https://aws.amazon.com/about-aws/whats-new/2023/02/amazon-eventbridge-improved-performance-latency/),
   * the resumer's invocation and its SendTaskSuccess. Added once per wait that ends.
   */
  eventDeliverySeconds: 1,
} as const;

/** The two designs measured. */
export type TimeToReadyDesign = 'eventDriven' | 'polling';

/**
 * How the durations are drawn, per run: the stack's create time uniformly between `low` and `high`
 * times the realistic figure of its model, and the services' time from stack completion to healthy
 * uniformly within `servicesSeconds`.
 */
export const durationSpread = { low: 0.6, high: 1.6, servicesSeconds: [0, 30] } as const;

/** Deterministic draws (mulberry32), so a run can be repeated with its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One onboarding. */
export interface TimeToReadyRun {
  readonly tier: BenchTier;
  readonly status: string;
  readonly stackSeconds: number;
  readonly servicesSeconds: number;
  /** Simulated seconds from the request to the reply, the modelled latencies on the way included. */
  readonly waitedSeconds: number;
  readonly billedTransitions: number;
  readonly lambdaInvocations: number;
  /** Waits that ended (each added the modelled event delivery in the event-driven design). */
  readonly waitsEnded?: number;
  readonly lagSeconds: number;
}

/** Per tier, the figures `latest.json` carries at its top level. */
export interface TimeToReadyFigures {
  readonly lagSecondsP50: number;
  readonly lagSecondsP95: number;
  /** Median billed transitions per onboarding. */
  readonly billedTransitions: number;
}

export interface TimeToReadyResult {
  readonly design?: TimeToReadyDesign;
  readonly seed: number;
  readonly runsPerTier: number;
  readonly latencies: typeof modelledLatencies;
  readonly spread: typeof durationSpread;
  readonly tiers: Readonly<Record<BenchTier, TimeToReadyFigures>>;
  readonly runs: readonly TimeToReadyRun[];
}

const round = (value: number) => Number(value.toFixed(2));

interface Draw {
  readonly stackSeconds: number;
  readonly servicesSeconds: number;
}

function drawDurations(tier: BenchTier, draw: () => number): Draw {
  const model = tierCatalog.tiers[tier]?.isolationModel;
  if (model === undefined) throw new Error(`tiers.json has no tier ${tier}`);
  if (model === 'pool') return { stackSeconds: 0, servicesSeconds: 0 };
  const between = (low: number, high: number) => low + (high - low) * draw();
  return {
    stackSeconds: Math.round(
      realisticDurations.createSeconds[model] * between(durationSpread.low, durationSpread.high),
    ),
    servicesSeconds: Math.round(between(...durationSpread.servicesSeconds)),
  };
}

async function onboardOnce(tier: BenchTier, durations: Draw, design: TimeToReadyDesign): Promise<TimeToReadyRun> {
  const { stackSeconds, servicesSeconds } = durations;
  const eventDriven = design === 'eventDriven';
  const clock = new VirtualClock();
  const catalog = stateCatalog();
  const types = catalog.onboarding;
  let opened: LocalRuntime | undefined;
  const driver = new WaitDriver(clock, () => opened);
  let waitsEnded = 0;
  const waiting = new Set<string>();
  const observer = new ExecutionObserver(catalog, (loop, earlierWaits, executionArn) => {
    waiting.add(executionArn);
    if (eventDriven) driver.waiting(executionArn);
    // Polling: the wait is a fallback look on the schedule; the runner's short timer ends it.
    else clock.advance(1000 * (loop === 'stack' ? stackLoopWaits(earlierWaits) : servicesLoopWaits(earlierWaits)));
  });
  const directory = mkdtempSync(join(tmpdir(), `bench-ttr-${tier}-`));
  process.env.EVENT_DRIVEN_WAITS = String(eventDriven);
  clock.install();
  const runtime = await openLocalRuntime({
    stateDirectory: directory,
    // Event-driven: an Await state's fallback look (minutes in AWS) would take 200 ms of real time per
    // minute here; the events end the waits long before. Polling: 2 ms per minute, as a Wait state.
    timings: {
      createMs: stackSeconds * 1000,
      deleteMs: 1000,
      startMs: servicesSeconds * 1000,
      waitMs: 2,
      awaitMs: eventDriven ? 200 : 2,
    },
    cloudEvents: eventDriven ? { pollMs: 5 } : { enabled: false },
    onEvent: (execution, entry) => {
      if (entry.type === 'StateEntered' && entry.state !== undefined) {
        const arn = execution.executionArn;
        if (waiting.delete(arn)) {
          waitsEnded += 1;
          if (eventDriven) clock.advance(1000 * modelledLatencies.eventDeliverySeconds);
        }
        driver.moved(arn);
        clock.advance(1000 * modelledLatencies.perTransitionSeconds);
        if (types[entry.state]?.type === 'Task') clock.advance(1000 * modelledLatencies.perInvocationSeconds);
      }
      observer.onEvent(execution, entry);
    },
  });
  opened = runtime;
  try {
    const before = clock.now();
    const { execution } = await runtime.send(onboardingRequest(newTenant(tier)), { wait: true });
    if (execution === undefined) throw new Error(`the ${tier} onboarding started no workflow`);
    const waitedSeconds = (clock.now() - before) / 1000;
    const history = runtime.history(execution.executionArn);
    const billedTransitions = history.filter(
      (entry) => entry.type === 'StateEntered' || entry.type === 'StateRetried',
    ).length;
    const lambdaInvocations = history.filter(
      (entry) =>
        (entry.type === 'StateEntered' || entry.type === 'StateRetried') &&
        entry.state !== undefined &&
        types[entry.state]?.type === 'Task',
    ).length;
    const added = modelledLatencies.requestToStartSeconds + modelledLatencies.replyDeliverySeconds;
    return {
      tier,
      status: execution.status,
      stackSeconds,
      servicesSeconds,
      waitedSeconds: round(waitedSeconds),
      billedTransitions,
      lambdaInvocations,
      waitsEnded,
      lagSeconds: round(waitedSeconds + added - stackSeconds - servicesSeconds),
    };
  } finally {
    await runtime.close();
    clock.uninstall();
    process.env.EVENT_DRIVEN_WAITS = 'true';
    rmSync(directory, { recursive: true, force: true });
  }
}

function figuresOf(runs: readonly TimeToReadyRun[]): TimeToReadyFigures {
  const succeeded = runs.filter((run) => run.status === 'SUCCEEDED');
  const lags = succeeded.map((run) => run.lagSeconds);
  return {
    lagSecondsP50: round(percentile(lags, 50)),
    lagSecondsP95: round(percentile(lags, 95)),
    billedTransitions: percentile(
      succeeded.map((run) => run.billedTransitions),
      50,
    ),
  };
}

/** `runs` onboardings per tier with drawn durations, each in both designs with the same draws. */
export async function runTimeToReadySection(options: {
  readonly runs: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}): Promise<TimeToReadyResult[]> {
  const seed = options.seed ?? 20_261_205;
  const draw = random(seed);
  const designs: readonly TimeToReadyDesign[] = ['eventDriven', 'polling'];
  const runs: Record<TimeToReadyDesign, TimeToReadyRun[]> = { eventDriven: [], polling: [] };
  const tiers: Record<TimeToReadyDesign, Record<BenchTier, TimeToReadyFigures>> = {
    eventDriven: {} as Record<BenchTier, TimeToReadyFigures>,
    polling: {} as Record<BenchTier, TimeToReadyFigures>,
  };
  for (const tier of benchTiers) {
    const ofTier: Record<TimeToReadyDesign, TimeToReadyRun[]> = { eventDriven: [], polling: [] };
    for (let run = 0; run < options.runs; run += 1) {
      const durations = drawDurations(tier, draw);
      for (const design of designs) ofTier[design].push(await onboardOnce(tier, durations, design));
    }
    for (const design of designs) {
      tiers[design][tier] = figuresOf(ofTier[design]);
      runs[design].push(...ofTier[design]);
      const figures = tiers[design][tier];
      const succeeded = ofTier[design].filter((run) => run.status === 'SUCCEEDED').length;
      options.log?.(
        `time to ready (${design}): ${tier} lag p50 ${figures.lagSecondsP50} s, p95 ${figures.lagSecondsP95} s, ${figures.billedTransitions} transitions (${succeeded}/${ofTier[design].length} succeeded)`,
      );
    }
  }
  return designs.map((design) => ({
    design,
    seed,
    runsPerTier: options.runs,
    latencies: modelledLatencies,
    spread: durationSpread,
    tiers: tiers[design],
    runs: runs[design],
  }));
}
