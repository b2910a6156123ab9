/**
 * The CloudFormation simulator's stored state (plain JSON) and how a stored stack looks at a
 * moment in time: its status, its DescribeStacks entry, its events.
 */
import type { Capability, Parameter, Stack, StackEvent, StackStatus, Tag } from '@aws-sdk/client-cloudformation';
import { stackResourceType, type ResourceFailure, type StackResource, type TimelineEntry } from './stack-timeline.ts';
import type { TenantStackModel } from './template-model.ts';

/** One stack as stored, live or deleted. */
export interface StackRecord {
  readonly stackName: string;
  readonly stackId: string;
  readonly templateUrl: string;
  readonly parameters: Parameter[];
  readonly tags: Tag[];
  readonly capabilities: Capability[];
  readonly disableRollback: boolean;
  readonly roleArn?: string;
  readonly creationTime: number;
  /** The ClientRequestToken of the CreateStack call; no later create or delete of this name may reuse it. */
  readonly createToken?: string;
  readonly model: TenantStackModel;
  readonly resources: StackResource[];
  /** Every event of the stack, in time order; entries later than now are not visible yet. */
  timeline: TimelineEntry[];
}

/** A failure queued for the next create or delete of a matching stack. */
export interface FailureRule extends ResourceFailure {
  /** An exact stack name, or a regular expression's source and flags. */
  readonly match: { readonly name: string } | { readonly pattern: string; readonly flags: string };
}

/** The whole state, as `toJSON` writes it and `fromJSON` reads it. */
export interface CloudFormationState {
  readonly version: 1;
  readonly stacks: StackRecord[];
  readonly createFailures: FailureRule[];
  readonly deleteFailures: FailureRule[];
}

/** A failure rule for a stack name or pattern. */
export function failureRule(match: string | RegExp, reason: string, logicalResourceId?: string): FailureRule {
  return {
    match: typeof match === 'string' ? { name: match } : { pattern: match.source, flags: match.flags },
    reason,
    ...(logicalResourceId !== undefined ? { logicalResourceId } : {}),
  };
}

/** Removes and returns the first rule matching the stack name. */
export function takeFailure(rules: FailureRule[], stackName: string): FailureRule | undefined {
  const index = rules.findIndex(({ match }) =>
    'name' in match
      ? match.name === stackName
      : new RegExp(match.pattern, match.flags.replace('g', '')).test(stackName),
  );
  return index === -1 ? undefined : rules.splice(index, 1)[0];
}

/** The stack's entries visible at `now`. */
export function visibleEntries(record: StackRecord, now: number): TimelineEntry[] {
  return record.timeline.filter((entry) => entry.at <= now);
}

function stackEntries(record: StackRecord, now: number): TimelineEntry[] {
  return visibleEntries(record, now).filter(
    (entry) => entry.resourceType === stackResourceType && entry.logicalResourceId === record.stackName,
  );
}

/** The newest entry of the stack itself at `now`. */
function latestStackEntry(record: StackRecord, now: number): TimelineEntry | undefined {
  return stackEntries(record, now).at(-1);
}

/** The stack's status at `now`. */
export function stackStatusAt(record: StackRecord, now: number): StackStatus {
  // A stack always has its first CREATE_IN_PROGRESS entry at its creation time.
  return (latestStackEntry(record, now)?.status ?? 'CREATE_IN_PROGRESS') as StackStatus;
}

/** When the latest stack-level entry of `status` happened at or before `now`. */
function lastStackEntryTime(record: StackRecord, status: string, now: number): number | undefined {
  return stackEntries(record, now).findLast((entry) => entry.status === status)?.at;
}

/** The status of each resource at `now`, by logical id (resources not yet started are absent). */
export function resourceStatusesAt(record: StackRecord, now: number): Map<string, string> {
  const statuses = new Map<string, string>();
  for (const entry of visibleEntries(record, now)) {
    if (entry.resourceType !== stackResourceType) statuses.set(entry.logicalResourceId, entry.status);
  }
  return statuses;
}

/** Statuses in which a stack's outputs are visible (created, not yet gone). */
const statusesWithOutputs = new Set<string>(['CREATE_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_FAILED']);

/** The stack as DescribeStacks shows it at `now`. */
export function stackView(record: StackRecord, now: number): Stack {
  const status = stackStatusAt(record, now);
  const reason = latestStackEntry(record, now)?.stackStatusReason;
  const created = lastStackEntryTime(record, 'CREATE_COMPLETE', now) !== undefined;
  const deletionTime = lastStackEntryTime(record, 'DELETE_IN_PROGRESS', now);
  const outputs = Object.entries(record.model.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }));
  return {
    StackId: record.stackId,
    StackName: record.stackName,
    Parameters: record.parameters.map((parameter) => ({ ...parameter })),
    CreationTime: new Date(record.creationTime),
    ...(deletionTime !== undefined ? { DeletionTime: new Date(deletionTime) } : {}),
    StackStatus: status,
    ...(reason !== undefined ? { StackStatusReason: reason } : {}),
    DisableRollback: record.disableRollback,
    NotificationARNs: [],
    Capabilities: [...record.capabilities],
    ...(created && statusesWithOutputs.has(status) ? { Outputs: outputs } : {}),
    ...(record.roleArn !== undefined ? { RoleARN: record.roleArn } : {}),
    Tags: record.tags.map((tag) => ({ ...tag })),
    EnableTerminationProtection: false,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

/** One timeline entry as DescribeStackEvents shows it. */
export function eventView(record: StackRecord, entry: TimelineEntry): StackEvent {
  return {
    StackId: record.stackId,
    EventId: entry.eventId,
    StackName: record.stackName,
    LogicalResourceId: entry.logicalResourceId,
    ...(entry.physicalResourceId !== undefined ? { PhysicalResourceId: entry.physicalResourceId } : {}),
    ResourceType: entry.resourceType,
    Timestamp: new Date(entry.at),
    ResourceStatus: entry.status,
    ...(entry.reason !== undefined ? { ResourceStatusReason: entry.reason } : {}),
    ...(entry.clientRequestToken !== undefined ? { ClientRequestToken: entry.clientRequestToken } : {}),
  };
}
