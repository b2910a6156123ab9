/**
 * Failure reporting, shared by the two ways a stopped execution reaches it: the status-change
 * event (handler.ts, best effort) and the scheduled sweep (functions/sweep-failures), which lists
 * what the events may have missed. This module is the folder's public surface for the sweep.
 *
 * The reporter first reads the execution's current state (DescribeExecution): a failure a redrive
 * has superseded is not replied to. Replies are then idempotent per execution and attempt (its
 * current `redriveCount`), a key both paths read from the same DescribeExecution answer: a failure
 * the event already answered is not answered again by the sweep, and vice versa, while a redriven
 * execution that fails again (a new attempt) is reported again. Last, the tenant's registry record
 * says whether a later decision already answers the registration (supersession.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Context } from 'aws-lambda';
import {
  addressOfRequest,
  buildReply,
  type ContractConfig,
  type FailureDetails,
  failureReplyOf,
  type Operation,
  operationsOfWorkflow,
  type WorkflowName,
} from '../../events/contract.ts';
import { putReply } from '../shared/aws/bus.ts';
import { describeExecution, lastEnteredState } from '../shared/aws/executions.ts';
import { appendTenantKeys } from '../shared/step/handler.ts';
import { idempotencyOptions } from '../shared/step/idempotency.ts';
import { createRegistry } from '../shared/registry/tenants.ts';
import { createStackSlotRelease } from '../shared/registry/stack-slots.ts';
import { describeFailure, executionNameOf, reportedStatuses } from './failure.ts';
import { decideFailureReply, isSupersededAttempt, SupersededBecause } from './supersession.ts';

/** A stopped execution to report, from a status-change event or from ListExecutions. */
export interface StoppedExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly status: string;
  /** Epoch milliseconds. */
  readonly stopDate?: number | null;
  /** The attempt being reported (absent: unknown). */
  readonly redriveCount?: number | null;
  /** Epoch milliseconds. */
  readonly startDate?: number | null;
  readonly name?: string;
  /** What the event carried; the execution's description wins when Step Functions has one. */
  readonly input?: string | null;
  readonly error?: string | null;
  readonly cause?: string | null;
}

/** What the reporter did; logged by Lambda, read by tests and the local runtime. */
export interface ReportFailureOutput {
  readonly sent: boolean;
  /** True when the request could not be answered (no registration id). */
  readonly rejected?: boolean;
  readonly eventId?: string;
  /** Why no reply was sent although the request could be answered: a later attempt or decision answers it. */
  readonly superseded?: SupersededBecause;
}

/** What the reporter needs; read once at cold start by each handler. */
export interface FailureReporterOptions {
  readonly logger: Logger;
  readonly contractConfig: ContractConfig;
  readonly stateMachineArns: Readonly<Record<WorkflowName, string>>;
  readonly registryTableName: string;
  readonly idempotencyTableName: string;
}

/**
 * Prefix of the reply's idempotency keys, the same in both functions: Powertools prefixes keys with
 * the function name by default, which would let the sweep answer again what the event answered.
 */
export const failureReplyKeyPrefix = 'tenant-orchestrator-failure-reply';

/** Idempotency key of a failure reply: one reply per execution and attempt. */
const failureReplyKey = '[executionArn, attempt]';

/** What is known of the failed attempt being replied to; its ARN and attempt key the reply. */
interface FailedAttempt {
  readonly executionArn: string;
  /** The attempt: the execution's redriveCount. */
  readonly attempt: number;
  readonly workflow: WorkflowName;
  readonly name: string;
  readonly status: string;
  readonly error?: string | null;
  readonly cause?: string | null;
  readonly input?: string | null;
  /** Epoch milliseconds. */
  readonly startDate?: number | null;
  /** Epoch milliseconds. */
  readonly stopDate?: number | null;
}

/** The failure reporter of one function. */
export function createFailureReporter(options: FailureReporterOptions) {
  const { logger, contractConfig, stateMachineArns } = options;
  const registry = createRegistry(options.registryTableName);
  const stackSlots = createStackSlotRelease(options.registryTableName);
  const idempotency = idempotencyOptions(options.idempotencyTableName, failureReplyKey);

  function workflowOf(stateMachineArn: string): WorkflowName | undefined {
    return (Object.keys(stateMachineArns) as WorkflowName[]).find(
      (workflow) => stateMachineArns[workflow] === stateMachineArn,
    );
  }

  /**
   * The operation of a workflow's execution: the workflow's own when it has one; the suspension
   * workflow serves two (suspend and resume), told apart by the request's detail type, and falls
   * back to the first (suspend) when the input is unreadable.
   */
  function operationOf(workflow: WorkflowName, requestOperation: Operation | undefined): Operation {
    const operations = operationsOfWorkflow(workflow);
    return requestOperation !== undefined && operations.includes(requestOperation)
      ? requestOperation
      : (operations[0] as Operation);
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

  /** Replies to a failed attempt unless a later decision supersedes it. Wrapped idempotent below. */
  async function replyToFailure(failed: FailedAttempt): Promise<ReportFailureOutput> {
    const { status, error, cause } = failed;
    const startDate = failed.startDate ?? undefined;
    const address = addressOfRequest(requestOf(failed.input ?? undefined), contractConfig);
    const operation = operationOf(failed.workflow, address.operation);
    appendTenantKeys(logger, { tenantId: address.tenantId, registrationId: address.registrationId });
    const executionName = failed.name;

    if (address.registrationId === undefined) {
      const failure = describeFailure(status, error, cause, 'Unknown', executionName);
      logger.error('Request rejected and cannot be answered', {
        rejected: true,
        reason: failure.failureReason,
        errorName: failure.errorName,
        executionArn: failed.executionArn,
        ...(address.tenantId !== undefined ? { tenantId: address.tenantId } : {}),
      });
      return { sent: false, rejected: true };
    }

    const failedStep = (await lastEnteredState(failed.executionArn)) ?? 'Unknown';
    const failure: FailureDetails = {
      ...describeFailure(status, error, cause, failedStep, executionName),
      executionArn: failed.executionArn,
    };
    logger.info('Execution stopped', { status, failedStep: failure.failedStep, errorName: failure.errorName });

    if (address.tenantId !== undefined) {
      const decision = decideFailureReply(await registry.getTenant(address.tenantId), {
        executionArn: failed.executionArn,
        registrationId: address.registrationId,
        ...(address.requestedAt !== undefined ? { requestedAt: address.requestedAt } : {}),
        ...(startDate !== undefined ? { startedAt: new Date(startDate).toISOString() } : {}),
      });
      if (!decision.reply) {
        logger.info('Failure not replied: a later decision answers the registration', {
          superseded: true,
          reason: decision.superseded,
          ...(decision.by !== undefined ? { supersededBy: decision.by } : {}),
        });
        return { sent: false, superseded: decision.superseded };
      }
      // Slots are held per tenant: once another operation owns the tenant, the slot is its own.
      if (
        decision.holdsLock &&
        (await noteFailure(address.tenantId, failure, new Date(failed.stopDate ?? Date.now()).toISOString()))
      ) {
        await releaseStackSlot(address.tenantId);
      }
    }

    const kind = failureReplyOf[operation];
    const eventId = await putReply(
      buildReply(
        contractConfig,
        { registrationId: address.registrationId, tenantId: address.tenantId },
        { kind, failure },
      ),
    );
    logger.info('Failure reply sent', { replyKind: kind, eventId });
    return { sent: true, eventId };
  }

  /** The request the execution started with, or undefined when it is missing or not JSON. */
  function requestOf(raw: string | undefined): unknown {
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

  const replyOnce = makeIdempotent(replyToFailure, { ...idempotency, keyPrefix: failureReplyKeyPrefix });

  /**
   * Reports one stopped execution of the orchestrator's workflows: nothing when a redrive has
   * superseded the failure, else the reply (once per attempt). `context`, when given, bounds the
   * idempotency record's in-progress state to this invocation's remaining time, so a timed-out
   * invocation does not block the retry.
   *
   * @throws what the calls throw (TransientAwsError on throttling); nothing is recorded as replied then.
   */
  async function report(stopped: StoppedExecution, context?: Context): Promise<ReportFailureOutput> {
    appendTenantKeys(logger, { executionArn: stopped.executionArn });
    try {
      const workflow = workflowOf(stopped.stateMachineArn);
      if (workflow === undefined) {
        logger.warn('Status change of a state machine that is not ours; ignored', {
          stateMachineArn: stopped.stateMachineArn,
        });
        return { sent: false };
      }
      if (!(reportedStatuses as readonly string[]).includes(stopped.status)) {
        logger.warn('Execution status needs no failure reply; ignored', { status: stopped.status });
        return { sent: false };
      }
      const current = await describeExecution(stopped.executionArn);
      if (current !== undefined && isSupersededAttempt(current, stopped)) {
        logger.info('Failure not replied: the execution was redriven since', {
          superseded: true,
          reason: SupersededBecause.redriven,
          status: current.status,
          redriveCount: current.redriveCount,
          reportedRedriveCount: stopped.redriveCount ?? undefined,
        });
        return { sent: false, superseded: SupersededBecause.redriven };
      }
      if (context !== undefined) idempotency.config.registerLambdaContext(context);
      // The execution's own answer first: the sweep's listing carries no input, error or cause.
      return await replyOnce({
        executionArn: stopped.executionArn,
        attempt: current?.redriveCount ?? stopped.redriveCount ?? 0,
        workflow,
        name: stopped.name ?? executionNameOf(stopped.executionArn),
        status: current?.status ?? stopped.status,
        error: current?.error ?? stopped.error,
        cause: current?.cause ?? stopped.cause,
        input: current?.input ?? stopped.input,
        startDate: current?.startDate ?? stopped.startDate,
        stopDate: current?.stopDate ?? stopped.stopDate,
      });
    } finally {
      // The sweep reports many executions in one invocation: one's ids must not label the next one's lines.
      logger.removeKeys(['executionArn', 'tenantId', 'registrationId']);
    }
  }

  return { report };
}
