/**
 * The event timeline of a stack operation, worked out in full when the operation starts.
 * The CloudFormation simulator shows the entries whose time has come, so a stack's status
 * and events follow the clock without anything running in the background.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ResourceStatus } from '@aws-sdk/client-cloudformation';
import { simulatedAccount, simulatedRegion } from './aws-shapes.ts';
import type { CloudEffect } from './stack-effects.ts';
import type { TenantStackModel } from './template-model.ts';

/** A resource of a tenant stack. */
export interface StackResource {
  readonly logicalResourceId: string;
  readonly resourceType: string;
  readonly physicalResourceId: string;
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
  readonly status: ResourceStatus;
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

/** A resource failure to play out. */
export interface ResourceFailure {
  /** The failing resource; the first ECS service (or the first resource) when absent or unknown. */
  readonly logicalResourceId?: string;
  readonly reason: string;
}

/** The AWS::CloudFormation::Stack resource type of the stack's own events. */
export const stackResourceType = 'AWS::CloudFormation::Stack';

/** The resources a modelled tenant stack creates, in creation order. */
export function tenantStackResources(stackName: string, model: TenantStackModel): StackResource[] {
  const ecsArn = `arn:aws:ecs:${simulatedRegion}:${simulatedAccount}`;
  const resources: StackResource[] = [];
  if (model.ownCluster) {
    const removal: CloudEffect = { kind: 'remove-cluster', clusterName: model.clusterName };
    resources.push({ logicalResourceId: 'Cluster', resourceType: 'AWS::ECS::Cluster', physicalResourceId: model.clusterName, removal });
  }
  resources.push({
    logicalResourceId: 'TargetGroup',
    resourceType: 'AWS::ElasticLoadBalancingV2::TargetGroup',
    physicalResourceId: model.targetGroupArn,
    removal: { kind: 'remove-target-group', targetGroupArn: model.targetGroupArn },
  });
  resources.push({
    logicalResourceId: 'TaskExecutionRole',
    resourceType: 'AWS::IAM::Role',
    physicalResourceId: `${stackName.slice(0, 40)}-TaskExecutionRole-${createHash('sha256').update(stackName).digest('hex').slice(0, 12).toUpperCase()}`,
  });
  model.services.forEach((service, index) => {
    resources.push({
      logicalResourceId: `TaskDefinition${index}`,
      resourceType: 'AWS::ECS::TaskDefinition',
      physicalResourceId: `${ecsArn}:task-definition/${service.name}:1`,
    });
    resources.push({
      logicalResourceId: `Service${index}`,
      resourceType: 'AWS::ECS::Service',
      physicalResourceId: `${ecsArn}:service/${model.clusterName}/${service.name}`,
      removal: { kind: 'remove-service', clusterName: model.clusterName, serviceName: service.name },
    });
  });
  return resources;
}

/** Start and end times of `count` back-to-back steps filling `durationMs` from `start`. */
function spread(start: number, durationMs: number, count: number): [number, number][] {
  const step = durationMs / Math.max(count, 1);
  return Array.from({ length: count }, (_, index) => [start + Math.floor(step * index), start + Math.floor(step * (index + 1))]);
}

function failingIndex(resources: readonly StackResource[], failure: ResourceFailure): number {
  const named = resources.findIndex((resource) => resource.logicalResourceId === failure.logicalResourceId);
  if (named !== -1) return named;
  const service = resources.findIndex((resource) => resource.resourceType === 'AWS::ECS::Service');
  return service === -1 ? 0 : service;
}

class TimelineBuilder {
  readonly entries: TimelineEntry[] = [];

  constructor(
    private readonly stack: StackIdentity,
    private readonly token: string | undefined,
  ) {}

  stackEvent(at: number, status: ResourceStatus, reason?: string, stackStatusReason?: string, effect?: CloudEffect): void {
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

  resourceEvent(at: number, resource: StackResource, status: ResourceStatus, options: { reason?: string; physical?: boolean; effect?: CloudEffect } = {}): void {
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

  /** Deletes `resources` one after the other within the window; returns when the last one is gone. */
  deleteAll(resources: readonly StackResource[], start: number, durationMs: number, withEffects: boolean): void {
    spread(start, durationMs, resources.length).forEach(([begin, end], index) => {
      const resource = resources[index] as StackResource;
      this.resourceEvent(begin, resource, 'DELETE_IN_PROGRESS');
      this.resourceEvent(end, resource, 'DELETE_COMPLETE', withEffects && resource.removal ? { effect: resource.removal } : {});
    });
  }

  /** The entries in time order (events of one instant keep the order they were added in). */
  sorted(): TimelineEntry[] {
    return this.entries.map((entry, index) => ({ entry, index })).sort((a, b) => a.entry.at - b.entry.at || a.index - b.index).map(({ entry }) => entry);
  }
}

/** A stack creation to play out. */
export interface CreateOperation {
  readonly stack: StackIdentity;
  readonly resources: readonly StackResource[];
  readonly start: number;
  readonly createMs: number;
  readonly rollbackMs: number;
  readonly clientRequestToken?: string;
  readonly onFailure: 'ROLLBACK' | 'DO_NOTHING';
  readonly failure?: ResourceFailure;
  /** Applied when the stack reaches CREATE_COMPLETE. */
  readonly registration: CloudEffect;
}

/**
 * Creation: resources one after the other, then CREATE_COMPLETE. With a failure, the failing
 * resource's CREATE_FAILED (and "Resource creation cancelled" for the one started alongside it),
 * then ROLLBACK_IN_PROGRESS, the rollback's deletions and ROLLBACK_COMPLETE (or CREATE_FAILED
 * when rollback is off).
 */
export function createTimeline(operation: CreateOperation): TimelineEntry[] {
  const { resources, start, createMs, failure } = operation;
  const builder = new TimelineBuilder(operation.stack, operation.clientRequestToken);
  builder.stackEvent(start, 'CREATE_IN_PROGRESS', 'User Initiated');
  const end = start + createMs;
  const failAt = failure === undefined || resources.length === 0 ? resources.length : failingIndex(resources, failure);
  const slots = spread(start, createMs, Math.min(failAt + 1, resources.length));
  for (let index = 0; index < Math.min(failAt, resources.length); index += 1) {
    const [begin, finish] = slots[index] as [number, number];
    const resource = resources[index] as StackResource;
    builder.resourceEvent(begin, resource, 'CREATE_IN_PROGRESS', { physical: false });
    builder.resourceEvent(begin, resource, 'CREATE_IN_PROGRESS', { reason: 'Resource creation Initiated' });
    builder.resourceEvent(finish, resource, 'CREATE_COMPLETE');
  }
  if (failure === undefined || failAt >= resources.length) {
    builder.stackEvent(end, 'CREATE_COMPLETE', undefined, undefined, operation.registration);
    return builder.sorted();
  }
  // The failing resource and the one CloudFormation started alongside it (cancelled by the failure).
  const failed = resources[failAt] as StackResource;
  const cancelled = resources[failAt + 1];
  const [begin] = slots[failAt] as [number, number];
  for (const resource of cancelled ? [failed, cancelled] : [failed]) {
    builder.resourceEvent(begin, resource, 'CREATE_IN_PROGRESS', { physical: false });
  }
  builder.resourceEvent(end, failed, 'CREATE_FAILED', { physical: false, reason: failure.reason });
  if (cancelled) builder.resourceEvent(end, cancelled, 'CREATE_FAILED', { physical: false, reason: 'Resource creation cancelled' });
  const failedIds = [cancelled, failed].filter((resource) => resource !== undefined).map((resource) => resource.logicalResourceId);
  if (operation.onFailure === 'DO_NOTHING') {
    const reason = `The following resource(s) failed to create: [${failedIds.join(', ')}]. `;
    builder.stackEvent(end, 'CREATE_FAILED', reason, reason);
    return builder.sorted();
  }
  const reason = `The following resource(s) failed to create: [${failedIds.join(', ')}]. Rollback requested by user.`;
  builder.stackEvent(end, 'ROLLBACK_IN_PROGRESS', reason, reason);
  const touched = resources.slice(0, failAt + (cancelled ? 2 : 1)).reverse();
  builder.deleteAll(touched, end, operation.rollbackMs, false);
  builder.stackEvent(end + operation.rollbackMs, 'ROLLBACK_COMPLETE', undefined, reason);
  return builder.sorted();
}

/** A stack deletion to play out. */
export interface DeleteOperation {
  readonly stack: StackIdentity;
  /** Resources that exist, in creation order. */
  readonly existing: readonly StackResource[];
  /** Resources still being created: their creation is cancelled first. */
  readonly creating: readonly StackResource[];
  readonly start: number;
  readonly deleteMs: number;
  readonly clientRequestToken?: string;
  readonly failure?: ResourceFailure;
}

/**
 * Deletion: resources in reverse creation order, then DELETE_COMPLETE; with a failure, the
 * resources before the failing one are gone, it reports DELETE_FAILED, and so does the stack.
 */
export function deleteTimeline(operation: DeleteOperation): TimelineEntry[] {
  const { start, deleteMs, failure } = operation;
  const builder = new TimelineBuilder(operation.stack, operation.clientRequestToken);
  builder.stackEvent(start, 'DELETE_IN_PROGRESS', 'User Initiated');
  for (const resource of operation.creating) {
    builder.resourceEvent(start, resource, 'CREATE_FAILED', { physical: false, reason: 'Resource creation cancelled' });
  }
  const order = [...operation.existing, ...operation.creating].reverse();
  const end = start + deleteMs;
  if (failure === undefined || order.length === 0) {
    builder.deleteAll(order, start, deleteMs, true);
    builder.stackEvent(end, 'DELETE_COMPLETE');
    return builder.sorted();
  }
  const failAt = failingIndex(order, failure);
  const slots = spread(start, deleteMs, failAt + 1);
  const [lastBegin] = slots[failAt] as [number, number];
  builder.deleteAll(order.slice(0, failAt), start, lastBegin - start, true);
  const failed = order[failAt] as StackResource;
  builder.resourceEvent(lastBegin, failed, 'DELETE_IN_PROGRESS');
  builder.resourceEvent(end, failed, 'DELETE_FAILED', { reason: failure.reason });
  const reason = `The following resource(s) failed to delete: [${failed.logicalResourceId}]. `;
  builder.stackEvent(end, 'DELETE_FAILED', reason, reason);
  return builder.sorted();
}
