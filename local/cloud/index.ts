/**
 * The local cloud: in-process simulators of the CloudFormation, Elastic Load Balancing v2 and
 * ECS calls the orchestrator makes. Plain classes with no SDK client wiring: each method takes
 * the SDK command's input and returns its output (synchronously) or throws the SDK's own
 * exception class. Tests attach them with aws-sdk-client-mock
 * (`mock.on(CreateStackCommand).callsFake((input) => cloud.cloudFormation.createStack(input))`);
 * the local runtime attaches them through SDK middleware. Nothing runs in the background:
 * every status is computed from the injected clock when asked.
 *
 * Modelled:
 * - CloudFormation CreateStack: stack name pattern; AlreadyExistsException for a live stack of
 *   that name; a retry with the create's ClientRequestToken returns the same StackId;
 *   TemplateURL must name `<model>/<version>/template.json` (silo-services or silo-cluster);
 *   undeclared parameters ("do not exist in the template"), missing required ones ("must have
 *   values": TenantId, ServiceCount, the used slots', the five route parameters, the model's
 *   shared ones), non-numeric Number parameters, RulePriority outside 1..50000, RouteStyle other
 *   than host/header, an empty RouteValue; InsufficientCapabilitiesException without
 *   CAPABILITY_IAM (or CAPABILITY_NAMED_IAM); DisableRollback / OnFailure DO_NOTHING.
 * - Stack lifecycle: CREATE_IN_PROGRESS for `createMs`, then CREATE_COMPLETE with the outputs
 *   (TargetGroupArn, ClusterName, ServiceNames, ListenerRuleArn); or, with an injected failure
 *   (or a shared cluster ECS does not have, or a listener rule ELB refuses when its creation
 *   comes due), the resource's CREATE_FAILED with the reason, "Resource creation
 *   cancelled" for the resource started alongside it, ROLLBACK_IN_PROGRESS and ROLLBACK_COMPLETE
 *   (or CREATE_FAILED with rollback off). Resource events as AWS writes them (logical id,
 *   physical id, type, "Resource creation Initiated", ClientRequestToken on every event).
 * - DeleteStack: succeeds silently for unknown or deleted stacks and while a delete runs;
 *   DELETE_IN_PROGRESS for `deleteMs` (resources in reverse order) then DELETE_COMPLETE, after
 *   which the name is free and DescribeStacks by name says "does not exist" while by StackId it
 *   shows DELETE_COMPLETE. An injected failure, or a target group a listener rule still uses,
 *   ends in DELETE_FAILED; a new DeleteStack retries with the resources still there. Deleting
 *   during CREATE_IN_PROGRESS cancels the creation; during ROLLBACK_IN_PROGRESS it starts when
 *   the rollback ends.
 * - DescribeStackEvents: newest first, 100 per page with NextToken.
 * - A stack's ListenerRule (after its TargetGroup, before its services) goes on the ELB simulator
 *   when CloudFormation starts creating it: ListenerArn, RulePriority, a host-header or
 *   http-header condition per RouteStyle, forward to the stack's target group, the template's
 *   and the stack's tags plus aws:cloudformation:*. A taken priority, an unknown listener or a
 *   full quota fail it with ELB's message ("Priority '5' is currently in use") and the stack
 *   rolls back; a rollback or delete removes it (before the target group, which the stack's own
 *   rule therefore never blocks).
 * - Completed stacks register their cluster (silo-cluster), services and target group with the
 *   ECS and ELB simulators; deleting their resources removes them.
 * - ELB: CreateRule (PriorityInUse per listener, TooManyRules per load balancer over the quota,
 *   ListenerNotFound, TargetGroupNotFound when target groups are checked, priority range),
 *   DescribeRules (by RuleArns or by ListenerArn with Marker/PageSize, sorted by priority, the
 *   default rule last with Priority "default" and IsDefault true; RuleNotFound), DeleteRule
 *   (RuleNotFound; the default rule cannot be deleted), DescribeTags (tags given at CreateRule).
 * - ECS DescribeServices: ClusterNotFoundException; a MISSING failure per unknown service; at most
 *   10 services; each service pending with rollout IN_PROGRESS until `startMs` after registration,
 *   then running = desired and COMPLETED with steady-state events; deleted services INACTIVE;
 *   test overrides of runningCount, rolloutState, its reason and a newest event message.
 * - Per-operation error injection (`injectError`) on all three; state to and from plain JSON.
 *
 * NOT modelled:
 * - Anything read from the real templates: the resources, outputs, declared parameters (any
 *   `Service<n><Field>` index is accepted) and required capabilities come from `modelTenantStack`.
 * - A listener rule is created at the start of its resource's creation rather than some way
 *   into it; its failure shows when it would have completed. Rule ARNs, like target group ARNs,
 *   are stable for a stack name (and listener and priority).
 * - TemplateBody, UpdateStack, change sets, stack policies, termination protection, OnFailure
 *   DELETE (played as ROLLBACK), TimeoutInMinutes, RetainResources, the account's stack quota
 *   (LimitExceededException), TokenAlreadyExistsException, DeleteStack's own token idempotency,
 *   DescribeStacks pagination, parallel resource creation beyond one cancelled neighbour.
 * - The "in use" check of a target group is made when DeleteStack is called, not when the
 *   target group's deletion is reached; an injected delete failure on a stack with no resources
 *   left is used up without effect.
 * - ELB: rule conditions are stored, not validated or matched against requests; no
 *   ModifyRule/SetRulePriorities; listeners and load balancers are fixed at construction; the
 *   target group quota and cross-load-balancer target group association are not checked.
 * - ECS: tasks, task failures and circuit breakers happen only when a test sets them; no
 *   DRAINING phase; services in a shared cluster are not checked against the cluster's quota.
 * - Exact AWS wording is matched for the messages the orchestrator reads (AlreadyExists, "does
 *   not exist", "must have values", "Priority '5' is currently in use"); other messages are close
 *   approximations. Injected per-call errors and hooks are not part of the JSON state.
 */
import { CloudFormationSimulator } from './cloudformation.ts';
import { systemClock, type Clock } from './clock.ts';
import { EcsSimulator } from './ecs.ts';
import { LoadBalancingSimulator, type ListenerConfig } from './elb.ts';
import type { TemplateModel } from './template-model.ts';

export { CloudFormationSimulator, type CloudFormationSimulatorOptions, type CloudFormationState, type InjectedFailureOptions } from './cloudformation.ts';
export { EcsSimulator, type EcsSimulatorOptions, type EcsState, type ServiceHealth } from './ecs.ts';
export { LoadBalancingSimulator, type ListenerConfig, type LoadBalancingSimulatorOptions, type LoadBalancingState } from './elb.ts';
export { modelTenantStack, type ModelledService, type TemplateModel, type TenantStackModel } from './template-model.ts';
export { FaultInjector } from './faults.ts';
export type { Clock } from './clock.ts';

export interface LocalCloudOptions {
  /** @default Date.now */
  readonly now?: Clock;
  /** The shared load balancers' listeners. */
  readonly listeners: readonly ListenerConfig[];
  /** Target groups that exist outside tenant stacks (the pooled one). When given, CreateRule checks target groups. */
  readonly targetGroups?: readonly string[];
  /**
   * Clusters that exist outside tenant stacks: pass silo-services' SharedClusterName here, or
   * silo-services stacks roll back with "Cluster not found." as they would in AWS.
   */
  readonly sharedClusters?: readonly string[];
  /** @default 1500 */
  readonly createMs?: number;
  /** @default 1000 */
  readonly deleteMs?: number;
  /** @default deleteMs */
  readonly rollbackMs?: number;
  /** @default 500 */
  readonly startMs?: number;
  /** @default modelTenantStack */
  readonly model?: TemplateModel;
}

/** The three simulators, wired so completed and deleted stacks show up in ECS and ELB. */
export interface LocalCloud {
  readonly cloudFormation: CloudFormationSimulator;
  readonly elb: LoadBalancingSimulator;
  readonly ecs: EcsSimulator;
}

/** Creates the local cloud; shared clusters exist from now on. */
export function createLocalCloud(options: LocalCloudOptions): LocalCloud {
  const now = options.now ?? systemClock;
  const ecs = new EcsSimulator({ now, ...(options.startMs !== undefined ? { startMs: options.startMs } : {}) });
  const elb = new LoadBalancingSimulator({
    listeners: options.listeners,
    ...(options.targetGroups !== undefined ? { targetGroups: options.targetGroups } : {}),
  });
  const cloudFormation = new CloudFormationSimulator({
    now,
    ecs,
    elb,
    ...(options.createMs !== undefined ? { createMs: options.createMs } : {}),
    ...(options.deleteMs !== undefined ? { deleteMs: options.deleteMs } : {}),
    ...(options.rollbackMs !== undefined ? { rollbackMs: options.rollbackMs } : {}),
    ...(options.model !== undefined ? { model: options.model } : {}),
  });
  for (const cluster of options.sharedClusters ?? []) ecs.registerCluster(cluster);
  return { cloudFormation, elb, ecs };
}
