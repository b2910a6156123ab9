/**
 * Step Functions adapter: what the accept step and the failure reporter need to know about
 * executions (is a lock holder still running; where did a failed execution stop).
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { awsErrorName, rethrowAwsError } from './aws-errors.ts';
import { sfnClient } from './aws-clients/sfn.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

export interface ExecutionDescription {
  readonly status: ExecutionStatus;
  /** The execution's input as a JSON string (absent when Step Functions withholds it). */
  readonly input?: string;
}

/** Describes an execution; undefined when Step Functions does not know it. */
export async function describeExecution(executionArn: string): Promise<ExecutionDescription | undefined> {
  try {
    const result = await sfnClient().send(new DescribeExecutionCommand({ executionArn }));
    return {
      status: (result.status ?? 'RUNNING') as ExecutionStatus,
      ...(result.input !== undefined ? { input: result.input } : {}),
    };
  } catch (error) {
    if (awsErrorName(error) === 'ExecutionDoesNotExist') return undefined;
    return rethrowAwsError(error, 'DescribeExecution');
  }
}

/** Pages of history read when looking for the failed state; the failure is always near the end. */
const maxHistoryPages = 3;

/**
 * The name of the last state an execution entered: for a failed, timed-out or aborted
 * execution, the state where it stopped (and where a redrive resumes).
 */
export async function lastEnteredState(executionArn: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  for (let page = 0; page < maxHistoryPages; page += 1) {
    let events: HistoryEvent[];
    try {
      const result = await sfnClient().send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100, includeExecutionData: false, nextToken }),
      );
      events = result.events ?? [];
      nextToken = result.nextToken;
    } catch (error) {
      if (awsErrorName(error) === 'ExecutionDoesNotExist') return undefined;
      return rethrowAwsError(error, 'GetExecutionHistory');
    }
    const entered = events.find((event) => event.stateEnteredEventDetails?.name !== undefined);
    if (entered) return entered.stateEnteredEventDetails?.name;
    if (!nextToken) return undefined;
  }
  return undefined;
}
