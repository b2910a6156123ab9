/**
 * A clock that jumps: `Date.now()` returns real time plus an offset the benchmark advances, so
 * the local cloud (which reads `Date.now` through its default clock) sees a stack take four
 * minutes while the run takes milliseconds. Only `Date.now` moves; `new Date()` stays real, which
 * only affects timestamps nobody compares with the simulated durations.
 */
export class VirtualClock {
  readonly #realNow: () => number;
  #offsetMs = 0;
  #previous: (() => number) | undefined;

  constructor(realNow?: () => number) {
    const original = Date.now;
    this.#realNow = realNow ?? (() => original.call(Date));
  }

  /** Simulated milliseconds added so far. */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  now(): number {
    return this.#realNow() + this.#offsetMs;
  }

  /** Moves simulated time forward. */
  advance(milliseconds: number): void {
    if (!(milliseconds >= 0)) throw new RangeError(`a clock only moves forward, not by ${milliseconds} ms`);
    this.#offsetMs += milliseconds;
  }

  /** Makes `Date.now` this clock until `uninstall`. */
  install(): void {
    if (this.#previous !== undefined) return;
    this.#previous = Date.now;
    Date.now = () => this.now();
  }

  /** Gives `Date.now` back what it was before `install`. */
  uninstall(): void {
    if (this.#previous === undefined) return;
    Date.now = this.#previous;
    this.#previous = undefined;
  }
}
