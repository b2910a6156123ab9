/**
 * Builds the entries of a stack operation's timeline: stack and resource events the way
 * CloudFormation writes them, each optionally carrying an effect on the other simulators.
 */
import { randomUUID } from 'node:crypto';
import type { ResourceStatus, StackStatus } from '@aws-sdk/client-cloudformation';
import type { CloudEffect } from './stack-effects.ts';

/** A resource of a tenant stack. */
export interface StackResource {
  readonly logicalResourceId: string;
  readonly resourceType: string;
  readonly physicalResourceId: string;
  /** What creating it does to the other simulated services (applied when its creation starts). */
  readonly creation?: CloudEffect;
  /** What deleting it removes from the other simulated services. */
  readonly removal?: CloudEffect;
}

/** One stack event, with what it does to the stack and the other services. */
export interface TimelineEntry {
  readonly at: number;
  readonly eventId: string;
  readonly logicalResourceId: string;
  readonly resourceType: string;
  readonly physicalResourceId?: string;
  /**
   * A resource's status, or for the stack's own events a stack status: DescribeStackEvents reports
   * e.g. UPDATE_COMPLETE_CLEANUP_IN_PROGRESS as the stack's ResourceStatus, which the SDK's
   * ResourceStatus type does not list.
   */
  readonly status: ResourceStatus | StackStatus;
  readonly reason?: string;
  /** Entries of the stack itself: the StackStatusReason DescribeStacks shows from then on. */
  readonly stackStatusReason?: string;
  readonly clientRequestToken?: string;
  readonly effect?: CloudEffect;
  /** Set once the effect has been applied. */
  applied?: boolean;
}

/** The stack an operation runs on. */
export interface StackIdentity {
  readonly stackName: string;
  readonly stackId: string;
}

/** The AWS::CloudFormation::Stack resource type of the stack's own events. */
export const stackResourceType = 'AWS::CloudFormation::Stack';

/** Start and end times of `count` back-to-back steps filling `durationMs` from `start`. */
export function spread(start: number, durationMs: number, count: number): [number, number][] {
  const step = durationMs / Math.max(count, 1);
  return Array.from({ length: count }, (_, index) => [
    start + Math.floor(step * index),
    start + Math.floor(step * (index + 1)),
  ]);
}

/** Collects the entries of one operation. */
export class TimelineBuilder {
  readonly entries: TimelineEntry[] = [];

  constructor(
    private readonly stack: StackIdentity,
    private readonly token: string | undefined,
  ) {}

  stackEvent(at: number, status: StackStatus, reason?: string, stackStatusReason?: string, effect?: CloudEffect): void {
    this.entries.push({
      at,
      eventId: randomUUID(),
      logicalResourceId: this.stack.stackName,
      resourceType: stackResourceType,
      physicalResourceId: this.stack.stackId,
      status,
      ...(reason !== undefined ? { reason } : {}),
      ...(stackStatusReason !== undefined ? { stackStatusReason } : {}),
      ...(this.token !== undefined ? { clientRequestToken: this.token } : {}),
      ...(effect !== undefined ? { effect } : {}),
    });
  }

  resourceEvent(
    at: number,
    resource: StackResource,
    status: ResourceStatus,
    options: { reason?: string; physical?: boolean; effect?: CloudEffect } = {},
  ): void {
    const physical = options.physical ?? true;
    this.entries.push({
      at,
      eventId: `${resource.logicalResourceId}-${randomUUID()}`,
      logicalResourceId: resource.logicalResourceId,
      resourceType: resource.resourceType,
      ...(physical ? { physicalResourceId: resource.physicalResourceId } : {}),
      status,
      ...(options.reason !== undefined ? { reason: options.reason } : {}),
      ...(this.token !== undefined ? { clientRequestToken: this.token } : {}),
      ...(options.effect !== undefined ? { effect: options.effect } : {}),
    });
  }

  /**
   * Deletes `resources` one after the other within the window; `withEffects` says whose removal
   * reaches the other simulators (only what they were told about).
   */
  deleteAll(
    resources: readonly StackResource[],
    start: number,
    durationMs: number,
    withEffects: (resource: StackResource) => boolean,
  ): void {
    spread(start, durationMs, resources.length).forEach(([begin, end], index) => {
      const resource = resources[index] as StackResource;
      this.resourceEvent(begin, resource, 'DELETE_IN_PROGRESS');
      this.resourceEvent(
        end,
        resource,
        'DELETE_COMPLETE',
        withEffects(resource) && resource.removal ? { effect: resource.removal } : {},
      );
    });
  }

  /** The entries in time order (events of one instant keep the order they were added in). */
  sorted(): TimelineEntry[] {
    return this.entries
      .map((entry, index) => ({ entry, index }))
      .sort((a, b) => a.entry.at - b.entry.at || a.index - b.index)
      .map(({ entry }) => entry);
  }
}
