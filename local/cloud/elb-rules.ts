/**
 * Listener rules as the load balancing simulator stores and shows them: ARNs derived the way
 * AWS derives them, actions filled in the way DescribeRules reports them, the default rule.
 */
import { createHash } from 'node:crypto';
import type { Action, Rule, RuleCondition, Tag } from '@aws-sdk/client-elastic-load-balancing-v2';

/** A listener the simulator knows. */
export interface ListenerConfig {
  readonly listenerArn: string;
  /** @default derived from the listener ARN (`listener/app/<name>/<id>/<listener-id>`) */
  readonly loadBalancerArn?: string;
  /** Rules per load balancer, default rules excluded (the "Rules per Application Load Balancer" quota). @default 100 */
  readonly quota?: number;
  /** What the listener's default rule does. @default a fixed 404 response */
  readonly defaultActions?: readonly Action[];
}

/** A rule created through CreateRule. */
export interface RuleRecord {
  readonly ruleArn: string;
  readonly listenerArn: string;
  readonly priority: number;
  readonly conditions: RuleCondition[];
  readonly actions: Action[];
  readonly tags: Tag[];
}

/** The load balancer a listener belongs to. */
export function loadBalancerArnOf(listener: ListenerConfig): string {
  if (listener.loadBalancerArn !== undefined) return listener.loadBalancerArn;
  const [prefix, path] = listener.listenerArn.split(':listener/');
  if (prefix === undefined || path === undefined) return listener.listenerArn;
  return `${prefix}:loadbalancer/${path.split('/').slice(0, 3).join('/')}`;
}

/** A rule ARN under a listener: `listener-rule/app/<lb-name>/<lb-id>/<listener-id>/<rule-id>`. */
export function ruleArnFor(listenerArn: string, ruleId: string): string {
  return `${listenerArn.replace(':listener/', ':listener-rule/')}/${ruleId}`;
}

/** The default rule's ARN, stable for a listener. */
export function defaultRuleArn(listenerArn: string): string {
  return ruleArnFor(listenerArn, createHash('sha256').update(listenerArn).digest('hex').slice(0, 16));
}

/** The target groups an action list forwards to. */
export function forwardedTargetGroups(actions: readonly Action[]): string[] {
  const arns = new Set<string>();
  for (const action of actions) {
    if (action.Type !== 'forward') continue;
    if (action.TargetGroupArn !== undefined) arns.add(action.TargetGroupArn);
    for (const tuple of action.ForwardConfig?.TargetGroups ?? []) {
      if (tuple.TargetGroupArn !== undefined) arns.add(tuple.TargetGroupArn);
    }
  }
  return [...arns];
}

/** Actions as AWS reports them: numbered, and a single-target forward also as a ForwardConfig. */
export function normalizedActions(actions: readonly Action[]): Action[] {
  return actions.map((action, index) => {
    const normalized: Action = { ...structuredClone(action), Order: action.Order ?? index + 1 };
    if (action.Type === 'forward' && action.TargetGroupArn !== undefined && action.ForwardConfig === undefined) {
      normalized.ForwardConfig = {
        TargetGroups: [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }],
        TargetGroupStickinessConfig: { Enabled: false },
      };
    }
    return normalized;
  });
}

/** A stored rule as DescribeRules shows it. */
export function ruleView(rule: RuleRecord): Rule {
  return {
    RuleArn: rule.ruleArn,
    Priority: String(rule.priority),
    Conditions: structuredClone(rule.conditions),
    Actions: structuredClone(rule.actions),
    IsDefault: false,
  };
}

const notFoundResponse: Action = {
  Type: 'fixed-response',
  Order: 1,
  FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' },
};

/** A listener's default rule as DescribeRules shows it (it lists the default rule last). */
export function defaultRuleView(listener: ListenerConfig): Rule {
  return {
    RuleArn: defaultRuleArn(listener.listenerArn),
    Priority: 'default',
    Conditions: [],
    Actions: normalizedActions(listener.defaultActions ?? [notFoundResponse]),
    IsDefault: true,
  };
}
