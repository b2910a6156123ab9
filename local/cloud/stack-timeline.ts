/**
 * The event timeline of a stack operation, worked out in full when the operation starts.
 * The CloudFormation simulator shows the entries whose time has come, so a stack's status
 * and events follow the clock without anything running in the background. A resource whose
 * creation the other simulators can refuse (the listener rule) may cut its timeline short
 * when its time comes: {@link failCreationAt}.
 */
import type { CloudEffect } from './stack-effects.ts';
import type { TenantStackModel } from './template-model.ts';
import {
  spread,
  TimelineBuilder,
  type StackIdentity,
  type StackResource,
  type TimelineEntry,
} from './timeline-builder.ts';

export { stackResourceType, type StackIdentity, type StackResource, type TimelineEntry } from './timeline-builder.ts';

/** A resource failure to play out. */
export interface ResourceFailure {
  /** The failing resource; the first ECS service (or the first resource) when absent or unknown. */
  readonly logicalResourceId?: string;
  readonly reason: string;
}

/** A tag of either SDK (CloudFormation's requires both fields, ELB's does not). */
type AnyTag = { readonly Key?: string; readonly Value?: string };

/**
 * The listener rule's tags: the template's, the stack's (CloudFormation propagates them to
 * taggable resources) and the aws:cloudformation:* ones it adds itself.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-resource-tags.html
 */
function listenerRuleTags(
  stack: StackIdentity,
  templateTags: readonly AnyTag[],
  stackTags: readonly AnyTag[],
  logicalId: string,
): { Key: string; Value: string }[] {
  const tags = new Map<string, string>([
    ['aws:cloudformation:stack-name', stack.stackName],
    ['aws:cloudformation:stack-id', stack.stackId],
    ['aws:cloudformation:logical-id', logicalId],
  ]);
  for (const tag of [...stackTags, ...templateTags]) tags.set(tag.Key ?? '', tag.Value ?? '');
  return [...tags].map(([Key, Value]) => ({ Key, Value }));
}

/**
 * The resources a modelled tenant stack creates, in the model's creation order, with the effects
 * on the other simulators of the cluster, target group, listener rule and services it names.
 */
export function tenantStackResources(
  stack: StackIdentity,
  model: TenantStackModel,
  stackTags: readonly AnyTag[] = [],
): StackResource[] {
  const rule = model.listenerRule;
  return model.resources.map(({ logicalResourceId, resourceType, physicalResourceId }): StackResource => {
    const resource = { logicalResourceId, resourceType, physicalResourceId };
    const service = model.services.find((candidate) => candidate.logicalResourceId === logicalResourceId);
    if (resourceType === 'AWS::ECS::Cluster' && model.ownCluster && physicalResourceId === model.clusterName) {
      return { ...resource, removal: { kind: 'remove-cluster', clusterName: model.clusterName } };
    }
    if (resourceType === 'AWS::ElasticLoadBalancingV2::TargetGroup' && physicalResourceId === model.targetGroupArn) {
      return { ...resource, removal: { kind: 'remove-target-group', targetGroupArn: model.targetGroupArn } };
    }
    if (
      resourceType === 'AWS::ElasticLoadBalancingV2::ListenerRule' &&
      rule !== undefined &&
      physicalResourceId === rule.ruleArn
    ) {
      const tags = listenerRuleTags(stack, rule.tags, stackTags, logicalResourceId);
      const removal: CloudEffect = { kind: 'remove-listener-rule', ruleArn: rule.ruleArn };
      return { ...resource, creation: { kind: 'create-listener-rule', rule: { ...rule, tags } }, removal };
    }
    if (resourceType === 'AWS::ECS::Service' && service !== undefined) {
      return {
        ...resource,
        removal: { kind: 'remove-service', clusterName: model.clusterName, serviceName: service.name },
      };
    }
    return resource;
  });
}

function failingIndex(resources: readonly StackResource[], failure: ResourceFailure): number {
  const named = resources.findIndex((resource) => resource.logicalResourceId === failure.logicalResourceId);
  if (named !== -1) return named;
  const service = resources.findIndex((resource) => resource.resourceType === 'AWS::ECS::Service');
  return service === -1 ? 0 : service;
}

/** How a failed creation ends. */
interface FailureEnding {
  /** Resources CloudFormation started, in creation order; the rollback deletes them in reverse. */
  readonly touched: readonly StackResource[];
  /** Whose creation reached the other simulators (their removal must too). */
  readonly created: ReadonlySet<StackResource>;
  /** Logical ids named in the stack's reason. */
  readonly failedIds: readonly string[];
  readonly at: number;
  readonly rollbackMs: number;
  readonly onFailure: 'ROLLBACK' | 'DO_NOTHING';
}

/** The stack's CREATE_FAILED, or ROLLBACK_IN_PROGRESS, the rollback's deletions and ROLLBACK_COMPLETE. */
function endFailedCreation(builder: TimelineBuilder, ending: FailureEnding): void {
  const { at, failedIds } = ending;
  if (ending.onFailure === 'DO_NOTHING') {
    const reason = `The following resource(s) failed to create: [${failedIds.join(', ')}]. `;
    builder.stackEvent(at, 'CREATE_FAILED', reason, reason);
    return;
  }
  const reason = `The following resource(s) failed to create: [${failedIds.join(', ')}]. Rollback requested by user.`;
  builder.stackEvent(at, 'ROLLBACK_IN_PROGRESS', reason, reason);
  builder.deleteAll([...ending.touched].reverse(), at, ending.rollbackMs, (resource) => ending.created.has(resource));
  builder.stackEvent(at + ending.rollbackMs, 'ROLLBACK_COMPLETE', undefined, reason);
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
 * when rollback is off). A resource's creation effect rides on its first event.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-failure-options.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html (StackStatus)
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
    builder.resourceEvent(begin, resource, 'CREATE_IN_PROGRESS', {
      physical: false,
      ...(resource.creation ? { effect: resource.creation } : {}),
    });
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
  if (cancelled)
    builder.resourceEvent(end, cancelled, 'CREATE_FAILED', { physical: false, reason: 'Resource creation cancelled' });
  endFailedCreation(builder, {
    touched: resources.slice(0, failAt + (cancelled ? 2 : 1)),
    created: new Set(resources.slice(0, failAt).filter((resource) => resource.creation !== undefined)),
    failedIds: [cancelled, failed]
      .filter((resource) => resource !== undefined)
      .map((resource) => resource.logicalResourceId),
    at: end,
    rollbackMs: operation.rollbackMs,
    onFailure: operation.onFailure,
  });
  return builder.sorted();
}

/** A creation whose resource was refused when its creation came due. */
export interface RefusedCreation {
  readonly stack: StackIdentity;
  readonly resources: readonly StackResource[];
  /** The stack's timeline as laid out when the creation started. */
  readonly timeline: readonly TimelineEntry[];
  /** The entry whose creation effect was refused (the resource's first CREATE_IN_PROGRESS). */
  readonly refused: TimelineEntry;
  readonly reason: string;
  readonly rollbackMs: number;
  readonly clientRequestToken?: string;
  readonly onFailure: 'ROLLBACK' | 'DO_NOTHING';
}

/**
 * The timeline of a creation cut short at `refused`: what happened until then stays, the
 * resource fails when it would have completed, and the stack rolls back (or stops in
 * CREATE_FAILED) from there.
 */
export function failCreationAt(creation: RefusedCreation): TimelineEntry[] {
  const { refused, timeline } = creation;
  const cut = timeline.indexOf(refused);
  if (cut === -1) throw new Error('failCreationAt: the refused entry is not in the timeline');
  const kept = timeline.slice(0, cut + 1);
  const failed = creation.resources.find((resource) => resource.logicalResourceId === refused.logicalResourceId);
  if (failed === undefined) throw new Error(`failCreationAt: no resource ${refused.logicalResourceId}`);
  const completion = timeline
    .slice(cut + 1)
    .find((entry) => entry.logicalResourceId === failed.logicalResourceId && entry.status === 'CREATE_COMPLETE');
  const at = completion?.at ?? refused.at;
  const started = new Set(kept.map((entry) => entry.logicalResourceId));
  const touched = creation.resources.filter((resource) => started.has(resource.logicalResourceId));
  const builder = new TimelineBuilder(creation.stack, creation.clientRequestToken);
  builder.resourceEvent(at, failed, 'CREATE_FAILED', { physical: false, reason: creation.reason });
  endFailedCreation(builder, {
    touched,
    created: new Set(touched.filter((resource) => resource !== failed && resource.creation !== undefined)),
    failedIds: [failed.logicalResourceId],
    at,
    rollbackMs: creation.rollbackMs,
    onFailure: creation.onFailure,
  });
  return [...kept, ...builder.sorted()];
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
  const always = (): boolean => true;
  builder.stackEvent(start, 'DELETE_IN_PROGRESS', 'User Initiated');
  for (const resource of operation.creating) {
    builder.resourceEvent(start, resource, 'CREATE_FAILED', { physical: false, reason: 'Resource creation cancelled' });
  }
  const order = [...operation.existing, ...operation.creating].reverse();
  const end = start + deleteMs;
  if (failure === undefined || order.length === 0) {
    builder.deleteAll(order, start, deleteMs, always);
    builder.stackEvent(end, 'DELETE_COMPLETE');
    return builder.sorted();
  }
  const failAt = failingIndex(order, failure);
  const slots = spread(start, deleteMs, failAt + 1);
  const [lastBegin] = slots[failAt] as [number, number];
  builder.deleteAll(order.slice(0, failAt), start, lastBegin - start, always);
  const failed = order[failAt] as StackResource;
  builder.resourceEvent(lastBegin, failed, 'DELETE_IN_PROGRESS');
  builder.resourceEvent(end, failed, 'DELETE_FAILED', { reason: failure.reason });
  const reason = `The following resource(s) failed to delete: [${failed.logicalResourceId}]. `;
  builder.stackEvent(end, 'DELETE_FAILED', reason, reason);
  return builder.sorted();
}
