import { describe, expect, it } from 'vitest';
import { prices } from '../../../../bench/lib/pricing.ts';
import type { BenchResults, TargetCheck } from '../../../../bench/report/results.ts';
import { headline, summaryMarkdown, targetResult } from '../../../../bench/report/summary.ts';
import { durationSpread, modelledLatencies, type TimeToReadyResult } from '../../../../bench/sections/time-to-ready.ts';

const tiers = (lag: number, transitions: number): TimeToReadyResult['tiers'] => ({
  basic: { lagSecondsP50: lag, lagSecondsP95: lag, billedTransitions: 8 },
  advanced: { lagSecondsP50: lag, lagSecondsP95: lag, billedTransitions: 20 },
  premium: { lagSecondsP50: lag, lagSecondsP95: lag, billedTransitions: transitions },
});

const polling: TimeToReadyResult = {
  seed: 1,
  runsPerTier: 5,
  latencies: modelledLatencies,
  spread: durationSpread,
  tiers: tiers(31, 33),
  runs: [],
};

function results(extra: Partial<BenchResults>): BenchResults {
  return {
    generatedAt: '2026-12-06T00:00:00.000Z',
    mode: 'full',
    durationSeconds: 60,
    machine: { node: 'v24', cpus: 2, loadAverage: [1, 1, 1], platform: 'linux x64' },
    pricesCheckedOn: '2026-11',
    prices,
    targets: [],
    ...extra,
  };
}

const check = (target: string, fields: Partial<TargetCheck>): TargetCheck => ({
  target,
  measured: '1',
  met: true,
  ...fields,
});

describe('targetResult', () => {
  it('reads met, MISSED, or not measured', () => {
    expect(targetResult(check('a', {}))).toBe('met');
    expect(targetResult(check('a', { met: false }))).toBe('MISSED');
    expect(targetResult(check('a', { met: false, notMeasured: true }))).toBe('not measured');
  });
});

describe('summaryMarkdown', () => {
  it('says a quick run is not for committing', () => {
    expect(summaryMarkdown(results({ mode: 'quick' }))).toContain(
      '> A quick run: smaller samples or missing sections.',
    );
    expect(summaryMarkdown(results({}))).not.toContain('> A ');
  });

  it('lists a target the run did not measure apart from the missed ones, and does not call the rest all met', () => {
    const text = summaryMarkdown(
      results({
        targets: [
          check('cheap', {}),
          check('fast', { met: false, notMeasured: true, why: 'Only polling was measured.' }),
        ],
      }),
    );

    expect(text).toContain('| fast | 1 | not measured |');
    expect(text).toContain('Every target measured is met.');
    expect(text).not.toContain('Every target is met.');
    expect(text).toContain('**fast: not measured in this run.** Only polling was measured.');
    expect(text).not.toContain('**fast: missed.**');
  });

  it("renders an earlier latest.json's bare polling result as the polling column", () => {
    const text = summaryMarkdown(results({ timeToReadyPolling: polling.tiers, timeToReadyRuns: polling }));

    expect(text).toContain('## Time to ready (local runtime, simulated clock)');
    expect(text).toContain('| Lag p95 | not measured in this run | 31 s |');
  });
});

describe('headline', () => {
  it('labels both designs, and shows no event-driven line when it was not measured', () => {
    const onlyPolling = headline(results({ timeToReadyPolling: polling.tiers }));
    const both = headline(results({ timeToReady: tiers(2, 12), timeToReadyPolling: polling.tiers }));

    expect(onlyPolling).toContain('time to ready (polling; local runtime, simulated clock): premium');
    expect(onlyPolling).not.toContain('event-driven');
    expect(both).toMatch(
      /time to ready \(event-driven; local runtime, simulated clock\): premium\s+lag p50 2 s, p95 2 s, 12 transitions/,
    );
  });
});
