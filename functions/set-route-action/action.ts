/**
 * What a pool tenant's listener rule should do, and whether it already does it: forward to the
 * pooled target group the registry recorded (active), or answer the fixed "suspended" response.
 * Pure: the handler reads the rule and acts on the verdict.
 */
import { suspendedResponse } from '../shared/config/template-parameters.ts';
import type { RuleActionView, TenantRuleAction } from '../shared/aws/listener-rules.ts';

/** The state a suspend or resume asks for. */
export type DesiredRouteState = 'suspended' | 'active';

/** The single action the tenant's rule should have. */
export function desiredRuleAction(state: DesiredRouteState, targetGroupArn: string): TenantRuleAction {
  return state === 'suspended' ? { type: 'fixed-response', ...suspendedResponse } : { type: 'forward', targetGroupArn };
}

/**
 * True when the rule's actions are exactly the desired one: then ModifyRule is not called, so a
 * retry, a redrive or a request for the state the tenant is in changes nothing.
 */
export function ruleHasAction(actions: readonly RuleActionView[], desired: TenantRuleAction): boolean {
  if (actions.length !== 1) return false;
  const [action] = actions;
  if (action === undefined || action.type !== desired.type) return false;
  if (desired.type === 'forward') return action.type === 'forward' && action.targetGroupArn === desired.targetGroupArn;
  return (
    action.type === 'fixed-response' &&
    action.statusCode === desired.statusCode &&
    action.contentType === desired.contentType &&
    action.messageBody === desired.messageBody
  );
}
