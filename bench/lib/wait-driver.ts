/**
 * Moves a simulated clock for executions that wait for events: while any execution sits in an
 * Await state, the clock jumps to the local cloud's next change (a stack or resource event, a
 * service starting), and the real time it then leaves lets the local cloud's event source see the
 * change, the resumer answer the token and the workflow go on. A workflow that waits for nothing the
 * cloud will do (a wait the cloud never ends) is moved by `fallbackSeconds` instead, so its fallback
 * look is what ends it, as in AWS.
 */
import type { LocalRuntime } from '../../local/runtime/api.ts';
import type { VirtualClock } from './virtual-clock.ts';

/** Real milliseconds the driver leaves the runtime after each jump (the event source looks every 5 ms). */
const settleMs = 30;

export class WaitDriver {
  readonly #clock: VirtualClock;
  readonly #runtime: () => Pick<LocalRuntime, 'nextCloudChangeAt'> | undefined;
  /** Executions in an Await state now. */
  readonly #waiting = new Set<string>();
  #running: Promise<void> | undefined;
  /** Jumps taken so far. */
  jumps = 0;

  constructor(clock: VirtualClock, runtime: () => Pick<LocalRuntime, 'nextCloudChangeAt'> | undefined) {
    this.#clock = clock;
    this.#runtime = runtime;
  }

  /** An execution entered an Await state. */
  waiting(executionArn: string): void {
    this.#waiting.add(executionArn);
    this.#running ??= this.#drive().finally(() => {
      this.#running = undefined;
    });
  }

  /** An execution entered any other state: it no longer waits. */
  moved(executionArn: string): void {
    this.#waiting.delete(executionArn);
  }

  async #drive(): Promise<void> {
    while (this.#waiting.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      if (this.#waiting.size === 0) return;
      const next = this.#runtime()?.nextCloudChangeAt?.();
      if (next === undefined) return;
      const ahead = next - this.#clock.now();
      if (ahead >= 0) {
        this.#clock.advance(ahead + 1);
        this.jumps += 1;
      }
    }
  }
}
