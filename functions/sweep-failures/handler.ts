/**
 * Failure sweep: an EventBridge schedule rule runs it every few minutes (sweep.ts). It lists the
 * executions of both workflows that ended FAILED, TIMED_OUT or ABORTED within the lookback window
 * and reports each through the failure reporter's own logic (functions/report-failure/report.ts):
 * the same current-state and supersession checks, and the same idempotency records, so a failure
 * whose status event was delivered is not replied to twice, and one whose event was lost is
 * replied to all the same.
 *
 * A report that fails is logged and the rest go on; the run then fails with the first error, so
 * the sweep's error alarm fires, and the next run tries again.
 */
import type { Context } from 'aws-lambda';
import { reportedExecutionStatuses } from '../../events/execution-status.ts';
import {
  readContractConfig,
  readIdempotencyTableName,
  readRegistryTableName,
  readStateMachineArns,
} from '../shared/config/environment.ts';
import { listExecutionsStoppedSince } from '../shared/aws/executions.ts';
import { createLogger, stepHandler } from '../shared/step/handler.ts';
import { createFailureReporter, type ReportFailureOutput } from '../report-failure/report.ts';
import { sweepReserveMilliseconds, type SweepSummary, sweepWindowStart } from './sweep.ts';

const logger = createLogger('sweep-failures');
const stateMachineArns = readStateMachineArns();
const reporter = createFailureReporter({
  logger,
  contractConfig: readContractConfig(),
  stateMachineArns,
  registryTableName: readRegistryTableName(),
  idempotencyTableName: readIdempotencyTableName(),
});

/** The part of the scheduled event the sweep reads. */
interface ScheduledEvent {
  readonly time?: unknown;
}

export const handler = stepHandler(logger, async (event: ScheduledEvent, context: Context): Promise<SweepSummary> => {
  const since = sweepWindowStart(event?.time, Date.now());
  const counts = { listed: 0, replied: 0, notReplied: 0, inProgress: 0, failed: 0 };
  let firstError: unknown;
  let truncated = false;
  const note = (outcome: ReportFailureOutput) => (outcome.sent ? (counts.replied += 1) : (counts.notReplied += 1));
  const fail = (error: unknown, about: Record<string, string>) => {
    counts.failed += 1;
    firstError ??= error;
    logger.error('Failure sweep could not report', { ...about, error: error as Error });
  };

  sweep: for (const stateMachineArn of Object.values(stateMachineArns)) {
    for (const status of reportedExecutionStatuses) {
      try {
        for await (const execution of listExecutionsStoppedSince(stateMachineArn, status, since)) {
          if (context.getRemainingTimeInMillis() < sweepReserveMilliseconds) {
            truncated = true;
            break sweep;
          }
          counts.listed += 1;
          try {
            note(await reporter.report(execution, context));
          } catch (error) {
            // The event's invocation holds the idempotency record right now: it replies.
            if (error instanceof Error && error.name === 'IdempotencyAlreadyInProgressError') counts.inProgress += 1;
            else fail(error, { executionArn: execution.executionArn });
          }
        }
      } catch (error) {
        fail(error, { stateMachineArn, status });
      }
    }
  }

  const summary: SweepSummary = { ...counts, truncated };
  logger.info('Failure sweep done', { ...summary, since: new Date(since).toISOString() });
  if (truncated) logger.warn('Failure sweep stopped short of time; the next run goes on');
  if (firstError !== undefined) throw firstError;
  return summary;
});
