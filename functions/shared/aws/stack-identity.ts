/**
 * The identity of one attempt of an execution (its ARN and `$$.Execution.RedriveCount`) in the
 * forms CloudFormation keeps durably: a stack tag set at CreateStack, and the ClientRequestToken
 * every event of a create or delete carries. The converge-stacks loop reads them back to tell
 * its own stacks from an earlier attempt's, since its own progress output can be lost (a Lambda
 * retry after a timeout runs with the input of the call that did the work).
 * Pure: no I/O, so the loop's decisions can use it.
 */
import { createHash } from 'node:crypto';

/** The stack tag naming the attempt that created the stack. */
export const attemptTagKey = 'tenant-orchestrator:attempt';

/**
 * The attempt tag's value: a digest, because an execution ARN (up to 80 characters of name after
 * a long prefix) plus the count does not fit a tag value's 256 characters in every case, and the
 * tag only has to compare equal. 32 hex digits (128 bits) make a collision between attempts moot.
 */
export function attemptTagValue(executionArn: string, redriveCount: number): string {
  return createHash('sha256').update(`${executionArn}\n${redriveCount}`).digest('hex').slice(0, 32);
}

/**
 * A ClientRequestToken that is the same for every retry of one attempt's request and different
 * after a redrive. CloudFormation wants 1 to 128 characters of `[a-zA-Z0-9][-a-zA-Z0-9]*` and
 * refuses a token already used on the stack name, even across a delete and re-create.
 */
export function clientRequestToken(
  operation: 'create' | 'delete' | 'update',
  executionArn: string,
  redriveCount: number,
  stackName: string,
): string {
  const digest = createHash('sha256')
    .update(`${executionArn}\n${redriveCount}\n${stackName}\n${operation}`)
    .digest('hex');
  return `${operation}-${digest.slice(0, 40)}`;
}
