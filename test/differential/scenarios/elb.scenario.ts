/**
 * Elastic Load Balancing v2: the route steps' calls through functions/shared/aws/listener-rules.ts
 * (CreateRule, DescribeRules by ARN and by listener with pages, DescribeTags, DeleteRule).
 */
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { elbClient } from '../../../functions/shared/aws/clients.ts';
import {
  createTenantRule,
  deleteRule,
  findRuleAtPriority,
  listListenerRules,
  ruleExists,
  ruleTags,
  type TenantRuleRequest,
} from '../../../functions/shared/aws/listener-rules.ts';
import { type Scenario, settle } from '../scenario.ts';
import type { World } from '../world.ts';

function rule(world: World, tenantId: string, priority: number, listener = 0): TenantRuleRequest {
  const { listenerArn, pooledTargetGroupArn } = world.listeners[listener === 0 ? 0 : 1];
  return {
    listenerArn,
    priority,
    targetGroupArn: pooledTargetGroupArn,
    route: { style: 'header', headerName: 'x-tenant-id', value: tenantId },
    tenantId,
    tier: 'basic',
  };
}

/** The outcome without the generated ARN, and whether one came back. */
function outcomeOf(result: Awaited<ReturnType<typeof createTenantRule>>) {
  return result.outcome === 'created'
    ? { outcome: result.outcome, ruleArnIsRule: result.ruleArn.includes(':listener-rule/') }
    : result;
}

export const elbScenarios: readonly Scenario[] = [
  {
    name: 'elb-create-rule-and-read-back',
    service: 'ElasticLoadBalancingV2',
    calls: ['CreateRule', 'DescribeRules (RuleArns)', 'DescribeRules (ListenerArn, pages)', 'DescribeTags'],
    async run(world) {
      const created = await createTenantRule(rule(world, 'diff-elb-read', 20));
      if (created.outcome !== 'created') return { created };
      const hostRule = await createTenantRule({
        ...rule(world, 'diff-elb-host', 21),
        route: { style: 'host', value: 'diff-elb-host.tenants.example.com' },
      });
      const listed = await listListenerRules(world.listeners[0].listenerArn);
      const atPriority = await findRuleAtPriority(world.listeners[0].listenerArn, 20);
      return {
        created: outcomeOf(created),
        hostRule: outcomeOf(hostRule),
        exists: await ruleExists(created.ruleArn),
        tags: await ruleTags(created.ruleArn),
        listedPriorities: listed.map((item) => item.priority).filter((priority) => priority === 20 || priority === 21),
        listedArnMatches: listed.some((item) => item.ruleArn === created.ruleArn),
        atPriority:
          atPriority === undefined ? null : { sameRule: atPriority.ruleArn === created.ruleArn, tags: atPriority.tags },
        atFreePriority: (await findRuleAtPriority(world.listeners[0].listenerArn, 29)) ?? null,
      };
    },
  },
  {
    name: 'elb-priority-in-use',
    service: 'ElasticLoadBalancingV2',
    calls: ['CreateRule (taken priority)'],
    async run(world) {
      const first = await createTenantRule(rule(world, 'diff-elb-taken-1', 30));
      const second = await settle(() => createTenantRule(rule(world, 'diff-elb-taken-2', 30)));
      return { first: outcomeOf(first), second };
    },
  },
  {
    name: 'elb-delete-rule',
    service: 'ElasticLoadBalancingV2',
    calls: ['DeleteRule', 'DeleteRule (gone)', 'DescribeRules (gone)', 'DescribeTags (gone)'],
    async run(world) {
      const created = await createTenantRule(rule(world, 'diff-elb-delete', 40));
      if (created.outcome !== 'created') return { created };
      return {
        deleted: await settle(() => deleteRule(created.ruleArn)),
        deletedAgain: await settle(() => deleteRule(created.ruleArn)),
        exists: await settle(() => ruleExists(created.ruleArn)),
        tags: await settle(async () => (await ruleTags(created.ruleArn)) ?? null),
        priorityFree: ((await findRuleAtPriority(world.listeners[0].listenerArn, 40)) ?? null) === null,
      };
    },
  },
  {
    name: 'elb-missing-listener-and-target-group',
    service: 'ElasticLoadBalancingV2',
    calls: ['CreateRule (unknown listener)', 'CreateRule (unknown target group)', 'DescribeRules (unknown listener)'],
    async run(world) {
      const base = rule(world, 'diff-elb-missing', 50);
      return {
        unknownListener: await settle(() => createTenantRule({ ...base, listenerArn: world.missingListenerArn })),
        unknownTargetGroup: await settle(() =>
          createTenantRule({ ...base, targetGroupArn: world.missingTargetGroupArn }),
        ),
        listUnknownListener: await settle(() => listListenerRules(world.missingListenerArn)),
      };
    },
  },
  {
    name: 'elb-priority-out-of-range',
    service: 'ElasticLoadBalancingV2',
    calls: ['CreateRule (priority 0 and 50001)'],
    async run(world) {
      return {
        zero: await settle(() => createTenantRule(rule(world, 'diff-elb-range-0', 0))),
        tooHigh: await settle(() => createTenantRule(rule(world, 'diff-elb-range-high', 50_001))),
      };
    },
  },
  {
    name: 'elb-rule-quota',
    service: 'ElasticLoadBalancingV2',
    calls: ['CreateRule (past the rules-per-load-balancer quota)'],
    async run(world) {
      // The second listener's load balancer holds nothing else: 100 rules fit, the 101st does not.
      let created = 0;
      for (let priority = 1; priority <= 101; priority += 1) {
        const result = await settle(() => createTenantRule(rule(world, `diff-quota-${priority}`, priority, 1)));
        if (!('value' in result) || result.value.outcome !== 'created') return { created, refusedWith: result };
        created += 1;
        // A rule past the quota (a target that does not enforce it) goes again, so later scenarios see 100.
        if (priority > 100) await deleteRule(result.value.ruleArn);
      }
      return { created, refusedWith: null };
    },
  },
  {
    name: 'elb-describe-rules-pages',
    service: 'ElasticLoadBalancingV2',
    calls: ['DescribeRules (ListenerArn, PageSize, Marker)', 'DescribeRules (RuleArns with an unknown one)'],
    async run(world) {
      // After elb-rule-quota the second listener holds 100 tenant rules and its default rule.
      const listenerArn = world.listeners[1].listenerArn;
      const pages: { count: number; first?: string; last?: string; defaults: number }[] = [];
      let marker: string | undefined;
      do {
        const page = await elbClient().send(
          new DescribeRulesCommand({
            ListenerArn: listenerArn,
            PageSize: 30,
            ...(marker !== undefined ? { Marker: marker } : {}),
          }),
        );
        const rules = page.Rules ?? [];
        pages.push({
          count: rules.length,
          first: rules[0]?.Priority,
          last: rules[rules.length - 1]?.Priority,
          defaults: rules.filter((item) => item.IsDefault).length,
        });
        marker = page.NextMarker;
      } while (marker !== undefined && marker !== '' && pages.length < 10);
      const listed = await listListenerRules(listenerArn);
      const known = listed[0]?.ruleArn ?? '';
      const unknownRule = known.replace(/[0-9a-f]{16}$/, '0123456789abcdef');
      const mixed = await settle(async () => {
        const result = await elbClient().send(new DescribeRulesCommand({ RuleArns: [known, unknownRule] }));
        return (result.Rules ?? []).length;
      });
      return { pages, listedCount: listed.length, mixed };
    },
  },
];
