/**
 * What stack operations do to the other simulated services: a stack's listener rule appears in
 * ELB when CloudFormation creates it; a completed stack's cluster, services and target group
 * appear in ECS and ELB; deleting a resource removes its counterpart.
 */
import type { EcsSimulator } from './ecs.ts';
import type { RuleRecord } from './elb-rules.ts';
import type { LoadBalancingSimulator } from './elb.ts';
import type { ModelledService } from './template-model.ts';

/** What a stack operation does to the other simulated services when an entry's time comes. */
export type CloudEffect =
  | {
      readonly kind: 'register-stack';
      readonly clusterName: string;
      readonly ownCluster: boolean;
      readonly services: readonly ModelledService[];
      readonly targetGroupArn: string;
    }
  | { readonly kind: 'create-listener-rule'; readonly rule: RuleRecord }
  /** An update changed the stack's rule: its conditions, actions and tags as the template now says. */
  | { readonly kind: 'update-listener-rule'; readonly rule: RuleRecord }
  /** An update created services (a higher ServiceCount). */
  | {
      readonly kind: 'register-services';
      readonly clusterName: string;
      readonly services: readonly ModelledService[];
    }
  /** An update changed a service's DesiredCount. */
  | {
      readonly kind: 'scale-service';
      readonly clusterName: string;
      readonly serviceName: string;
      readonly desiredCount: number;
    }
  | { readonly kind: 'remove-listener-rule'; readonly ruleArn: string }
  | { readonly kind: 'remove-service'; readonly clusterName: string; readonly serviceName: string }
  | { readonly kind: 'remove-cluster'; readonly clusterName: string }
  | { readonly kind: 'remove-target-group'; readonly targetGroupArn: string };

/**
 * Applies an effect as of time `at` to whichever simulators are attached. Creating a listener
 * rule throws what CreateRule would (PriorityInUse, ListenerNotFound, TooManyRules, a
 * ValidationError), updating one what ModifyRule would: the caller fails the stack with it.
 */
export function applyCloudEffect(
  effect: CloudEffect,
  at: number,
  ecs: EcsSimulator | undefined,
  elb: LoadBalancingSimulator | undefined,
): void {
  switch (effect.kind) {
    case 'register-stack':
      if (effect.ownCluster) ecs?.registerCluster(effect.clusterName, at);
      ecs?.registerServices(effect.clusterName, effect.services, at);
      elb?.registerTargetGroup(effect.targetGroupArn);
      return;
    case 'create-listener-rule':
      elb?.createStackRule(effect.rule);
      return;
    case 'update-listener-rule':
      elb?.modifyStackRule(effect.rule.ruleArn, effect.rule);
      return;
    case 'register-services':
      ecs?.registerServices(effect.clusterName, effect.services, at);
      return;
    case 'scale-service':
      ecs?.scaleService(effect.clusterName, effect.serviceName, effect.desiredCount, at);
      return;
    case 'remove-listener-rule':
      elb?.removeStackRule(effect.ruleArn);
      return;
    case 'remove-service':
      ecs?.removeServices(effect.clusterName, [effect.serviceName], at);
      return;
    case 'remove-cluster':
      ecs?.removeCluster(effect.clusterName, at);
      return;
    case 'remove-target-group':
      elb?.removeTargetGroup(effect.targetGroupArn);
      return;
  }
}
