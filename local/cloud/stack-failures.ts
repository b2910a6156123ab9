/**
 * Why a simulated stack operation fails although nothing was injected: what ECS and ELB would
 * refuse, worded the way CloudFormation's resource handlers report it.
 */
import type { EcsSimulator } from './ecs.ts';
import type { LoadBalancingSimulator } from './elb.ts';
import type { StackRecord } from './stack-records.ts';
import { handlerMessage } from './stack-requests.ts';
import { failCreationAt, type ResourceFailure, type TimelineEntry } from './stack-timeline.ts';

/** A creation ECS refuses from the start: a service in a cluster that does not exist. */
export function refusedCreation(record: StackRecord, ecs: EcsSimulator | undefined): ResourceFailure | undefined {
  const { model } = record;
  const service = model.services[0];
  if (ecs !== undefined && !model.ownCluster && service !== undefined && !ecs.hasCluster(model.clusterName)) {
    const reason = handlerMessage('Cluster not found.', 'Ecs', 'InvalidRequest');
    return { logicalResourceId: service.logicalResourceId, reason };
  }
  return undefined;
}

/**
 * A deletion ELB refuses: a target group a listener rule other than the stack's own still
 * forwards to (checked when the delete starts; the stack deletes its own rule first).
 * ("You can delete a target group if it is not referenced by any actions."
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeleteTargetGroup.html)
 */
export function refusedDeletion(
  record: StackRecord,
  present: readonly { logicalResourceId: string }[],
  elb: LoadBalancingSimulator | undefined,
): ResourceFailure | undefined {
  const { targetGroupArn, listenerRule } = record.model;
  const targetGroup = record.resources.find((resource) => resource.physicalResourceId === targetGroupArn);
  if (
    targetGroup !== undefined &&
    elb?.isTargetGroupInUse(targetGroupArn, listenerRule?.ruleArn) &&
    present.some((resource) => resource.logicalResourceId === targetGroup.logicalResourceId)
  ) {
    const message = `Target group '${targetGroupArn}' is currently in use by a listener or a rule`;
    return {
      logicalResourceId: targetGroup.logicalResourceId,
      reason: handlerMessage(message, 'ElasticLoadBalancingV2', 'ResourceConflict'),
    };
  }
  return undefined;
}

/** The handler error code CloudFormation reports for each CreateRule (or ModifyRule) refusal. */
const ruleHandlerCodes: Readonly<Record<string, string>> = {
  PriorityInUseException: 'AlreadyExists',
  ListenerNotFoundException: 'NotFound',
  TooManyRulesException: 'ServiceLimitExceeded',
  // CreateRule's and ModifyRule's checks of the actions (e.g. a fixed response's status code).
  ValidationError: 'InvalidRequest',
  RuleNotFoundException: 'NotFound',
};

/**
 * The ListenerRule resource's failure reason for an error ELB threw at its creation; undefined
 * for anything that is not such a refusal (a bug, to be thrown on).
 */
export function listenerRuleRefusal(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = ruleHandlerCodes[error.name];
  return code === undefined ? undefined : handlerMessage(error.message, 'ElasticLoadBalancingV2', code);
}

/** Fails a stack's creation at the entry whose effect was refused: rollback (or CREATE_FAILED) from there. */
export function failStackCreation(
  record: StackRecord,
  refused: TimelineEntry,
  reason: string,
  rollbackMs: number,
): void {
  record.timeline = failCreationAt({
    stack: record,
    resources: record.resources,
    timeline: record.timeline,
    refused,
    reason,
    rollbackMs,
    ...(record.createToken !== undefined ? { clientRequestToken: record.createToken } : {}),
    onFailure: record.disableRollback ? 'DO_NOTHING' : 'ROLLBACK',
  });
}
