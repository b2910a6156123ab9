/**
 * Time to ready in the report: the event-driven design (`timeToReady`) beside today's polling
 * design (`timeToReadyPolling`), the targets (lag p95 < 5 s per tier, at most 15 billed transitions
 * per premium onboarding) and the summary's section. Every sentence is computed from the run
 * (bench/sections/time-to-ready.ts); a design the run did not measure is said to be not measured,
 * never filled in.
 */
import { prices } from '../lib/pricing.ts';
import { benchTiers, type BenchTier } from '../lib/requests.ts';
import { linearFit } from '../lib/stats.ts';
import type { TimeToReadyResult, TimeToReadyRun } from '../sections/time-to-ready.ts';
import type { TargetCheck } from './results.ts';
import { markdownTable } from './tables.ts';
import { dollars, targets } from './targets.ts';

/** The goals of the time-to-ready issue. */
export const timeToReadyGoals = { lagSecondsP95: 5, premiumTransitions: targets.premiumTransitions } as const;

/** The two designs the benchmark can measure: the waits resumed by events, and today's polling loops. */
export type TimeToReadyDesign = 'eventDriven' | 'polling';

/** A section result, tagged with its design. Untagged means polling: what the section measured before the event-driven design. */
export type TaggedTimeToReadyResult = TimeToReadyResult & { readonly design?: TimeToReadyDesign };

/** The designs one run measured, each as the section returned it. */
export interface TimeToReadyDesigns {
  readonly eventDriven?: TimeToReadyResult;
  readonly polling?: TimeToReadyResult;
}

/** What the section (or an earlier latest.json's `timeToReadyRuns`) may hand the report. */
export type TimeToReadyOutput = TaggedTimeToReadyResult | readonly TaggedTimeToReadyResult[] | TimeToReadyDesigns;

/** One result per design, whatever shape the section returned. Throws on two results of one design. */
export function timeToReadyDesigns(output: TimeToReadyOutput): TimeToReadyDesigns {
  const tagged: readonly TaggedTimeToReadyResult[] = Array.isArray(output)
    ? output
    : 'tiers' in output
      ? [output as TaggedTimeToReadyResult]
      : [];
  if (tagged.length === 0 && !Array.isArray(output)) return output as TimeToReadyDesigns;
  const designs: { eventDriven?: TimeToReadyResult; polling?: TimeToReadyResult } = {};
  for (const result of tagged) {
    const design = result.design ?? 'polling';
    if (designs[design] !== undefined) throw new Error(`the time-to-ready section returned two ${design} results`);
    designs[design] = result;
  }
  return designs;
}

/** The top-level keys of latest.json for the designs measured (absent keys: not measured). */
export function timeToReadyKeys(designs: TimeToReadyDesigns): {
  timeToReady?: TimeToReadyResult['tiers'];
  timeToReadyPolling?: TimeToReadyResult['tiers'];
  timeToReadyRuns?: TimeToReadyDesigns;
} {
  const { eventDriven, polling } = designs;
  if (eventDriven === undefined && polling === undefined) return {};
  return {
    ...(eventDriven ? { timeToReady: eventDriven.tiers } : {}),
    ...(polling ? { timeToReadyPolling: polling.tiers } : {}),
    timeToReadyRuns: designs,
  };
}

const designLabel: Readonly<Record<TimeToReadyDesign, string>> = { eventDriven: 'event-driven', polling: 'polling' };
const notMeasured = 'not measured in this run';
const round = (value: number) => Number(value.toFixed(2));

/** Where a run's lag went: waiting after CloudFormation and ECS were done, and the latencies the section models. */
export function lagParts(run: TimeToReadyRun): { afterReadySeconds: number; modelledSeconds: number } {
  const afterReadySeconds = round(run.waitedSeconds - run.stackSeconds - run.servicesSeconds);
  return { afterReadySeconds, modelledSeconds: round(run.lagSeconds - afterReadySeconds) };
}

const runsOf = (result: TimeToReadyResult, tier: BenchTier) => result.runs.filter((run) => run.tier === tier);
const succeededRuns = (runs: readonly TimeToReadyRun[]) => runs.filter((run) => run.status === 'SUCCEEDED');

/** Which designs the run measured, in words. */
function measuredDesigns(designs: TimeToReadyDesigns): string {
  const names = (['eventDriven', 'polling'] as const).filter((design) => designs[design] !== undefined);
  return names.length === 0
    ? 'no design'
    : `only the ${names.map((design) => designLabel[design]).join(' and ')} design`;
}

function lagTarget(tier: BenchTier, designs: TimeToReadyDesigns): TargetCheck {
  const target = `lag p95 < ${timeToReadyGoals.lagSecondsP95} s, ${tier} onboarding (event-driven; local runtime, simulated clock, modelled AWS latencies)`;
  const polling = designs.polling?.tiers[tier];
  const pollingText = polling === undefined ? '' : `polling: p95 ${polling.lagSecondsP95} s`;
  const result = designs.eventDriven;
  if (result === undefined)
    return {
      target,
      measured: `${notMeasured}${pollingText === '' ? '' : ` (${pollingText})`}`,
      met: false,
      notMeasured: true,
      why: `The time-to-ready section measured ${measuredDesigns(designs)} in this run.`,
    };
  const figures = result.tiers[tier];
  const runs = runsOf(result, tier);
  const succeeded = succeededRuns(runs);
  const failed = runs.length - succeeded.length;
  const met = failed === 0 && succeeded.length > 0 && figures.lagSecondsP95 < timeToReadyGoals.lagSecondsP95;
  const measured = `p95 ${figures.lagSecondsP95} s, p50 ${figures.lagSecondsP50} s over ${succeeded.length} of ${runs.length} onboardings that succeeded${pollingText === '' ? '' : `; ${pollingText}`}`;
  if (met) return { target, measured, met };
  const slowest = [...succeeded].sort((a, b) => b.lagSeconds - a.lagSeconds)[0];
  if (slowest === undefined)
    return {
      target,
      measured,
      met,
      why: `None of the ${runs.length} ${tier} onboardings succeeded.`,
      closeTheGap: 'Make the onboardings succeed first; only then is there a lag to measure.',
    };
  const { afterReadySeconds, modelledSeconds } = lagParts(slowest);
  const why = [
    failed === 0 ? undefined : `${failed} of ${runs.length} ${tier} onboardings failed, so their lag is not counted.`,
    `The slowest ${tier} onboarding lagged ${slowest.lagSeconds} s: its reply came ${afterReadySeconds} s after CloudFormation (${slowest.stackSeconds} s) and ECS (${slowest.servicesSeconds} s) were done, on a clock that also moved by the modelled latency of each of its ${slowest.billedTransitions} transitions and ${slowest.lambdaInvocations} invocations${slowest.waitsEnded !== undefined ? ` and ${slowest.waitsEnded} waits` : ''} as they happened; delivering the request and the reply adds ${modelledSeconds} s.`,
  ]
    .filter((part) => part !== undefined)
    .join(' ');
  const closeTheGap =
    afterReadySeconds >= modelledSeconds
      ? `Start with the waiting after the cloud was done (${afterReadySeconds} s of the slowest run's ${slowest.lagSeconds} s): the workflow heard late that the stack and services were ready.`
      : `Start with the delivery of the request and the reply (${modelledSeconds} s of the slowest run's ${slowest.lagSeconds} s), which the workflow does not control.`;
  return { target, measured, met, why, closeTheGap };
}

/** How the premium onboardings' transitions move with the cloud time, from the runs: a sentence, or undefined when they cannot say. */
function transitionsTrend(runs: readonly TimeToReadyRun[]): string | undefined {
  const points = runs.map((run) => ({ x: (run.stackSeconds + run.servicesSeconds) / 60, y: run.billedTransitions }));
  if (new Set(points.map((point) => point.x)).size < 2) return undefined;
  const perMinute = linearFit(points).slope;
  return perMinute >= 0.5
    ? `Across them each minute of CloudFormation and ECS time added ${perMinute.toFixed(1)} transitions: the waiting is what costs them, so fewer looks per minute of waiting close the gap.`
    : `Across them the transitions hardly move with the CloudFormation and ECS time (${perMinute.toFixed(1)} per minute): the steps every onboarding takes are what costs them, so fewer states per onboarding close the gap.`;
}

function transitionsTarget(designs: TimeToReadyDesigns): TargetCheck {
  const polling = designs.polling?.tiers.premium.billedTransitions;
  const pollingText = polling === undefined ? '' : `polling: ${polling}`;
  const result = designs.eventDriven;
  const target = `at most ${timeToReadyGoals.premiumTransitions} billed transitions per premium onboarding (event-driven; median over onboardings with drawn durations, local runtime)`;
  if (result === undefined)
    return {
      target,
      measured: `${notMeasured}${pollingText === '' ? '' : ` (${pollingText})`}`,
      met: false,
      notMeasured: true,
      why: `The time-to-ready section measured ${measuredDesigns(designs)} in this run.`,
    };
  const premium = result.tiers.premium.billedTransitions;
  const succeeded = succeededRuns(runsOf(result, 'premium'));
  const met = succeeded.length > 0 && premium <= timeToReadyGoals.premiumTransitions;
  const measured = `${premium} (median of ${succeeded.length} onboardings${pollingText === '' ? '' : `; ${pollingText}`})`;
  if (met) return { target, measured, met };
  if (succeeded.length === 0)
    return { target, measured, met, why: 'No premium onboarding succeeded.', closeTheGap: 'Make them succeed first.' };
  const counts = succeeded.map((run) => run.billedTransitions);
  const over = premium - timeToReadyGoals.premiumTransitions;
  return {
    target,
    measured,
    met,
    why: `The premium onboardings took ${Math.min(...counts)} to ${Math.max(...counts)} billed transitions (median ${premium}, ${over} over); each is ${dollars(prices.stepFunctionsTransition.dollars)} at list price.`,
    closeTheGap:
      transitionsTrend(succeeded) ??
      `${over} transitions fewer per premium onboarding; every run took about as long, so the runs cannot say whether waiting or the steps cost them.`,
  };
}

/** One lag check per tier and the premium transitions check; a design not measured is said to be so. */
export function timeToReadyTargets(designs: TimeToReadyDesigns): TargetCheck[] {
  return [...benchTiers.map((tier) => lagTarget(tier, designs)), transitionsTarget(designs)];
}

/** How a design's runs were made: runs, draws, seed and the modelled latencies. */
function method(result: TimeToReadyResult, design: TimeToReadyDesign): string {
  const { latencies, spread } = result;
  return `${designLabel[design]}: ${result.runsPerTier} onboardings per tier; each draws its stack's create time uniformly from ${spread.low}× to ${spread.high}× the model's realistic figure and its services' time to healthy from ${spread.servicesSeconds[0]} to ${spread.servicesSeconds[1]} s (seed ${result.seed}); modelled latencies ${latencies.requestToStartSeconds} s from request to the first state, ${latencies.perTransitionSeconds} s per transition, ${latencies.perInvocationSeconds} s per invocation${'eventDeliverySeconds' in latencies ? `, ${String((latencies as { eventDeliverySeconds: number }).eventDeliverySeconds)} s per wait ended (the event's delivery and the resumer's answer; event-driven design only)` : ''}, each moving the simulated clock as it happens, and ${latencies.replyDeliverySeconds} s to deliver the reply.`;
}

/** The summary's section: how the figures were made, then one table per tier with both designs side by side. */
export function timeToReadySection(designs: TimeToReadyDesigns): string {
  const { eventDriven, polling } = designs;
  const cell = (result: TimeToReadyResult | undefined, value: (result: TimeToReadyResult) => string) =>
    result === undefined ? notMeasured : value(result);
  const tables = benchTiers.flatMap((tier) => {
    const succeeded = (result: TimeToReadyResult) =>
      `${succeededRuns(runsOf(result, tier)).length} of ${runsOf(result, tier).length}`;
    return [
      `### ${tier}`,
      '',
      markdownTable(
        ['Figure', 'Event-driven (`timeToReady`)', 'Polling (`timeToReadyPolling`)'],
        [
          ['Lag p50', ...[eventDriven, polling].map((r) => cell(r, (x) => `${x.tiers[tier].lagSecondsP50} s`))],
          ['Lag p95', ...[eventDriven, polling].map((r) => cell(r, (x) => `${x.tiers[tier].lagSecondsP95} s`))],
          [
            'Billed transitions (median)',
            ...[eventDriven, polling].map((r) => cell(r, (x) => String(x.tiers[tier].billedTransitions))),
          ],
          ['Onboardings succeeded', ...[eventDriven, polling].map((r) => cell(r, succeeded))],
        ],
      ),
      '',
    ];
  });
  const methods = (['eventDriven', 'polling'] as const).flatMap((design) => {
    const result = designs[design];
    return result === undefined ? [] : [`- ${method(result, design)}`];
  });
  return [
    '## Time to ready (local runtime, simulated clock)',
    '',
    'Onboardings on the local runtime with the real workflow and handlers, on a simulated clock. Lag = reply − request − (stack + services time). The latencies AWS adds are modelled (each transition, invocation and event moves the clock as it happens), not measured. A design this run did not measure says "not measured in this run".',
    '',
    ...(methods.length === 0 ? ['No design was measured in this run.'] : methods),
    '',
    ...tables,
  ].join('\n');
}
