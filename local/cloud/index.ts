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
 *   that name; ClientRequestToken form (1-128, `[a-zA-Z0-9][-a-zA-Z0-9]*`), and
 *   TokenAlreadyExistsException for a token any earlier create or delete of a stack of that name
 *   used, remembered across a delete and re-create; strict: an exact replay is refused too (what
 *   AWS returns for one is undocumented; see stack-requests.ts). DeleteStack checks its token the same way;
 *   TemplateURL must name `<model>/<version>/template.json` (silo-services or silo-cluster);
 *   the parameters are checked against the template (below); InsufficientCapabilitiesException
 *   without the capabilities the template needs (CAPABILITY_NAMED_IAM covers CAPABILITY_IAM);
 *   DisableRollback / OnFailure DO_NOTHING.
 * - What a stack creates comes from a model. `tenantTemplateModel` (the local runtime's) reads
 *   the real tenant templates: synthesized from infra/tenant-templates (synthesizeTenantTemplate)
 *   for the TemplateURL's model and version, once per process, and kept on disk under
 *   node_modules/.cache/tenant-orchestrator keyed by a digest of their sources, so later
 *   processes read them. CreateStack checks the declared Parameters: undeclared names
 *   ("Parameters: [X] do not exist in the template"), missing ones without a Default
 *   ("Parameters: [X] must have values"), and Type Number, MinValue/MaxValue, AllowedValues,
 *   AllowedPattern, MinLength/MaxLength (a ValidationError naming the parameter). Conditions are
 *   evaluated; resources whose Condition is false do not exist. Intrinsic functions: Ref
 *   (parameters, AWS::StackName/Region/AccountId/Partition/URLSuffix/NoValue, resources' physical
 *   ids), Fn::Sub, Fn::Join, Fn::If, Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition, Fn::Select,
 *   Fn::Split, and Fn::GetAtt of a cluster's Arn, a service's Name/ServiceArn, a target group's
 *   TargetGroupArn/TargetGroupName/TargetGroupFullName and a listener rule's RuleArn. Any other
 *   function anywhere in the template, or another attribute where a value is read, throws a
 *   TemplateEvaluationError naming it. From the resources that exist: the ECS cluster (its
 *   ClusterName), else the cluster the services name; the services (ServiceName, Cluster,
 *   DesiredCount); the target group; the listener rule (ListenerArn, Priority, Conditions,
 *   Actions, Tags); CAPABILITY_IAM for IAM resources (CAPABILITY_NAMED_IAM when one is named);
 *   the Outputs, evaluated; and every resource with its logical id, type and physical id, created
 *   in dependency order (DependsOn, Ref, Fn::GetAtt, Fn::Sub; template order otherwise).
 * - `modelTenantStack`, hand-written and lighter (no aws-cdk-lib), is the default of
 *   `createLocalCloud` and of the CloudFormation simulator on its own, so the local cloud's unit
 *   tests use it; the workflow harness (test/workflow/harness.ts), the local runtime and the
 *   template-model and template-stacks tests use the real templates. It reads no template: it
 *   checks the parameters it knows of (any `Service<n><Field>` index is accepted), names the
 *   resources Cluster, TargetGroup, ListenerRule, TaskExecutionRole, TaskDefinition<n> and
 *   Service<n>, and names a silo-cluster stack's cluster after the stack.
 * - Stack lifecycle: CREATE_IN_PROGRESS for `createMs`, then CREATE_COMPLETE with the model's
 *   outputs (TargetGroupArn, ClusterName, ServiceNames, ListenerRuleArn in the templates); or,
 *   with an injected failure
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
 * - A stack's listener rule (after its target group; in the real templates before the routed
 *   service, which depends on it) goes on the ELB simulator when CloudFormation starts creating it: ListenerArn, RulePriority, a host-header or
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
 * - Templates: only the TemplateURL's path is read (no S3): any version of the two models
 *   synthesizes, published or not (the TemplateVersion parameter's AllowedValues still pins it to
 *   the URL's version). Physical ids the template does not set (target groups, roles, security
 *   groups, unnamed services) are made up, stable for a stack name and logical id. Only the
 *   cluster, services, target group and listener rule have behaviour in ECS and ELB; the other
 *   resources (log group, roles, security groups, task definitions) appear in events only, and no
 *   property is validated against its resource type's schema (a Fargate CPU/memory mismatch is
 *   not refused). More than one cluster, target group or listener rule, no target group, or
 *   services outside the stack's cluster are refused (TemplateEvaluationError) rather than half
 *   modelled. Values of AWS-specific parameter types (AWS::EC2::VPC::Id, ...) are not looked up
 *   in an account; SSM parameter types, ConstraintDescription, Mappings, Transform, Rules,
 *   AWS::StackId and AWS::NotificationARNs are not modelled.
 * - A listener rule is created at the start of its resource's creation rather than some way
 *   into it; its failure shows when it would have completed. Rule ARNs, like target group ARNs,
 *   are stable for a stack name (and listener and priority).
 * - TemplateBody, UpdateStack, change sets, stack policies, termination protection, OnFailure
 *   DELETE (played as ROLLBACK), TimeoutInMinutes, RetainResources, the account's stack quota
 *   (LimitExceededException), whether a token given to a DeleteStack that does nothing (the stack
 *   is gone or already being deleted) is remembered (here it is not), DescribeStacks pagination, parallel resource creation beyond one cancelled neighbour.
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
import { modelTenantStack, type TemplateModel } from './template-model.ts';

export {
  CloudFormationSimulator,
  type CloudFormationSimulatorOptions,
  type CloudFormationState,
  type InjectedFailureOptions,
} from './cloudformation.ts';
export { EcsSimulator, type EcsSimulatorOptions, type EcsState, type ServiceHealth } from './ecs.ts';
export {
  LoadBalancingSimulator,
  type ListenerConfig,
  type LoadBalancingSimulatorOptions,
  type LoadBalancingState,
} from './elb.ts';
export {
  modelStackFromTemplate,
  modelTenantStack,
  tenantTemplateModel,
  type ModelledResource,
  type ModelledService,
  type TemplateModel,
  type TenantStackModel,
} from './template-model.ts';
export { TemplateEvaluationError } from './template-evaluator.ts';
export { synthesizedTemplates, type TemplateDocument, type TemplateSource } from './template-source.ts';
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
  /** Services start after this many DescribeServices looks instead of `startMs` (see EcsSimulatorOptions). */
  readonly startLooks?: number;
  /**
   * What a stack creates: `tenantTemplateModel()` for the real tenant templates (the local
   * runtime's choice; synthesizing costs about 2 s the first time a machine needs a template,
   * then it is read from the disk cache).
   * @default modelTenantStack (hand-written: the unit tests assert its logical ids and timings)
   */
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
  const ecs = new EcsSimulator({
    now,
    ...(options.startMs !== undefined ? { startMs: options.startMs } : {}),
    ...(options.startLooks !== undefined ? { startLooks: options.startLooks } : {}),
  });
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
    model: options.model ?? modelTenantStack,
  });
  for (const cluster of options.sharedClusters ?? []) ecs.registerCluster(cluster);
  return { cloudFormation, elb, ecs };
}
