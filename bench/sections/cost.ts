/**
 * Section 1, cost per onboarding and offboarding, per tier: the real workflows and handlers on the
 * local runtime, with CloudFormation and ECS taking realistic times on a simulated clock (each Wait
 * state moves the clock by the seconds the real step chose), and every AWS call counted.
 *
 * Runs in its own process (bench/child.ts) with POWERTOOLS_LOG_LEVEL=INFO, the deployed level,
 * so the handlers' log output can be weighed: stdout is counted and swallowed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtInTierCatalog as tierCatalog } from '../../functions/shared/config/catalog.ts';
import type { LocalRuntime } from '../../local/runtime/api.ts';
import { openLocalRuntime } from '../../local/runtime/runtime.ts';
import type { WorkflowName } from '../../local/workflow-runner.ts';
import { ExecutionObserver, stateCatalog, type LoopKind, type StateCatalog } from '../lib/observer.ts';
import { workflowCost, type CostBreakdown, type WorkflowUsage } from '../lib/pricing.ts';
import { benchTiers, newTenant, offboardingRequest, onboardingRequest, type BenchTier } from '../lib/requests.ts';
import { sdkMeter } from '../lib/sdk-meter.ts';
import { VirtualClock } from '../lib/virtual-clock.ts';
import { WaitDriver } from '../lib/wait-driver.ts';
import { transitionsPerExtraLook } from '../lib/wait-schedule.ts';
import { countStdout, historyEventCount, stepFunctionsLogBytes, lambdaPlatformLogBytes } from './cost-extras.ts';

/** Realistic times of the simulated cloud, in seconds (typical, not measured here; see docs/benchmarks.md). */
export const realisticDurations = {
  /** CloudFormation CREATE_COMPLETE after CreateStack, per tenant stack model. */
  createSeconds: { 'silo-services': 240, 'silo-cluster': 360 },
  /** DELETE_COMPLETE after DeleteStack. */
  deleteSeconds: 180,
  /** ECS services steady after their stack completes (the stack waits for them). */
  servicesStartSeconds: 0,
} as const;

/** The loop figures of one run: what the handlers did, and what the wait schedule predicts. */
export interface LoopFigures {
  readonly loop: LoopKind;
  readonly readySeconds: number;
  readonly looks: number;
  readonly expectedLooks: number;
  /** The simulated seconds of each of the loop's Wait states in this run, in order. */
  readonly waitSeconds: readonly number[];
  /**
   * Billed transitions from the loop's first look to its last, per look after the first (the states
   * one more pass enters, retries included), counted in this run's history; absent with one look.
   */
  readonly transitionsPerExtraLook?: number;
}

/** One workflow run of one tier. */
export interface WorkflowFigures {
  readonly tier: BenchTier;
  readonly workflow: WorkflowName;
  readonly status: string;
  /** StateEntered events (Standard workflows bill these)... */
  readonly stateEntered: number;
  /** ...and retries, which AWS bills as transitions too. */
  readonly retries: number;
  readonly billedTransitions: number;
  /** Task attempts: Lambda invocations. */
  readonly lambdaInvocations: number;
  readonly lambdaDurationsMs: readonly number[];
  readonly sdkCalls: Readonly<Record<string, number>>;
  readonly sdkErrors: Readonly<Record<string, number>>;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly failedConditionalWrites: number;
  /** Events on the bus: the control plane's request plus what the workflow put. */
  readonly events: number;
  /** Simulated cloud seconds the execution spent waiting. */
  readonly simulatedSeconds: number;
  readonly loops: readonly LoopFigures[];
  readonly handlerLogBytes: number;
  readonly stepFunctionsLogBytes: number;
  readonly platformLogBytes: number;
  readonly cost: CostBreakdown;
}

export interface CostResult {
  readonly durations: typeof realisticDurations;
  readonly runs: readonly WorkflowFigures[];
}

function readySecondsFor(tier: BenchTier): { create: number; delete: number } {
  const model = tierCatalog.tiers[tier]?.isolationModel;
  if (model === undefined) throw new Error(`tiers.json has no tier ${tier}`);
  return model === 'pool'
    ? { create: 0, delete: 0 }
    : { create: realisticDurations.createSeconds[model], delete: realisticDurations.deleteSeconds };
}

interface Probe {
  readonly runtime: LocalRuntime;
  readonly observer: ExecutionObserver;
  readonly clock: VirtualClock;
  readonly catalog: StateCatalog;
  readonly stdout: ReturnType<typeof countStdout>;
  /** The seconds the clock moved for each Wait state entered, per loop; emptied before each measured run. */
  readonly appliedWaits: Record<LoopKind, number[]>;
}

async function measure(
  probe: Probe,
  tier: BenchTier,
  workflow: WorkflowName,
  event: Record<string, unknown>,
): Promise<WorkflowFigures> {
  const { runtime, observer, clock, catalog, stdout, appliedWaits } = probe;
  appliedWaits.stack.length = 0;
  appliedWaits.services.length = 0;
  const meter = sdkMeter();
  meter.reset();
  const logBefore = stdout.bytes();
  const clockBefore = clock.offsetMs;
  const sent = await runtime.send(event, { wait: true });
  const execution = sent.execution;
  if (execution === undefined) throw new Error(`the ${workflow} request of ${tier} started no workflow`);
  const reading = meter.reading();
  const history = runtime.history(execution.executionArn);
  const observed = observer.execution(execution.executionArn, workflow);
  const types = catalog[workflow];
  const stateEntered = history.filter((entry) => entry.type === 'StateEntered').length;
  const retries = history.filter((entry) => entry.type === 'StateRetried').length;
  const taskEntries = history.filter((entry) => entry.state !== undefined && types[entry.state]?.type === 'Task');
  const lambdaInvocations = taskEntries.filter(
    (entry) => entry.type === 'StateEntered' || entry.type === 'StateRetried',
  ).length;
  const ready = readySecondsFor(tier);
  const loops: LoopFigures[] = [];
  for (const loop of ['stack', 'services'] as const) {
    const looks = taskEntries.filter(
      (entry) => entry.type === 'StateEntered' && types[entry.state!]?.loop === loop,
    ).length;
    if (looks === 0) continue;
    const readySeconds =
      loop === 'services'
        ? realisticDurations.servicesStartSeconds
        : workflow === 'onboarding'
          ? ready.create
          : ready.delete;
    // Event-driven waits: the stack loop looks when it starts and once more on the event; the
    // services loop once, its wait ending on the event (a fallback look would add one).
    const expectedLooks = loop === 'stack' ? 2 : 1;
    const perExtraLook = transitionsPerExtraLook(
      history,
      (entry) => entry.state !== undefined && types[entry.state]?.type === 'Task' && types[entry.state]?.loop === loop,
    );
    loops.push({
      loop,
      readySeconds,
      looks,
      expectedLooks,
      waitSeconds: [...appliedWaits[loop]],
      ...(perExtraLook === undefined ? {} : { transitionsPerExtraLook: perExtraLook }),
    });
  }
  const usage: WorkflowUsage = {
    stateTransitions: stateEntered + retries,
    lambdaInvocations,
    lambdaDurationsMs: observed.tasks.map((task) => task.ms),
    readRequestUnits: reading.readUnits,
    writeRequestUnits: reading.writeUnits,
    events: 1 + reading.eventsPut,
  };
  const handlerLogBytes = stdout.bytes() - logBefore;
  const sfnLogBytes = stepFunctionsLogBytes(historyEventCount(stateEntered, lambdaInvocations));
  const platformLogBytes = lambdaPlatformLogBytes(lambdaInvocations);
  return {
    tier,
    workflow,
    status: execution.status,
    stateEntered,
    retries,
    billedTransitions: usage.stateTransitions,
    lambdaInvocations,
    lambdaDurationsMs: usage.lambdaDurationsMs,
    sdkCalls: reading.calls,
    sdkErrors: reading.errors,
    readUnits: reading.readUnits,
    writeUnits: reading.writeUnits,
    failedConditionalWrites: reading.failedConditionalWrites,
    events: usage.events,
    simulatedSeconds: (clock.offsetMs - clockBefore) / 1000,
    loops,
    handlerLogBytes,
    stepFunctionsLogBytes: sfnLogBytes,
    platformLogBytes,
    // One X-Ray trace per execution: tracing is on for the state machines, whose trace the Lambda segments join.
    cost: workflowCost(usage, { logBytes: handlerLogBytes + sfnLogBytes + platformLogBytes, traces: 1 }),
  };
}

/** Onboards and offboards one tenant per tier (after a warm-up tenant) and measures the second pair. */
export async function runCostSection(
  options: { readonly waitMs?: number; readonly log?: (line: string) => void } = {},
): Promise<CostResult> {
  const catalog = stateCatalog();
  const runs: WorkflowFigures[] = [];
  const stdout = countStdout();
  try {
    for (const tier of benchTiers) {
      const ready = readySecondsFor(tier);
      const clock = new VirtualClock();
      const appliedWaits: Record<LoopKind, number[]> = { stack: [], services: [] };
      let opened: LocalRuntime | undefined;
      // The waits end on the local cloud's events: the driver jumps the clock to the cloud's next change.
      const driver = new WaitDriver(clock, () => opened);
      const observer = new ExecutionObserver(catalog, (loop, _earlierWaits, executionArn) => {
        appliedWaits[loop].push(0);
        driver.waiting(executionArn);
      });
      const directory = mkdtempSync(join(tmpdir(), `bench-cost-${tier}-`));
      clock.install();
      const runtime = await openLocalRuntime({
        stateDirectory: directory,
        // Real waits stay a few milliseconds: the clock, not the timer, says how long they were. The
        // Await states' fallback looks (minutes in AWS) last 2 s here: an event ends them first.
        timings: {
          createMs: ready.create * 1000,
          deleteMs: ready.delete * 1000,
          startMs: realisticDurations.servicesStartSeconds * 1000,
          waitMs: options.waitMs ?? 2,
          awaitMs: 200,
        },
        cloudEvents: { pollMs: 5 },
        onEvent: (execution, entry) => {
          if (entry.type === 'StateEntered') driver.moved(execution.executionArn);
          observer.onEvent(execution, entry);
        },
      });
      opened = runtime;
      try {
        const probe: Probe = { runtime, observer, clock, catalog, stdout, appliedWaits };
        const warmUp = newTenant(tier, `warm-up-${tier}`);
        await runtime.send(onboardingRequest(warmUp), { wait: true });
        await runtime.send(offboardingRequest(warmUp), { wait: true });
        const tenant = newTenant(tier);
        runs.push(await measure(probe, tier, 'onboarding', onboardingRequest(tenant)));
        runs.push(await measure(probe, tier, 'offboarding', offboardingRequest(tenant)));
        options.log?.(`cost: ${tier} measured`);
      } finally {
        await runtime.close();
        clock.uninstall();
        rmSync(directory, { recursive: true, force: true });
      }
    }
  } finally {
    stdout.restore();
  }
  return { durations: realisticDurations, runs };
}
