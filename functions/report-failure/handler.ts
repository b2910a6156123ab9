/**
 * Failure reporter: an EventBridge rule sends it the "Step Functions Execution Status Change"
 * event of every onboarding or offboarding execution that FAILED, TIMED_OUT or was ABORTED.
 * It notes the failure on the tenant record and sends the control plane a failure reply that
 * says why, where, and which execution to redrive, unless a redrive or a later decision has
 * superseded the failure (see report.ts). A request that cannot be addressed (no registration id)
 * is logged as a rejection, which the CDK app alarms on.
 *
 * Status events are delivered best effort: the scheduled sweep (functions/sweep-failures) reports
 * what they miss, through the same idempotent reporting, so each failure is replied to once.
 */
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import {
  readContractConfig,
  readIdempotencyTableName,
  readRegistryTableName,
  readStateMachineArns,
} from '../shared/config/environment.ts';
import { createLogger, stepHandler } from '../shared/step/handler.ts';
import { parseStepInput } from '../shared/step/schemas.ts';
import { type ExecutionStatusChange, ExecutionStatusChangeSchema } from './failure.ts';
import { createFailureReporter, type ReportFailureOutput } from './report.ts';

export type { ReportFailureOutput } from './report.ts';

const logger = createLogger('report-failure');
const reporter = createFailureReporter({
  logger,
  contractConfig: readContractConfig(),
  stateMachineArns: readStateMachineArns(),
  registryTableName: readRegistryTableName(),
  idempotencyTableName: readIdempotencyTableName(),
});

/** Validates the event before anything reads it. */
const parseEvent: MiddlewareObj<ExecutionStatusChange> = {
  before: (request) => {
    request.event = parseStepInput(ExecutionStatusChangeSchema, request.event, 'report-failure');
  },
};

export const handler = stepHandler(
  logger,
  async (event: ExecutionStatusChange, context: Context): Promise<ReportFailureOutput> => {
    const { detail } = event;
    return reporter.report(
      {
        executionArn: detail.executionArn,
        stateMachineArn: detail.stateMachineArn,
        status: detail.status,
        stopDate: detail.stopDate,
        ...(detail.name !== undefined ? { name: detail.name } : {}),
        redriveCount: detail.redriveCount,
        startDate: detail.startDate,
        input: detail.input,
        error: detail.error,
        cause: detail.cause,
      },
      context,
    );
  },
).use(parseEvent);
