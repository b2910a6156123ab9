/**
 * Failure reporter: an EventBridge rule sends it the "Step Functions Execution Status Change"
 * event of every onboarding or offboarding execution that FAILED, TIMED_OUT or was ABORTED.
 * It notes the failure on the tenant record and sends the control plane a failure reply that
 * says why, where, and which execution to redrive. A request that cannot be addressed (no
 * registration id) is logged as a rejection, which the CDK app alarms on.
 *
 * Idempotent on (execution, stop time): a redelivered event is not reported twice, while a
 * redriven execution that fails again stops at a new time and is reported again.
 */
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { MiddlewareObj } from '@middy/core';
import { addressOfRequest, buildReply, type FailureDetails, type Operation } from '../../events/contract.ts';
import { putReply } from '../shared/bus.ts';
import { readContractConfig, readIdempotencyTableName, readRegistryTableName, readStateMachineArns } from '../shared/config.ts';
import { describeExecution, lastEnteredState } from '../shared/executions.ts';
import { appendTenantKeys, createLogger, stepHandler } from '../shared/handler.ts';
import { idempotencyOptions } from '../shared/idempotency.ts';
import { createRegistry } from '../shared/registry.ts';
import { createStackSlotRelease } from '../shared/stack-slots.ts';
import { parseStepInput } from '../shared/steps.ts';
import {
  describeFailure,
  type ExecutionStatusChange,
  ExecutionStatusChangeSchema,
  executionNameOf,
  reportedStatuses,
} from './failure.ts';

/** What the reporter did; logged by Lambda, read by tests and the local runtime. */
export interface ReportFailureOutput {
  readonly sent: boolean;
  /** True when the request could not be answered (no registration id). */
  readonly rejected?: boolean;
  readonly eventId?: string;
}

const logger = createLogger('report-failure');
const contractConfig = readContractConfig();
const stateMachineArns = readStateMachineArns();
const registryTableName = readRegistryTableName();
const registry = createRegistry(registryTableName);
const stackSlots = createStackSlotRelease(registryTableName);
const idempotency = idempotencyOptions(readIdempotencyTableName(), '[detail.executionArn, detail.stopDate]');

/** Validates the event before the idempotency layer reads its key. */
const parseEvent: MiddlewareObj<ExecutionStatusChange> = {
  before: (request) => {
    request.event = parseStepInput(ExecutionStatusChangeSchema, request.event, 'report-failure');
  },
};

function operationOf(stateMachineArn: string): Operation | undefined {
  if (stateMachineArn === stateMachineArns.onboarding) return 'onboarding';
  if (stateMachineArn === stateMachineArns.offboarding) return 'offboarding';
  return undefined;
}

/** The request the execution started with: from the event, or from Step Functions when it was too large for the event. */
async function requestOf(detail: ExecutionStatusChange['detail']): Promise<unknown> {
  const raw = detail.input ?? (await describeExecution(detail.executionArn))?.input;
  if (raw === undefined) {
    logger.warn('Execution input is unavailable');
    return undefined;
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    logger.warn('Execution input is not JSON');
    return undefined;
  }
}

/**
 * Notes the failure for operators. Bookkeeping only: it must never stop the reply.
 * Returns false when the execution no longer holds the tenant lock (another operation owns the tenant).
 */
async function noteFailure(tenantId: string, failure: FailureDetails, at: string): Promise<boolean> {
  try {
    const recorded = await registry.recordFailure(tenantId, { ...failure, at });
    if (!recorded) logger.info('Failure not recorded: the execution no longer holds the tenant lock');
    return recorded;
  } catch (error) {
    logger.error('Could not record the failure on the tenant record', { error: error as Error });
    return true;
  }
}

/**
 * Frees the tenant's stack-operation slot, so a failed execution does not hold one until its
 * lease runs out. Bookkeeping only: it must never stop the reply.
 */
async function releaseStackSlot(tenantId: string): Promise<void> {
  try {
    const released = await stackSlots.release(tenantId);
    if (released.length > 0) logger.info('Stack operation slot released', { slots: released });
  } catch (error) {
    logger.error('Could not release the stack operation slot', { error: error as Error });
  }
}

export const handler = stepHandler(logger, async (event: ExecutionStatusChange): Promise<ReportFailureOutput> => {
  const { detail } = event;
  appendTenantKeys(logger, { executionArn: detail.executionArn });

  const operation = operationOf(detail.stateMachineArn);
  if (operation === undefined) {
    logger.warn('Status change of a state machine that is not ours; ignored', { stateMachineArn: detail.stateMachineArn });
    return { sent: false };
  }
  if (!(reportedStatuses as readonly string[]).includes(detail.status)) {
    logger.warn('Execution status needs no failure reply; ignored', { status: detail.status });
    return { sent: false };
  }

  const address = addressOfRequest(await requestOf(detail), contractConfig);
  appendTenantKeys(logger, { tenantId: address.tenantId, registrationId: address.registrationId });
  const executionName = detail.name ?? executionNameOf(detail.executionArn);

  if (address.registrationId === undefined) {
    const failure = describeFailure(detail.status, detail.error, detail.cause, 'Unknown', executionName);
    logger.error('Request rejected and cannot be answered', {
      rejected: true,
      reason: failure.failureReason,
      errorName: failure.errorName,
      executionArn: detail.executionArn,
      ...(address.tenantId !== undefined ? { tenantId: address.tenantId } : {}),
    });
    return { sent: false, rejected: true };
  }

  const failedStep = (await lastEnteredState(detail.executionArn)) ?? 'Unknown';
  const failure: FailureDetails = {
    ...describeFailure(detail.status, detail.error, detail.cause, failedStep, executionName),
    executionArn: detail.executionArn,
  };
  logger.info('Execution stopped', { status: detail.status, failedStep: failure.failedStep, errorName: failure.errorName });

  if (address.tenantId !== undefined) {
    const at = new Date(detail.stopDate ?? Date.now()).toISOString();
    // Slots are held per tenant: once another operation owns the tenant, the slot is its own.
    const lockHeld = await noteFailure(address.tenantId, failure, at);
    if (lockHeld) await releaseStackSlot(address.tenantId);
  }

  const kind = operation === 'onboarding' ? 'provisionFailure' : 'deprovisionFailure';
  const eventId = await putReply(
    buildReply(contractConfig, { registrationId: address.registrationId, tenantId: address.tenantId }, { kind, failure }),
  );
  logger.info('Failure reply sent', { replyKind: kind, eventId });
  return { sent: true, eventId };
})
  .use(parseEvent)
  .use(makeHandlerIdempotent(idempotency));
