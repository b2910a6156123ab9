/**
 * The workflows' polling loops as numbers: how many looks a loop takes before it sees a resource
 * ready after a given time, from the waits the real steps choose (imported, never copied). The
 * cost section checks these counts against what the real handlers did on a simulated clock, and
 * counts in each run's history what one more look bills (`transitionsPerExtraLook`).
 */
import { nextWaitSeconds } from '../../functions/converge-stacks/converge.ts';
import { waitAfterPolls } from '../../functions/check-services/stability.ts';
import type { HistoryEntry } from '../../local/workflow-runner.ts';

/** Seconds of the Wait that follows the look with this zero-based index. */
export type WaitSchedule = (lookIndex: number) => number;

/** converge-stacks: the first call returns `nextWaitSeconds(0)`, each later one the next step of that function. */
export const stackLoopWaits: WaitSchedule = (lookIndex) => nextWaitSeconds(lookIndex);

/** check-services: the first look reports `polls: 1` and waits `waitAfterPolls(1)`, then `waitAfterPolls(2)`, and so on. */
export const servicesLoopWaits: WaitSchedule = (lookIndex) => waitAfterPolls(lookIndex + 1);

/** How a loop goes for one resource. */
export interface LoopCount {
  /** Task invocations of the loop (the first look included). */
  readonly looks: number;
  /** Wait states entered. */
  readonly waits: number;
  /** Seconds spent in those waits: when the loop saw the resource ready. */
  readonly waitedSeconds: number;
}

/**
 * The looks a loop takes when the resource becomes ready `readySeconds` after the first look
 * (0 or less: ready at the first look). Throws past `maxLooks`, a guard against a schedule that
 * never advances.
 */
export function loopCount(readySeconds: number, schedule: WaitSchedule, maxLooks = 10_000): LoopCount {
  let waitedSeconds = 0;
  let waits = 0;
  while (waitedSeconds < readySeconds) {
    if (waits + 1 >= maxLooks)
      throw new RangeError(`the loop did not reach ${readySeconds} s within ${maxLooks} looks`);
    const wait = schedule(waits);
    if (!(wait > 0)) throw new RangeError(`the schedule gave a wait of ${wait} s after look ${waits}`);
    waitedSeconds += wait;
    waits += 1;
  }
  return { looks: waits + 1, waits, waitedSeconds };
}

/**
 * Billed transitions per look after the first, counted in an execution's history: the states
 * entered (and retries) after the loop's first look up to its last, over the looks after the first.
 * Undefined with fewer than two looks. `isLook` says which entries are the loop's Task.
 */
export function transitionsPerExtraLook(
  history: readonly HistoryEntry[],
  isLook: (entry: HistoryEntry) => boolean,
): number | undefined {
  const lookIndexes = history.flatMap((entry, index) =>
    entry.type === 'StateEntered' && isLook(entry) ? [index] : [],
  );
  const first = lookIndexes[0];
  const last = lookIndexes.at(-1);
  if (first === undefined || last === undefined || first === last) return undefined;
  const billed = history
    .slice(first + 1, last + 1)
    .filter((entry) => entry.type === 'StateEntered' || entry.type === 'StateRetried').length;
  return billed / (lookIndexes.length - 1);
}
