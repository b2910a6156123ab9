/**
 * Elastic Load Balancing v2 ModifyRule as suspending and resuming a pool tenant uses it: the
 * tenant's rule (created by the route step's adapter) switched to a fixed 503 response and back to
 * forwarding, a fixed response the API refuses, and a rule that does not exist. Raw SDK calls,
 * written before the suspension workflow's adapter (setRuleAction in
 * functions/shared/aws/listener-rules.ts) landed: it should call that instead.
 */
import { DescribeRulesCommand, ModifyRuleCommand, type Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { elbClient } from '../../../functions/shared/aws/clients.ts';
import { createTenantRule, deleteRule } from '../../../functions/shared/aws/listener-rules.ts';
import { suspendedResponse } from '../../../functions/shared/config/template-parameters.ts';
import { failureWithMessage, type Scenario } from '../scenario.ts';

const fixed = (statusCode: string, contentType: string, messageBody: string): Action => ({
  Type: 'fixed-response',
  FixedResponseConfig: { StatusCode: statusCode, ContentType: contentType, MessageBody: messageBody },
});

/**
 * The rule's actions as a caller decides on them: the kind, and the fixed response, or (when
 * `targetGroupArn` is given) whether it forwards to that target group. None for a missing rule ARN.
 */
export async function ruleActions(ruleArn: string | undefined, targetGroupArn?: string) {
  if (ruleArn === undefined) return [];
  const result = await elbClient().send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
  return (result.Rules?.[0]?.Actions ?? []).map((action) => {
    if (action.Type === 'fixed-response')
      return {
        type: action.Type,
        statusCode: action.FixedResponseConfig?.StatusCode,
        contentType: action.FixedResponseConfig?.ContentType,
        messageBody: action.FixedResponseConfig?.MessageBody,
      };
    if (targetGroupArn === undefined) return { type: action.Type };
    return {
      type: action.Type,
      toTargetGroup:
        action.TargetGroupArn === targetGroupArn ||
        (action.ForwardConfig?.TargetGroups ?? []).some((group) => group.TargetGroupArn === targetGroupArn),
    };
  });
}

export const ruleActionScenarios: readonly Scenario[] = [
  {
    name: 'elb-modify-rule-action',
    service: 'ElasticLoadBalancingV2',
    calls: ['ModifyRule (fixed-response, forward)', 'DescribeRules (RuleArns)'],
    async run(world) {
      const { listenerArn, pooledTargetGroupArn } = world.listeners[0];
      const created = await createTenantRule({
        listenerArn,
        priority: 30,
        targetGroupArn: pooledTargetGroupArn,
        route: { style: 'header', headerName: 'x-tenant-id', value: 'diff-elb-suspend' },
        tenantId: 'diff-elb-suspend',
        tier: 'basic',
      });
      if (created.outcome !== 'created') return { created };
      const { ruleArn } = created;
      const suspend = fixed(suspendedResponse.statusCode, suspendedResponse.contentType, suspendedResponse.messageBody);
      await elbClient().send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: [suspend] }));
      const suspended = await ruleActions(ruleArn, pooledTargetGroupArn);
      // Switching it again to the same action changes nothing and is not an error.
      const sameAgain = await failureWithMessage(() =>
        elbClient().send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: [suspend] })),
      );
      await elbClient().send(
        new ModifyRuleCommand({
          RuleArn: ruleArn,
          Actions: [{ Type: 'forward', TargetGroupArn: pooledTargetGroupArn }],
        }),
      );
      const resumed = await ruleActions(ruleArn, pooledTargetGroupArn);
      const refused = await failureWithMessage(() =>
        elbClient().send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: [fixed('302', 'text/plain', 'x')] })),
      );
      await deleteRule(ruleArn);
      const gone = await failureWithMessage(() =>
        elbClient().send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: [suspend] })),
      );
      return {
        suspended,
        sameAgain: sameAgain.thrown,
        resumed,
        refusedStatus: refused.thrown,
        afterDelete: gone.thrown,
      };
    },
  },
];
