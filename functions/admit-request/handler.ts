/**
 * Admission function: the target of the request rules on the control plane's bus. It starts the
 * request's workflow with an input that carries only what the workflows read (see admission.ts),
 * named after the event id, so a redelivered event is recognised by Step Functions and not run
 * twice. A request that cannot be answered (no registration id) starts nothing and is logged as a
 * rejection (`rejected: true`), which the CDK app alarms on.
 *
 * EventBridge invokes it asynchronously: an error (throttling, a 5xx, the open-executions quota)
 * is thrown, so Lambda retries the invocation and, past its retries, the on-failure destination
 * keeps the request in the request dead-letter queue.
 */
import { type Operation, workflowOfOperation } from '../../events/contract.ts';
import { readContractConfig, readStateMachineArns } from '../shared/config/environment.ts';
import { startExecution } from '../shared/aws/executions.ts';
import { appendTenantKeys, createLogger, stepHandler } from '../shared/step/handler.ts';
import { admitRequest } from './admission.ts';

/** What the admission did; read by the local runtime and the tests. */
export interface AdmitRequestOutput {
  /** `started`: the workflow runs; `duplicate`: an execution already had the name; `rejected`: nothing started. */
  readonly outcome: 'started' | 'duplicate' | 'rejected';
  readonly operation?: Operation;
  readonly executionArn?: string;
}

const logger = createLogger('admit-request');
const contractConfig = readContractConfig();
const stateMachineArns = readStateMachineArns();

/** The event id, for the log, when it is a short string (it may be anything when the event is hostile). */
function eventIdOf(event: unknown): string | undefined {
  const id = typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length <= 128 ? id : undefined;
}

export const handler = stepHandler(logger, async (event: unknown): Promise<AdmitRequestOutput> => {
  const admission = admitRequest(event, contractConfig);
  const eventId = eventIdOf(event);
  appendTenantKeys(logger, { tenantId: admission.address.tenantId, registrationId: admission.address.registrationId });
  if (eventId !== undefined) logger.appendKeys({ eventId });

  if (admission.action === 'reject') {
    // The same line and fields as the failure reporter's, so one metric filter shape counts both.
    logger.error('Request rejected and cannot be answered', {
      rejected: true,
      errorName: 'InvalidRequest',
      reason: admission.reason,
      ...(admission.address.operation !== undefined ? { operation: admission.address.operation } : {}),
    });
    return {
      outcome: 'rejected',
      ...(admission.address.operation !== undefined ? { operation: admission.address.operation } : {}),
    };
  }

  const { operation } = admission;
  try {
    const started = await startExecution({
      stateMachineArn: stateMachineArns[workflowOfOperation[operation]],
      ...(admission.executionName !== undefined ? { name: admission.executionName } : {}),
      input: JSON.stringify(admission.input),
    });
    if (started.outcome === 'duplicate') {
      logger.info('Request already admitted: an execution has its name', {
        operation,
        executionArn: started.executionArn,
      });
    } else {
      logger.info('Workflow started', { operation, executionArn: started.executionArn });
    }
    return { outcome: started.outcome, operation, executionArn: started.executionArn };
  } catch (error) {
    // Thrown on: Lambda retries the invocation, then the on-failure destination keeps the request.
    logger.warn('Could not start the workflow; the invocation will be retried', {
      operation,
      errorName: (error as Error).name,
      reason: (error as Error).message,
    });
    throw error;
  }
});
