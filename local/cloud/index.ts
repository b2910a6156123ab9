/**
 * The local cloud: in-process simulators of the CloudFormation, Elastic Load Balancing v2 and ECS
 * calls the orchestrator makes, wired so that what a stack creates shows up in ECS and ELB. Each
 * method takes an SDK command's input and returns its output (synchronously) or throws the SDK's
 * own exception class; the local runtime attaches them to its SDK clients (runtime/sdk-routing.ts),
 * tests with aws-sdk-client-mock. Nothing runs in the background: every status is computed from
 * the injected clock when asked. A stack creates what the real tenant template declares
 * (template-model.ts).
 *
 * What is modelled and what is not, in one list: docs/local-runtime.md. Each behaviour is
 * described, with the AWS page it follows, beside its model.
 */
import { CloudFormationSimulator } from './cloudformation.ts';
import { systemClock, type Clock } from './clock.ts';
import { EcsSimulator } from './ecs.ts';
import { LoadBalancingSimulator, type ListenerConfig } from './elb.ts';
import { tenantTemplateModel, type TemplateModel } from './template-model.ts';

export {
  CloudFormationSimulator,
  type CloudFormationSimulatorOptions,
  type CloudFormationState,
  type InjectedFailureOptions,
  type InjectedUpdateFailureOptions,
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
  tenantTemplateModel,
  type ModelledResource,
  type ModelledService,
  type TemplateModel,
  type TenantStackModel,
} from './template-model.ts';
export { TemplateEvaluationError } from './template-evaluator.ts';
export { shippedTemplateSource, type TemplateDocument, type TemplateSource } from './template-source.ts';
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
  /** From UpdateStack to the end of its resource changes. @default createMs */
  readonly updateMs?: number;
  /** @default 500 */
  readonly startMs?: number;
  /** Services start after this many DescribeServices looks instead of `startMs` (see EcsSimulatorOptions). */
  readonly startLooks?: number;
  /**
   * What a stack creates.
   * @default tenantTemplateModel() (the shipped tenant templates)
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
    ...(options.updateMs !== undefined ? { updateMs: options.updateMs } : {}),
    model: options.model ?? tenantTemplateModel(),
  });
  for (const cluster of options.sharedClusters ?? []) ecs.registerCluster(cluster);
  return { cloudFormation, elb, ecs };
}
