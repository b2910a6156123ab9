/**
 * The failure sweep's schedule and window. Step Functions delivers status-change events best
 * effort ("in some rare cases an event might not be delivered",
 * https://docs.aws.amazon.com/eventbridge/latest/ref/event-delivery-level.html), so a failure
 * reply must not depend on its event alone: every few minutes the sweep lists the executions that
 * ended badly within the lookback window and reports each through the failure reporter, whose
 * replies are idempotent per execution and attempt (its redriveCount).
 */

/** How often the schedule rule runs the sweep, and how far back each run looks. */
export const sweepSchedule = {
  intervalMinutes: 5,
  /**
   * Twelve runs see each failure: eleven can fail in a row (throttling, a deployment) before one
   * is missed, and the sweep's error alarm fires long before. Far shorter than the week the
   * idempotency records of replies are kept, so a failure already replied to is never replied again.
   */
  lookbackMinutes: 60,
} as const;

/** A sweep stops listing when its invocation has less than this left, and leaves the rest to the next run. */
export const sweepReserveMilliseconds = 10_000;

/**
 * Epoch milliseconds of the window's start: the lookback before the time the schedule fired
 * (`time` of the scheduled event), or before `now` when that time is missing or not a time.
 */
export function sweepWindowStart(
  scheduledAt: unknown,
  now: number,
  lookbackMinutes: number = sweepSchedule.lookbackMinutes,
): number {
  const fired = typeof scheduledAt === 'string' && scheduledAt.length <= 64 ? Date.parse(scheduledAt) : Number.NaN;
  return (Number.isFinite(fired) ? fired : now) - lookbackMinutes * 60_000;
}

/** What one sweep did, by execution. */
export interface SweepSummary {
  /** Executions listed as stopped badly within the window. */
  readonly listed: number;
  /** Replied to: by this run, or earlier (by the event, or an earlier run). */
  readonly replied: number;
  /** Not replied to: superseded, or rejected (no registration id to answer). */
  readonly notReplied: number;
  /** Being reported by another invocation at that moment (the event's); it replies. */
  readonly inProgress: number;
  /** Reports that failed (the next run tries again). */
  readonly failed: number;
  /** True when the run stopped early, short of time. */
  readonly truncated: boolean;
}
