import { describe, expect, it } from 'vitest';
import { sweepSchedule, sweepWindowStart } from '../../../../functions/sweep-failures/sweep.ts';

describe('sweepWindowStart', () => {
  const now = Date.parse('2026-11-20T12:00:00Z');

  it('looks back from the time the schedule fired', () => {
    expect(sweepWindowStart('2026-11-20T11:55:00Z', now)).toBe(
      Date.parse('2026-11-20T11:55:00Z') - sweepSchedule.lookbackMinutes * 60_000,
    );
  });

  it.each([undefined, 42, 'not a time', `2026-11-20T11:55:00Z${' '.repeat(100)}`])(
    'looks back from now when the event time is %j',
    (time) => {
      expect(sweepWindowStart(time, now, 30)).toBe(Date.parse('2026-11-20T11:30:00Z'));
    },
  );
});
