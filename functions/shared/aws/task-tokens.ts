/**
 * Step Functions adapter for answering a waiting task: SendTaskSuccess and SendTaskFailure. A token
 * whose task already ended (answered, timed out, its execution stopped or redriven) is refused with
 * TaskTimedOut, TaskDoesNotExist or InvalidToken; that is the normal fate of a duplicate or late event
 * and reads as `closed`, never as an error.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { sfnClient } from './clients/sfn.ts';
import { awsErrorName, rethrowAwsError } from './errors.ts';

/** Whether the answer reached a waiting task, or the task had ended already. */
export type TaskAnswer = 'resumed' | 'closed';

const closedTokenErrors: ReadonlySet<string> = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** Resumes the task with `output` (JSON). */
export async function resumeTask(taskToken: string, output: unknown): Promise<TaskAnswer> {
  try {
    await sfnClient().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    return 'resumed';
  } catch (error) {
    if (closedTokenErrors.has(awsErrorName(error) ?? '')) return 'closed';
    return rethrowAwsError(error, 'SendTaskSuccess');
  }
}

/** Fails the task with `error` and `cause`, as the step would have failed. */
export async function failTask(taskToken: string, error: string, cause: string): Promise<TaskAnswer> {
  try {
    await sfnClient().send(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, 32_768) }));
    return 'resumed';
  } catch (caught) {
    if (closedTokenErrors.has(awsErrorName(caught) ?? '')) return 'closed';
    return rethrowAwsError(caught, 'SendTaskFailure');
  }
}
