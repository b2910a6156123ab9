/**
 * Listener rules as the load balancing simulator stores and shows them: ARNs derived the way
 * AWS derives them, actions filled in the way DescribeRules reports them, the default rule.
 */
import { createHash } from 'node:crypto';
import type { Action, Rule, RuleCondition, Tag } from '@aws-sdk/client-elastic-load-balancing-v2';
import { loadBalancingValidationError } from './aws-shapes.ts';

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

/**
 * The content types a fixed response may declare, its status code pattern and body limit
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_FixedResponseActionConfig.html).
 */
export const fixedResponseContentTypes: readonly string[] = [
  'text/plain',
  'text/css',
  'text/html',
  'application/javascript',
  'application/json',
];
const fixedResponseStatusPattern = /^(2|4|5)\d\d$/;
const maxMessageBodyLength = 1024;

/** AWS's wording of a request member that breaks its model's constraint (the exact text is not documented). */
function constraintViolation(value: string, path: string, constraint: string): Error {
  return loadBalancingValidationError(
    `1 validation error detected: Value '${value}' at '${path}' failed to satisfy constraint: ${constraint}`,
  );
}

/**
 * Throws ELB's ValidationError for an action list CreateRule and ModifyRule refuse: none at all,
 * a fixed-response action without its config, a StatusCode other than 2XX/4XX/5XX, a ContentType
 * outside the five allowed, a MessageBody over 1,024 characters, a forward with no target group.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Action.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_FixedResponseActionConfig.html
 */
export function checkActions(actions: readonly Action[]): void {
  if (actions.length === 0) throw loadBalancingValidationError('A rule must have at least one action');
  actions.forEach((action, index) => {
    const path = `actions.${index + 1}.member`;
    if (action.Type === 'fixed-response') {
      const config = action.FixedResponseConfig;
      if (config === undefined)
        throw loadBalancingValidationError("A fixed response action must have a 'FixedResponseConfig'");
      const status = config.StatusCode ?? '';
      if (!fixedResponseStatusPattern.test(status)) {
        throw constraintViolation(
          status,
          `${path}.fixedResponseConfig.statusCode`,
          'Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$',
        );
      }
      if (config.ContentType !== undefined && !fixedResponseContentTypes.includes(config.ContentType)) {
        throw constraintViolation(
          config.ContentType,
          `${path}.fixedResponseConfig.contentType`,
          `Member must satisfy enum value set: [${fixedResponseContentTypes.join(', ')}]`,
        );
      }
      if (config.MessageBody !== undefined && config.MessageBody.length > maxMessageBodyLength) {
        throw constraintViolation(
          `${config.MessageBody.slice(0, 32)}...`,
          `${path}.fixedResponseConfig.messageBody`,
          `Member must have length less than or equal to ${maxMessageBodyLength}`,
        );
      }
      return;
    }
    if (action.Type === 'forward' && forwardedTargetGroups([action]).length === 0)
      throw loadBalancingValidationError("A forward action must have a 'TargetGroupArn' or a 'ForwardConfig'");
  });
}
