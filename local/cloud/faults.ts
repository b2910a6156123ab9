/**
 * Per-call error injection shared by the simulators: "the next N calls of DescribeStacks throw
 * this throttling error". Tests use it to drive the retry and transient-error paths.
 */

interface PendingFault {
  readonly error: Error;
  remaining: number;
}

/** Operation names compare without case, so `describeStacks` and `DescribeStacks` are one operation. */
function operationKey(operation: string): string {
  return operation.toLowerCase();
}

/** A queue of errors per operation; each entry throws on its next `times` calls. */
export class FaultInjector {
  readonly #faults = new Map<string, PendingFault[]>();

  /** The next `times` calls of `operation` throw `error` (after faults injected earlier for it). */
  inject(operation: string, error: Error, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`times must be a positive integer, got ${times}`);
    const key = operationKey(operation);
    const queue = this.#faults.get(key) ?? [];
    queue.push({ error, remaining: times });
    this.#faults.set(key, queue);
  }

  /** Throws the next injected error of `operation`, if there is one. */
  check(operation: string): void {
    const key = operationKey(operation);
    const queue = this.#faults.get(key);
    const fault = queue?.[0];
    if (queue === undefined || fault === undefined) return;
    fault.remaining -= 1;
    if (fault.remaining === 0) queue.shift();
    if (queue.length === 0) this.#faults.delete(key);
    throw fault.error;
  }

  /** Forgets every injected error. */
  clear(): void {
    this.#faults.clear();
  }
}
