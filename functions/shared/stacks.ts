/**
 * CloudFormation adapter: observe, create and delete tenant stacks, and find out why one failed.
 * SDK exceptions become domain errors here; throttling and 5xx become TransientAwsError.
 */
import { createHash } from 'node:crypto';
import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { cloudFormationClient } from './aws-clients/cloudformation.ts';
import { awsErrorMessage, awsErrorName, rethrowAwsError } from './aws-errors.ts';
import { StackRequestRejectedError } from './errors.ts';

/** What DescribeStacks shows of one stack. */
export interface ObservedStack {
  readonly stackName: string;
  readonly stackId: string;
  /** A CloudFormation StackStatus, e.g. `CREATE_COMPLETE`. */
  readonly status: string;
  readonly statusReason?: string;
  /** The stack's outputs by OutputKey. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** Who is asking: the attempt's identity makes the request tokens deterministic. */
export interface StackRequestContext {
  readonly executionArn: string;
  readonly redriveCount: number;
  /** The role CloudFormation assumes for the stack's resources. */
  readonly roleArn: string;
}

/** A stack to create. */
export interface StackCreation {
  readonly stackName: string;
  readonly templateUrl: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * How CloudFormation took a create or delete request.
 * `accepted`: started (or an identical retry of ours). `token-reused`: our token was already used,
 * so the request is ours and under way. `already-exists`: someone else created the stack.
 */
export type StackRequestOutcome = 'accepted' | 'token-reused' | 'already-exists';

/** Describes a stack by name; undefined when CloudFormation has no such (live) stack. */
export async function describeStack(stackName: string): Promise<ObservedStack | undefined> {
  try {
    const result = await cloudFormationClient().send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = result.Stacks?.[0];
    if (stack === undefined) return undefined;
    const outputs: Record<string, string> = {};
    for (const output of stack.Outputs ?? []) {
      if (output.OutputKey !== undefined && output.OutputValue !== undefined) outputs[output.OutputKey] = output.OutputValue;
    }
    return {
      stackName,
      stackId: stack.StackId ?? stackName,
      status: stack.StackStatus ?? 'UNKNOWN',
      ...(stack.StackStatusReason !== undefined ? { statusReason: stack.StackStatusReason } : {}),
      outputs,
    };
  } catch (error) {
    // CloudFormation reports a missing stack as a plain ValidationError.
    if (awsErrorName(error) === 'ValidationError' && awsErrorMessage(error).includes('does not exist')) return undefined;
    return rethrowAwsError(error, 'DescribeStacks');
  }
}

/** Starts creating a stack that rolls back on failure. */
export async function createStack(stack: StackCreation, context: StackRequestContext): Promise<StackRequestOutcome> {
  const parameters = Object.entries(stack.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
  const tags = Object.entries(stack.tags).map(([Key, Value]) => ({ Key, Value }));
  try {
    await cloudFormationClient().send(
      new CreateStackCommand({
        StackName: stack.stackName,
        TemplateURL: stack.templateUrl,
        ...(parameters.length > 0 ? { Parameters: parameters } : {}),
        ...(tags.length > 0 ? { Tags: tags } : {}),
        Capabilities: ['CAPABILITY_IAM'],
        OnFailure: 'ROLLBACK',
        RoleARN: context.roleArn,
        ClientRequestToken: clientRequestToken('create', context.executionArn, context.redriveCount, stack.stackName),
      }),
    );
    return 'accepted';
  } catch (error) {
    // Created concurrently (by a duplicate invocation or by hand): the next poll sees its status.
    if (awsErrorName(error) === 'AlreadyExistsException') return 'already-exists';
    return mapRequestError(error, 'CreateStack', stack.stackName);
  }
}

/** Starts deleting a stack (CloudFormation accepts this for a stack that is already gone). */
export async function deleteStack(stackName: string, context: StackRequestContext): Promise<StackRequestOutcome> {
  try {
    await cloudFormationClient().send(
      new DeleteStackCommand({
        StackName: stackName,
        RoleARN: context.roleArn,
        ClientRequestToken: clientRequestToken('delete', context.executionArn, context.redriveCount, stackName),
      }),
    );
    return 'accepted';
  } catch (error) {
    return mapRequestError(error, 'DeleteStack', stackName);
  }
}

/** Errors that mean CloudFormation refused the request itself; retrying the same request cannot help. */
const rejectionNames = new Set(['ValidationError', 'InsufficientCapabilitiesException', 'LimitExceededException']);

function mapRequestError(error: unknown, operation: string, stackName: string): 'token-reused' {
  const name = awsErrorName(error);
  if (name === 'TokenAlreadyExistsException') return 'token-reused';
  if (name !== undefined && rejectionNames.has(name)) {
    throw new StackRequestRejectedError(`CloudFormation rejected ${operation} for stack ${stackName}: ${name}: ${awsErrorMessage(error)}`, {
      cause: error,
    });
  }
  return rethrowAwsError(error, operation);
}

/**
 * A ClientRequestToken that is the same for every retry of one attempt's request (so CloudFormation
 * deduplicates it) and different after a redrive. CloudFormation wants `[a-zA-Z][-a-zA-Z0-9]*`, at most 128.
 */
export function clientRequestToken(
  operation: 'create' | 'delete',
  executionArn: string,
  redriveCount: number,
  stackName: string,
): string {
  const digest = createHash('sha256').update(`${executionArn}\n${redriveCount}\n${stackName}\n${operation}`).digest('hex');
  return `${operation}-${digest.slice(0, 40)}`;
}

/** Pages of events read at most; a tenant stack's latest operation fits in far fewer. */
const maxEventPages = 5;

/**
 * The first failing resource of the stack's latest create or delete, as
 * `LogicalId (Type): reason`; undefined when the events name none.
 */
export async function findFirstFailure(stackId: string): Promise<string | undefined> {
  const events: StackEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < maxEventPages; page += 1) {
    try {
      const result = await cloudFormationClient().send(
        new DescribeStackEventsCommand({ StackName: stackId, ...(nextToken !== undefined ? { NextToken: nextToken } : {}) }),
      );
      events.push(...(result.StackEvents ?? []));
      nextToken = result.NextToken;
    } catch (error) {
      return rethrowAwsError(error, 'DescribeStackEvents');
    }
    if (operationStartIndex(events) !== -1 || nextToken === undefined) break;
  }
  return firstFailure(events);
}

/**
 * Picks the first failure from events listed newest first: among the events since the stack's
 * latest user-initiated operation, the oldest `*_FAILED` of a resource other than the stack,
 * skipping the "cancelled" failures CloudFormation reports for resources it stopped because
 * another one failed.
 */
export function firstFailure(eventsNewestFirst: readonly StackEvent[]): string | undefined {
  const start = operationStartIndex(eventsNewestFirst);
  const window = start === -1 ? eventsNewestFirst : eventsNewestFirst.slice(0, start + 1);
  for (let index = window.length - 1; index >= 0; index -= 1) {
    const event = window[index];
    if (event === undefined || isStackItself(event)) continue;
    if (!event.ResourceStatus?.endsWith('_FAILED')) continue;
    if (cancelledReason.test(event.ResourceStatusReason ?? '')) continue;
    return `${event.LogicalResourceId ?? 'unknown resource'} (${event.ResourceType ?? 'unknown type'}): ${event.ResourceStatusReason ?? event.ResourceStatus}`;
  }
  return undefined;
}

const cancelledReason = /^Resource (creation|update|deletion) cancelled\.?$/i;

/** Index of the newest event in which the stack itself began a create or delete; -1 when not listed. */
function operationStartIndex(eventsNewestFirst: readonly StackEvent[]): number {
  return eventsNewestFirst.findIndex(
    (event) => isStackItself(event) && (event.ResourceStatus === 'CREATE_IN_PROGRESS' || event.ResourceStatus === 'DELETE_IN_PROGRESS'),
  );
}

function isStackItself(event: StackEvent): boolean {
  return event.ResourceType === 'AWS::CloudFormation::Stack' && event.LogicalResourceId === event.StackName;
}
