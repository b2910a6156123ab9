/**
 * A stack update, worked out in full when UpdateStack starts, like a creation (stack-timeline.ts):
 * what changes between the old and the new template evaluation, and the events CloudFormation
 * writes for it, each carrying its effect on ECS and ELB.
 *
 * Success: UPDATE_IN_PROGRESS, each changed resource UPDATE_IN_PROGRESS / UPDATE_COMPLETE (a new
 * one CREATE_IN_PROGRESS / CREATE_COMPLETE) in creation order, UPDATE_COMPLETE_CLEANUP_IN_PROGRESS
 * (resources the new template no longer has are deleted then), UPDATE_COMPLETE.
 * Failure: the failing resource's UPDATE_FAILED (or CREATE_FAILED), UPDATE_ROLLBACK_IN_PROGRESS
 * ("The following resource(s) failed to update: [X]. "), the updated resources updated back in
 * reverse order, UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS (resources the update created are
 * deleted then), UPDATE_ROLLBACK_COMPLETE; or, when the rollback itself fails, that resource's
 * UPDATE_FAILED and UPDATE_ROLLBACK_FAILED.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-monitor-stack.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes
 *
 * Replacement is not modelled: a change that gives a resource another physical id (a new name,
 * listener or priority) throws a TemplateEvaluationError instead of making up a replacement.
 * Changes are made one resource after the other in creation order (CloudFormation runs
 * independent ones in parallel). A rule change takes effect in ELB when its event comes due,
 * whereas ELB says "Rule updates do not take effect immediately"
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-rule.html): a caller
 * must not read "UPDATE_COMPLETE" as "no request reaches the old action any more".
 */
import type { CloudEffect } from './stack-effects.ts';
import type { StackConfiguration, StackRecord } from './stack-records.ts';
import { tenantStackResources } from './stack-timeline.ts';
import { TemplateEvaluationError } from './template-evaluator.ts';
import {
  spread,
  TimelineBuilder,
  type StackIdentity,
  type StackResource,
  type TimelineEntry,
} from './timeline-builder.ts';

/** What an update does to one resource. */
export interface ResourceChange {
  readonly kind: 'create' | 'update';
  readonly resource: StackResource;
  /** Applied when its first IN_PROGRESS event comes due. */
  readonly forward?: CloudEffect;
  /** Applied when the rollback's UPDATE_IN_PROGRESS of it comes due (updates only). */
  readonly revert?: CloudEffect;
}

/** An update's changes, as UpdateStack works them out from the old and new configurations. */
export interface UpdatePlan {
  readonly start: number;
  readonly clientRequestToken?: string;
  readonly previous: StackConfiguration;
  readonly next: StackConfiguration;
  /** Resources the update creates or changes, in the new template's creation order. */
  readonly changes: readonly ResourceChange[];
  /** Resources the new template no longer has, in deletion order (reverse creation order). */
  readonly removals: readonly StackResource[];
  readonly updateMs: number;
  readonly rollbackMs: number;
  readonly deleteMs: number;
  /** The rollback fails on its first resource with this reason (UPDATE_ROLLBACK_FAILED). */
  readonly rollbackFailureReason?: string;
}

/** A failure to play out in an update. */
export interface UpdateFailure {
  /** The failing resource; the first changed ECS service (or the first change) when absent or unknown. */
  readonly logicalResourceId?: string;
  readonly reason: string;
  readonly rollbackFailureReason?: string;
}

function ruleOf(resource: StackResource | undefined): CloudEffect | undefined {
  const creation = resource?.creation;
  return creation?.kind === 'create-listener-rule' ? { kind: 'update-listener-rule', rule: creation.rule } : undefined;
}

/** The effects of updating a resource both ways: the rule's new and old lists, the service's new and old count. */
function updateEffects(
  logicalId: string,
  previous: StackConfiguration,
  next: StackConfiguration,
  oldResource: StackResource,
  newResource: StackResource,
): Pick<ResourceChange, 'forward' | 'revert'> {
  const forwardRule = ruleOf(newResource);
  const revertRule = ruleOf(oldResource);
  if (forwardRule !== undefined && revertRule !== undefined) return { forward: forwardRule, revert: revertRule };
  const newService = next.model.services.find((service) => service.logicalResourceId === logicalId);
  const oldService = previous.model.services.find((service) => service.logicalResourceId === logicalId);
  if (newService !== undefined && oldService !== undefined) {
    const scale = (desiredCount: number): CloudEffect => ({
      kind: 'scale-service',
      clusterName: next.model.clusterName,
      serviceName: newService.name,
      desiredCount,
    });
    return { forward: scale(newService.desiredCount), revert: scale(oldService.desiredCount) };
  }
  return {};
}

/** What creating a resource in an update does: a service is registered, a rule created. */
function creationEffect(logicalId: string, next: StackConfiguration, resource: StackResource): CloudEffect | undefined {
  if (resource.creation !== undefined) return resource.creation;
  const service = next.model.services.find((candidate) => candidate.logicalResourceId === logicalId);
  return service === undefined
    ? undefined
    : { kind: 'register-services', clusterName: next.model.clusterName, services: [service] };
}

/**
 * The changes from `previous` to `next`: resources only the new template has are created, those
 * whose evaluated properties differ are updated in place, those only the old one has are removed.
 */
export function planChanges(
  stack: StackIdentity,
  previous: StackConfiguration,
  next: StackConfiguration,
  stackTags: readonly { Key?: string; Value?: string }[],
): Pick<UpdatePlan, 'changes' | 'removals'> {
  const oldResources = tenantStackResources(stack, previous.model, stackTags);
  const newResources = tenantStackResources(stack, next.model, stackTags);
  const oldModelled = new Map(previous.model.resources.map((resource) => [resource.logicalResourceId, resource]));
  const newModelled = new Map(next.model.resources.map((resource) => [resource.logicalResourceId, resource]));
  const changes: ResourceChange[] = [];
  for (const resource of newResources) {
    const id = resource.logicalResourceId;
    const before = oldModelled.get(id);
    const after = newModelled.get(id);
    if (before === undefined) {
      const forward = creationEffect(id, next, resource);
      changes.push({ kind: 'create', resource, ...(forward !== undefined ? { forward } : {}) });
      continue;
    }
    if (after === undefined || before.propertiesDigest === after.propertiesDigest) continue;
    if (before.physicalResourceId !== after.physicalResourceId) {
      throw new TemplateEvaluationError(
        `Updating ${id} would replace it (${before.physicalResourceId} -> ${after.physicalResourceId}); the local cloud does not model replacement`,
      );
    }
    const oldResource = oldResources.find((candidate) => candidate.logicalResourceId === id) as StackResource;
    changes.push({ kind: 'update', resource, ...updateEffects(id, previous, next, oldResource, resource) });
  }
  const removals = oldResources.filter((resource) => !newModelled.has(resource.logicalResourceId)).reverse();
  return { changes, removals };
}

function failingIndex(changes: readonly ResourceChange[], failure: UpdateFailure): number {
  const named = changes.findIndex((change) => change.resource.logicalResourceId === failure.logicalResourceId);
  if (named !== -1) return named;
  const service = changes.findIndex((change) => change.resource.resourceType === 'AWS::ECS::Service');
  return service === -1 ? 0 : service;
}

/** A short phase with nothing to delete still takes a moment, so pollers can see its status. */
function phaseMs(plan: UpdatePlan, deletions: number): number {
  return deletions > 0 ? plan.deleteMs : Math.max(1, Math.floor(plan.updateMs / 10));
}

function startChange(builder: TimelineBuilder, at: number, change: ResourceChange, withEffect: boolean): void {
  const effect = withEffect && change.forward !== undefined ? { effect: change.forward } : {};
  if (change.kind === 'create') {
    builder.resourceEvent(at, change.resource, 'CREATE_IN_PROGRESS', { physical: false, ...effect });
    builder.resourceEvent(at, change.resource, 'CREATE_IN_PROGRESS', { reason: 'Resource creation Initiated' });
  } else builder.resourceEvent(at, change.resource, 'UPDATE_IN_PROGRESS', effect);
}

/** How a failed update ends, from the failing resource's failure at `at`. */
interface RollbackStart {
  /** Changes made before the failing one (their effects reached the other simulators). */
  readonly done: readonly ResourceChange[];
  readonly failed: ResourceChange;
  readonly at: number;
}

/** UPDATE_ROLLBACK_IN_PROGRESS, the updates undone in reverse, the cleanup of what the update created, the end. */
function layRollback(builder: TimelineBuilder, plan: UpdatePlan, rollback: RollbackStart): void {
  const { done, failed, at } = rollback;
  const verb = failed.kind === 'create' ? 'create' : 'update';
  const reason = `The following resource(s) failed to ${verb}: [${failed.resource.logicalResourceId}]. `;
  builder.stackEvent(at, 'UPDATE_ROLLBACK_IN_PROGRESS', reason, reason);
  const touched = [...done, failed];
  const toRevert = touched.filter((change) => change.kind === 'update').reverse();
  const slots = spread(at, plan.rollbackMs, toRevert.length);
  for (const [index, change] of toRevert.entries()) {
    const [begin, end] = slots[index] as [number, number];
    builder.resourceEvent(begin, change.resource, 'UPDATE_IN_PROGRESS', change.revert ? { effect: change.revert } : {});
    if (plan.rollbackFailureReason !== undefined) {
      builder.resourceEvent(end, change.resource, 'UPDATE_FAILED', { reason: plan.rollbackFailureReason });
      const stuck = `The following resource(s) failed to update: [${change.resource.logicalResourceId}]. `;
      builder.stackEvent(end, 'UPDATE_ROLLBACK_FAILED', stuck, stuck);
      return;
    }
    builder.resourceEvent(end, change.resource, 'UPDATE_COMPLETE');
  }
  const cleanupStart = at + plan.rollbackMs;
  builder.stackEvent(cleanupStart, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
  const created = touched.filter((change) => change.kind === 'create').reverse();
  const cleanupMs = phaseMs(plan, created.length);
  const reached = new Set(done.filter((change) => change.forward !== undefined).map((change) => change.resource));
  builder.deleteAll(
    created.map((change) => change.resource),
    cleanupStart,
    cleanupMs,
    (resource) => reached.has(resource),
  );
  builder.stackEvent(cleanupStart + cleanupMs, 'UPDATE_ROLLBACK_COMPLETE');
}

/** The events of an update (see the module comment), with a failure when one was injected. */
export function updateTimeline(
  stack: StackIdentity,
  plan: UpdatePlan,
  failure?: UpdateFailure,
): { entries: TimelineEntry[]; rollbackAt?: number } {
  const { changes, start, updateMs } = plan;
  const builder = new TimelineBuilder(stack, plan.clientRequestToken);
  builder.stackEvent(start, 'UPDATE_IN_PROGRESS', 'User Initiated');
  const end = start + updateMs;
  const failAt = failure === undefined || changes.length === 0 ? changes.length : failingIndex(changes, failure);
  const slots = spread(start, updateMs, Math.min(failAt + 1, changes.length));
  for (let index = 0; index < failAt; index += 1) {
    const [begin, finish] = slots[index] as [number, number];
    const change = changes[index] as ResourceChange;
    startChange(builder, begin, change, true);
    builder.resourceEvent(finish, change.resource, change.kind === 'create' ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE');
  }
  const failed = changes[failAt];
  if (failure === undefined || failed === undefined) {
    builder.stackEvent(end, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    const cleanupMs = phaseMs(plan, plan.removals.length);
    builder.deleteAll(plan.removals, end, cleanupMs, () => true);
    builder.stackEvent(end + cleanupMs, 'UPDATE_COMPLETE');
    return { entries: builder.sorted() };
  }
  const [begin] = slots[failAt] as [number, number];
  startChange(builder, begin, failed, false);
  builder.resourceEvent(end, failed.resource, failed.kind === 'create' ? 'CREATE_FAILED' : 'UPDATE_FAILED', {
    physical: failed.kind === 'update',
    reason: failure.reason,
  });
  layRollback(builder, plan, { done: changes.slice(0, failAt), failed, at: end });
  return { entries: builder.sorted(), rollbackAt: end };
}

/**
 * The timeline of an update whose change was refused by ELB when its time came (ModifyRule's
 * checks): what happened until then stays, the resource fails when it would have completed, and
 * the stack rolls back from there. Returns when the rollback starts.
 */
export function failUpdateAt(
  record: StackRecord,
  plan: UpdatePlan,
  refused: TimelineEntry,
  reason: string,
): { entries: TimelineEntry[]; rollbackAt: number } {
  const cut = record.timeline.indexOf(refused);
  if (cut === -1) throw new Error('failUpdateAt: the refused entry is not in the timeline');
  const index = plan.changes.findIndex((change) => change.resource.logicalResourceId === refused.logicalResourceId);
  const failed = plan.changes[index];
  if (failed === undefined) throw new Error(`failUpdateAt: no change of ${refused.logicalResourceId}`);
  const kept = record.timeline.slice(0, cut + 1);
  const completion = record.timeline
    .slice(cut + 1)
    .find((entry) => entry.logicalResourceId === refused.logicalResourceId && entry.status.endsWith('_COMPLETE'));
  const at = completion?.at ?? refused.at;
  const builder = new TimelineBuilder(record, plan.clientRequestToken);
  builder.resourceEvent(at, failed.resource, failed.kind === 'create' ? 'CREATE_FAILED' : 'UPDATE_FAILED', {
    physical: failed.kind === 'update',
    reason,
  });
  layRollback(builder, plan, { done: plan.changes.slice(0, index), failed, at });
  return { entries: [...kept, ...builder.sorted()], rollbackAt: at };
}

/**
 * The timeline of an update whose rollback was refused by ELB when one of its changes came due:
 * that resource's UPDATE_FAILED and UPDATE_ROLLBACK_FAILED, where the stack stays until it is
 * deleted (ContinueUpdateRollback is not modelled).
 */
export function failRollbackAt(
  record: StackRecord,
  plan: UpdatePlan,
  refused: TimelineEntry,
  reason: string,
): TimelineEntry[] {
  const cut = record.timeline.indexOf(refused);
  if (cut === -1) throw new Error('failRollbackAt: the refused entry is not in the timeline');
  const resource = plan.changes.find(
    (change) => change.resource.logicalResourceId === refused.logicalResourceId,
  )?.resource;
  if (resource === undefined) throw new Error(`failRollbackAt: no change of ${refused.logicalResourceId}`);
  const builder = new TimelineBuilder(record, plan.clientRequestToken);
  builder.resourceEvent(refused.at, resource, 'UPDATE_FAILED', { reason });
  const stuck = `The following resource(s) failed to update: [${resource.logicalResourceId}]. `;
  builder.stackEvent(refused.at, 'UPDATE_ROLLBACK_FAILED', stuck, stuck);
  return [...record.timeline.slice(0, cut + 1), ...builder.sorted()];
}

/** True when `entry` belongs to the rollback of the update `plan` (an UPDATE_ROLLBACK_IN_PROGRESS came before it). */
export function isRollbackEntry(record: StackRecord, plan: UpdatePlan, entry: TimelineEntry): boolean {
  const cut = record.timeline.indexOf(entry);
  return record.timeline
    .slice(0, cut)
    .some(
      (candidate) =>
        candidate.at >= plan.start &&
        candidate.logicalResourceId === record.stackName &&
        candidate.status === 'UPDATE_ROLLBACK_IN_PROGRESS',
    );
}
