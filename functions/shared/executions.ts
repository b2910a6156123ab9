/**
 * Step Functions adapter: what the accept step and the failure reporter need to know about
 * executions (is a lock holder still running; where did a failed execution stop), and the
 * admission function's StartExecution.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
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

/** What to start: a workflow, the execution's name (absent: Step Functions makes one up) and its input (JSON). */
export interface ExecutionStart {
  readonly stateMachineArn: string;
  readonly name?: string;
  readonly input: string;
}

/** A started execution, or one that already had the name (a redelivered request). */
export type StartOutcome =
  | { readonly outcome: 'started'; readonly executionArn: string }
  | { readonly outcome: 'duplicate'; readonly executionArn: string };

/** The ARN Step Functions gives an execution of a state machine: `...:execution:<machine>:<name>`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * StartExecution. A name already used by an execution of the state machine (in the last 90 days)
 * is a duplicate: Step Functions answers ExecutionAlreadyExists when that execution has ended or
 * has another input, and the running execution's ARN when it runs with the same input (then it is
 * reported as started: StartExecution cannot tell the two apart).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 *
 * Throttling and 5xx become TransientAwsError; ExecutionLimitExceeded (the open-executions quota)
 * and anything else propagate under their own name. `client` defaults to the function's own.
 */
export async function startExecution(start: ExecutionStart, client: SFNClient = sfnClient()): Promise<StartOutcome> {
  try {
    const result = await client.send(
      new StartExecutionCommand({ stateMachineArn: start.stateMachineArn, input: start.input, ...(start.name !== undefined ? { name: start.name } : {}) }),
    );
    return { outcome: 'started', executionArn: result.executionArn ?? '' };
  } catch (error) {
    if (awsErrorName(error) === 'ExecutionAlreadyExists' && start.name !== undefined) {
      return { outcome: 'duplicate', executionArn: executionArnOf(start.stateMachineArn, start.name) };
    }
    return rethrowAwsError(error, 'StartExecution');
  }
}
