import { describe, expect, it } from 'vitest';
import { benchTiers } from '../../../../bench/lib/requests.ts';
import {
  lagParts,
  timeToReadyDesigns,
  timeToReadyKeys,
  timeToReadySection,
  timeToReadyTargets,
  type TimeToReadyDesigns,
} from '../../../../bench/report/time-to-ready.ts';
import {
  durationSpread,
  modelledLatencies,
  type TimeToReadyResult,
  type TimeToReadyRun,
} from '../../../../bench/sections/time-to-ready.ts';

type Tier = TimeToReadyRun['tier'];

function run(tier: Tier, lagSeconds: number, fields: Partial<TimeToReadyRun> = {}): TimeToReadyRun {
  return {
    tier,
    status: 'SUCCEEDED',
    stackSeconds: 200,
    servicesSeconds: 10,
    waitedSeconds: 210 + lagSeconds - 1,
    billedTransitions: 20,
    lambdaInvocations: 8,
    lagSeconds,
    ...fields,
  };
}

/** A fabricated section result: each tier's p50 and p95 equal to `lag`, premium with `premiumTransitions`. */
function result(
  lag: Record<Tier, number>,
  premiumTransitions: number,
  runs: TimeToReadyRun[] = benchTiers.map((tier) => run(tier, lag[tier])),
): TimeToReadyResult {
  const figures = (tier: Tier, billedTransitions: number) => ({
    lagSecondsP50: lag[tier],
    lagSecondsP95: lag[tier],
    billedTransitions,
  });
  return {
    seed: 7,
    runsPerTier: 1,
    latencies: modelledLatencies,
    spread: durationSpread,
    tiers: {
      basic: figures('basic', 8),
      advanced: figures('advanced', 20),
      premium: figures('premium', premiumTransitions),
    },
    runs,
  };
}

const polling = result({ basic: 2, advanced: 44, premium: 30 }, 33);

describe('timeToReadyDesigns', () => {
  it("reads today's untagged section result as the polling design", () => {
    expect(timeToReadyDesigns(polling)).toEqual({ polling });
  });

  it('reads tagged results, and the per-design object latest.json keeps', () => {
    const eventDriven = result({ basic: 1, advanced: 2, premium: 3 }, 12);
    const designs = timeToReadyDesigns([
      { ...eventDriven, design: 'eventDriven' },
      { ...polling, design: 'polling' },
    ]);

    expect(designs.eventDriven?.tiers).toEqual(eventDriven.tiers);
    expect(designs.polling?.tiers).toEqual(polling.tiers);
    expect(timeToReadyDesigns(designs)).toBe(designs);
  });

  it('refuses two results of one design', () => {
    expect(() => timeToReadyDesigns([polling, polling])).toThrow('two polling results');
  });
});

describe('timeToReadyKeys', () => {
  it('writes timeToReady only for a measured event-driven design, never a copy of the polling figures', () => {
    const keys = timeToReadyKeys({ polling });

    expect(keys).not.toHaveProperty('timeToReady');
    expect(keys.timeToReadyPolling?.premium).toEqual({ lagSecondsP50: 30, lagSecondsP95: 30, billedTransitions: 33 });
  });

  it('writes both, each with lagSecondsP50, lagSecondsP95 and billedTransitions per tier', () => {
    const eventDriven = result({ basic: 1, advanced: 2, premium: 3 }, 12);

    const keys = timeToReadyKeys({ eventDriven, polling });

    for (const tier of benchTiers) {
      expect(Object.keys(keys.timeToReady?.[tier] ?? {}).sort()).toEqual([
        'billedTransitions',
        'lagSecondsP50',
        'lagSecondsP95',
      ]);
    }
    expect(keys.timeToReady?.premium.billedTransitions).toBe(12);
    expect(keys.timeToReadyPolling?.premium.billedTransitions).toBe(33);
  });
});

describe('lagParts', () => {
  it('splits a lag into the waiting after the cloud was done and the modelled latencies', () => {
    expect(lagParts(run('premium', 40, { stackSeconds: 300, servicesSeconds: 20, waitedSeconds: 357 }))).toEqual({
      afterReadySeconds: 37,
      modelledSeconds: 3,
    });
  });
});

describe('timeToReadyTargets', () => {
  it('says the event-driven figures were not measured when only polling ran, with the polling figure beside', () => {
    const checks = timeToReadyTargets({ polling });

    expect(checks).toHaveLength(4);
    expect(checks.every((check) => check.notMeasured === true && check.met === false)).toBe(true);
    expect(checks[1]?.target).toContain('lag p95 < 5 s, advanced onboarding (event-driven; local runtime');
    expect(checks[1]?.measured).toBe('not measured in this run (polling: p95 44 s)');
    expect(checks[3]?.measured).toBe('not measured in this run (polling: 33)');
    expect(checks[0]?.why).toBe('The time-to-ready section measured only the polling design in this run.');
  });

  it('are met per tier when the event-driven p95 is under 5 s, and premium takes at most 15 transitions', () => {
    const checks = timeToReadyTargets({ eventDriven: result({ basic: 1, advanced: 4.9, premium: 3 }, 15), polling });

    expect(checks.map((check) => check.met)).toEqual([true, true, true, true]);
    expect(checks.every((check) => check.why === undefined && check.notMeasured === undefined)).toBe(true);
    expect(checks[2]?.measured).toBe('p95 3 s, p50 3 s over 1 of 1 onboardings that succeeded; polling: p95 30 s');
  });

  it("explain a missed lag from the slowest run's own parts, and point at the larger one", () => {
    const runs = [
      run('basic', 1),
      run('advanced', 2),
      run('premium', 8, { stackSeconds: 300, servicesSeconds: 20, waitedSeconds: 326, billedTransitions: 14 }),
      run('premium', 4, { stackSeconds: 100, servicesSeconds: 5, waitedSeconds: 105 }),
      run('premium', 99, { status: 'FAILED' }),
    ];
    const eventDriven = result({ basic: 1, advanced: 2, premium: 7.5 }, 14, runs);

    const premium = timeToReadyTargets({ eventDriven })[2];

    expect(premium?.met).toBe(false);
    expect(premium?.why).toBe(
      '1 of 3 premium onboardings failed, so their lag is not counted. The slowest premium onboarding lagged 8 s: its reply came 6 s after CloudFormation (300 s) and ECS (20 s) were done, on a clock that also moved by the modelled latency of each of its 14 transitions and 8 invocations as they happened; delivering the request and the reply adds 2 s.',
    );
    expect(premium?.closeTheGap).toContain('Start with the waiting after the cloud was done (6 s');
  });

  it('point at the request and reply delivery when it is the larger part', () => {
    const runs = [run('basic', 6, { waitedSeconds: 211 }), run('advanced', 1), run('premium', 1)];

    const [basic] = timeToReadyTargets({ eventDriven: result({ basic: 6, advanced: 1, premium: 1 }, 10, runs) });

    expect(basic?.closeTheGap).toContain('Start with the delivery of the request and the reply');
    expect(basic?.closeTheGap).toContain('(5 s');
  });

  it('explain missed transitions from how they move with the cloud time in the runs', () => {
    const premiumRuns = [3, 6, 9].map((minutes) =>
      run('premium', 2, {
        stackSeconds: minutes * 60,
        servicesSeconds: 0,
        waitedSeconds: minutes * 60,
        billedTransitions: 10 + 2 * minutes,
      }),
    );
    const eventDriven = result({ basic: 1, advanced: 1, premium: 2 }, 22, [
      run('basic', 1),
      run('advanced', 1),
      ...premiumRuns,
    ]);

    const transitions = timeToReadyTargets({ eventDriven, polling }).at(-1);

    expect(transitions?.met).toBe(false);
    expect(transitions?.measured).toBe('22 (median of 3 onboardings; polling: 33)');
    expect(transitions?.why).toContain('took 16 to 28 billed transitions (median 22, 7 over)');
    expect(transitions?.closeTheGap).toContain('each minute of CloudFormation and ECS time added 2.0 transitions');
  });
});

describe('timeToReadySection', () => {
  const tableOf = (text: string, tier: Tier) => text.split(`### ${tier}`)[1]?.split('###')[0] ?? '';

  it('puts both designs side by side in one table per tier, saying the event-driven one was not measured', () => {
    const text = timeToReadySection({ polling });

    for (const tier of benchTiers) {
      expect(tableOf(text, tier)).toContain(
        '| Figure | Event-driven (`timeToReady`) | Polling (`timeToReadyPolling`) |',
      );
    }
    expect(tableOf(text, 'advanced')).toContain('| Lag p95 | not measured in this run | 44 s |');
    expect(tableOf(text, 'premium')).toContain('| Billed transitions (median) | not measured in this run | 33 |');
    expect(text).toContain('polling: 1 onboardings per tier');
    expect(text).toContain('from 0.6× to 1.6×');
    expect(text).toContain('0.05 s per transition');
    expect(text).not.toContain('event-driven: ');
  });

  it('shows the event-driven figures beside the polling ones when both were measured', () => {
    const designs: TimeToReadyDesigns = { eventDriven: result({ basic: 1, advanced: 2, premium: 3 }, 12), polling };

    const text = timeToReadySection(designs);

    expect(tableOf(text, 'premium')).toContain('| Lag p95 | 3 s | 30 s |');
    expect(tableOf(text, 'premium')).toContain('| Billed transitions (median) | 12 | 33 |');
    expect(text).toContain('event-driven: 1 onboardings per tier');
  });
});
