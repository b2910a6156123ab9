import { describe, expect, it } from 'vitest';
import {
  loopCount,
  servicesLoopWaits,
  stackLoopWaits,
  transitionsPerExtraLook,
} from '../../../../bench/lib/wait-schedule.ts';
import type { HistoryEntry } from '../../../../local/workflow-runner.ts';

describe("the loops' wait schedules", () => {
  it('stack loop: 30, 45 then 60 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map(stackLoopWaits)).toEqual([30, 45, 60, 60, 60, 60, 60, 60]);
  });

  it('services loop: 8, 11, 17, 25 then 30 s', () => {
    expect([0, 1, 2, 3, 4, 9].map(servicesLoopWaits)).toEqual([8, 11, 17, 25, 30, 30]);
  });
});

describe('loopCount', () => {
  it('takes one look for a resource ready at once', () => {
    expect(loopCount(0, stackLoopWaits)).toEqual({ looks: 1, waits: 0, waitedSeconds: 0 });
  });

  it('counts the looks until the waits add up to the ready time', () => {
    // 30 + 45 + 60 + 60 + 60 = 255 >= 240 after 5 waits.
    expect(loopCount(240, stackLoopWaits)).toEqual({ looks: 6, waits: 5, waitedSeconds: 255 });
    expect(loopCount(360, stackLoopWaits)).toEqual({ looks: 8, waits: 7, waitedSeconds: 375 });
    expect(loopCount(255, stackLoopWaits).looks).toBe(6);
    expect(loopCount(256, stackLoopWaits).looks).toBe(7);
  });

  it('guards against a schedule that never advances', () => {
    expect(() => loopCount(10, () => 0)).toThrow(RangeError);
    expect(() => loopCount(1e9, () => 1, 100)).toThrow(/within 100 looks/);
  });
});

describe('transitionsPerExtraLook', () => {
  const entered = (state: string): HistoryEntry => ({ type: 'StateEntered', state, at: 0 });
  const exited = (state: string): HistoryEntry => ({ type: 'StateExited', state, at: 0 });
  const isLook = (entry: HistoryEntry) => entry.state === 'Look';

  it("counts the billed states between the loop's first and last look, per look after the first", () => {
    const history = [
      entered('Before'),
      entered('Look'),
      exited('Look'),
      entered('Ready?'),
      entered('Wait'),
      entered('Look'),
      { type: 'StateRetried', state: 'Look', at: 0 } as HistoryEntry,
      exited('Look'),
      entered('Ready?'),
      entered('Wait'),
      entered('Look'),
      entered('Ready?'),
      entered('After'),
    ];

    // Second pass: Ready?, Wait, Look; third: Ready?, Wait, Look and a retry (billed): 7 over 2 looks.
    expect(transitionsPerExtraLook(history, isLook)).toBe(3.5);
  });

  it('is undefined for a loop that looked once or never', () => {
    expect(transitionsPerExtraLook([entered('Look'), entered('After')], isLook)).toBeUndefined();
    expect(transitionsPerExtraLook([entered('After')], isLook)).toBeUndefined();
  });
});
