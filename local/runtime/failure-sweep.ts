/**
 * The local runtime's failure sweep: the real sweep-failures handler, invoked as its EventBridge
 * schedule would invoke it (a "Scheduled Event"), outside any execution so the replies it sends are
 * attributed to the executions they answer. Overlapping requests (several executions failing at
 * once) share one run that starts after each of them was made, so every failure is swept once it
 * ended, and runs never overlap.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { SweepSummary } from '../../functions/sweep-failures/sweep.ts';
import { lambdaContext, loadHandler } from '../workflow-runner.ts';
import { envelope } from './bus.ts';

/** The schedule rule's name, as the event names it in `resources`. */
const scheduleRuleArn = 'arn:aws:events:us-east-1:111122223333:rule/tenant-orchestrator-failure-sweep';

/** A sweep runner; `sweep()` resolves with the summary of a run that started after the call. */
export function createFailureSweeper(current: AsyncLocalStorage<{ executionArn: string }>) {
  let tail: Promise<unknown> = Promise.resolve();
  let queued: Promise<SweepSummary> | undefined;

  async function invoke(): Promise<SweepSummary> {
    const handler = await loadHandler('sweep-failures');
    const event = envelope({
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      resources: [scheduleRuleArn],
      detail: {},
    });
    return (await handler(event, lambdaContext('tenant-orchestrator-sweep-failures'))) as SweepSummary;
  }

  function sweep(): Promise<SweepSummary> {
    // A run queued but not started yet starts after this call too: join it.
    if (queued !== undefined) return queued;
    const run = tail.then(() => {
      queued = undefined;
      return current.exit(invoke);
    });
    queued = run;
    tail = run.catch(() => undefined);
    return run;
  }

  return { sweep };
}
