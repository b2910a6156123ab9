import type { StackEvent } from '@aws-sdk/client-cloudformation';
import { ClusterNotFoundException } from '@aws-sdk/client-ecs';
import { PriorityInUseException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { beforeEach, describe, expect, it } from 'vitest';
import { firstFailure } from '../../../../functions/shared/aws/stacks.ts';
import { createLocalCloud, type LocalCloud } from '../../../../local/cloud/index.ts';
import { createStackInput, FakeClock, listenerArn, pooledTargetGroupArn, secondListenerArn } from './cloud.fixture.ts';
import { slotResourceId } from './real-templates.fixture.ts';

let clock: FakeClock;
let cloud: LocalCloud;

function newCloud(quota?: number): LocalCloud {
  return createLocalCloud({
    now: clock.now,
    listeners: [{ listenerArn, ...(quota !== undefined ? { quota } : {}) }],
    targetGroups: [pooledTargetGroupArn],
    sharedClusters: ['shared-tenants'],
    createMs: 1500,
    deleteMs: 1000,
  });
}

beforeEach(() => {
  clock = new FakeClock();
  cloud = newCloud();
});

function tenantRules() {
  return cloud.elb.listRules().filter((rule) => rule.IsDefault !== true);
}

function outputs(stackName: string): Record<string, string> {
  const stack = cloud.cloudFormation.describeStacks({ StackName: stackName }).Stacks?.[0];
  return Object.fromEntries((stack?.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
}

function events(stackName: string): StackEvent[] {
  return cloud.cloudFormation.describeStackEvents({ StackName: stackName }).StackEvents ?? [];
}

/** Moves the clock by 50 ms steps until CloudFormation has started creating the listener rule (within createMs). */
function advanceUntilRuleCreationStarts(stackName: string): void {
  const started = () =>
    events(stackName).some(
      (event) => event.LogicalResourceId === 'ListenerRule' && event.ResourceStatus === 'CREATE_IN_PROGRESS',
    );
  for (let waited = 0; !started(); waited += 50) {
    if (waited >= 1500) throw new Error('the listener rule was not started within createMs');
    clock.advance(50);
  }
}

function pooledRule(priority: number) {
  return {
    ListenerArn: listenerArn,
    Priority: priority,
    Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-tenant-id', Values: ['initech'] } }],
    Actions: [{ Type: 'forward' as const, TargetGroupArn: pooledTargetGroupArn }],
  };
}

describe('a tenant stack creates its listener rule', () => {
  it('shows the rule on the listener once the stack is complete: its priority, route, target group and tags', () => {
    // Arrange
    cloud.cloudFormation.createStack(createStackInput('tenant-acme', { route: { priority: 7, style: 'host' } }));

    // Act
    clock.advance(1500);
    const rules = tenantRules();

    // Assert
    expect(cloud.cloudFormation.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0]?.StackStatus).toBe(
      'CREATE_COMPLETE',
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      RuleArn: outputs('tenant-acme').ListenerRuleArn,
      ListenerArn: listenerArn,
      Priority: '7',
      Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['acme.tenants.example.com'] } }],
      Actions: [expect.objectContaining({ Type: 'forward', TargetGroupArn: outputs('tenant-acme').TargetGroupArn })],
      Tags: expect.objectContaining({
        tenantId: 'acme',
        tier: 'premium',
        'managed-by': 'tenant-orchestrator',
        'aws:cloudformation:stack-name': 'tenant-acme',
        'aws:cloudformation:logical-id': 'ListenerRule',
      }),
    });
    expect(events('tenant-acme')).toContainEqual(
      expect.objectContaining({
        LogicalResourceId: 'ListenerRule',
        ResourceStatus: 'CREATE_COMPLETE',
        PhysicalResourceId: rules[0]?.RuleArn,
      }),
    );
  });

  it('matches a header route on the header name and value', () => {
    cloud.cloudFormation.createStack(
      createStackInput('tenant-acme', { model: 'silo-services', route: { style: 'header' } }),
    );

    clock.advance(1500);

    expect(tenantRules()[0]?.Conditions).toEqual([
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-tenant-id', Values: ['acme'] } },
    ]);
  });

  it('holds the priority from when CloudFormation creates the rule, before the stack completes', () => {
    cloud.cloudFormation.createStack(createStackInput('tenant-acme', { route: { priority: 7 } }));
    advanceUntilRuleCreationStarts('tenant-acme');

    const clash = (() => {
      try {
        return cloud.elb.createRule(pooledRule(7));
      } catch (error) {
        return error;
      }
    })();

    expect(clash).toBeInstanceOf(PriorityInUseException);
    expect(cloud.cloudFormation.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0]?.StackStatus).toBe(
      'CREATE_IN_PROGRESS',
    );
  });
});

describe('a tenant stack whose listener rule ELB refuses', () => {
  it('rolls back with "Priority is currently in use" on ListenerRule when the priority is taken', () => {
    // Arrange
    cloud.elb.createRule(pooledRule(5));
    cloud.cloudFormation.createStack(createStackInput('tenant-acme', { route: { priority: 5 }, token: 'create-1' }));

    // Act
    clock.advance(1500);
    const rollingBack = cloud.cloudFormation.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0];
    clock.advance(1000);
    const rolledBack = cloud.cloudFormation.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0];
    const all = events('tenant-acme');

    // Assert
    const reason = 'The following resource(s) failed to create: [ListenerRule]. Rollback requested by user.';
    expect(rollingBack).toMatchObject({ StackStatus: 'ROLLBACK_IN_PROGRESS', StackStatusReason: reason });
    expect(rolledBack).toMatchObject({ StackStatus: 'ROLLBACK_COMPLETE', StackStatusReason: reason });
    expect(rolledBack?.Outputs).toBeUndefined();
    expect(all).toContainEqual(
      expect.objectContaining({
        LogicalResourceId: 'ListenerRule',
        ResourceType: 'AWS::ElasticLoadBalancingV2::ListenerRule',
        ResourceStatus: 'CREATE_FAILED',
        ResourceStatusReason: expect.stringContaining("Priority '5' is currently in use"),
        ClientRequestToken: 'create-1',
      }),
    );
    expect(firstFailure(all)).toMatch(
      /^ListenerRule \(AWS::ElasticLoadBalancingV2::ListenerRule\): Resource handler returned message: "Priority '5' is currently in use/,
    );
    // The routed service depends on the rule, so CloudFormation never starts it.
    expect(all.some((event) => event.LogicalResourceId === slotResourceId('AWS::ECS::Service', 0))).toBe(false);
    expect(tenantRules().map((rule) => rule.Actions?.[0]?.TargetGroupArn)).toEqual([pooledTargetGroupArn]);
    expect(() => cloud.ecs.describeServices({ cluster: 'tenant-acme', services: ['tenant-acme-web'] })).toThrow(
      ClusterNotFoundException,
    );
  });

  it("fails the second of two stacks given the same priority, and keeps the first one's rule", () => {
    cloud.cloudFormation.createStack(createStackInput('tenant-acme', { route: { priority: 9 } }));
    clock.advance(100);
    cloud.cloudFormation.createStack(createStackInput('tenant-globex', { route: { priority: 9 } }));

    clock.advance(5000);

    expect(cloud.cloudFormation.listStacks().map(({ stackName, status }) => [stackName, status])).toEqual([
      ['tenant-acme', 'CREATE_COMPLETE'],
      ['tenant-globex', 'ROLLBACK_COMPLETE'],
    ]);
    expect(tenantRules().map((rule) => rule.RuleArn)).toEqual([outputs('tenant-acme').ListenerRuleArn]);
  });

  it.each([
    [
      'an unknown listener',
      () => createStackInput('tenant-acme', { route: { listenerArn: secondListenerArn } }),
      'One or more listeners not found',
    ],
    [
      'a full load balancer',
      () => createStackInput('tenant-acme'),
      "You've reached the limit on the number of rules per load balancer",
    ],
  ])("rolls back on %s with ELB's message", (_, input, message) => {
    cloud = newCloud(1);
    cloud.elb.createRule(pooledRule(1));
    cloud.cloudFormation.createStack(input());

    clock.advance(2500);

    expect(cloud.cloudFormation.listStacks()[0]?.status).toBe('ROLLBACK_COMPLETE');
    expect(firstFailure(events('tenant-acme'))).toContain(message);
  });

  it("stops in CREATE_FAILED with the rule's reason when rollback is off", () => {
    cloud.elb.createRule(pooledRule(5));
    cloud.cloudFormation.createStack({
      ...createStackInput('tenant-acme', { route: { priority: 5 } }),
      OnFailure: 'DO_NOTHING',
    });

    clock.advance(10_000);

    expect(cloud.cloudFormation.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0]).toMatchObject({
      StackStatus: 'CREATE_FAILED',
      StackStatusReason: 'The following resource(s) failed to create: [ListenerRule]. ',
    });
  });
});

describe("removing a tenant stack's listener rule", () => {
  it('deletes the rule with the stack, before its target group, without the rule blocking the target group', () => {
    // Arrange
    cloud.cloudFormation.createStack(createStackInput('tenant-acme'));
    clock.advance(1500);
    const { ListenerRuleArn: ruleArn, TargetGroupArn: targetGroupArn } = outputs('tenant-acme');
    const stackId = cloud.cloudFormation.listStacks()[0]?.stackId ?? '';

    // Act
    cloud.cloudFormation.deleteStack({ StackName: 'tenant-acme' });
    clock.advance(1000);

    // Assert
    expect(cloud.cloudFormation.listStacks()[0]?.status).toBe('DELETE_COMPLETE');
    expect(tenantRules().map((rule) => rule.RuleArn)).not.toContain(ruleArn);
    expect(cloud.elb.toJSON().targetGroups).not.toContain(targetGroupArn);
    const deleted = (cloud.cloudFormation.describeStackEvents({ StackName: stackId }).StackEvents ?? [])
      .filter((event) => event.ResourceStatus === 'DELETE_COMPLETE')
      .map((event) => event.LogicalResourceId)
      .reverse();
    const targetGroup = slotResourceId('AWS::ElasticLoadBalancingV2::TargetGroup', 0);
    expect(deleted).toContain(targetGroup);
    expect(deleted.indexOf('ListenerRule')).toBeLessThan(deleted.indexOf(targetGroup));
  });

  it('removes a rule already created when a later resource fails and the stack rolls back', () => {
    // The routed service is created after the rule, which it depends on.
    cloud.cloudFormation.failNextCreate(
      'tenant-acme',
      'Resource handler returned message: "Invalid request provided"',
      {
        logicalResourceId: slotResourceId('AWS::ECS::Service', 0),
      },
    );
    cloud.cloudFormation.createStack(createStackInput('tenant-acme'));
    advanceUntilRuleCreationStarts('tenant-acme');
    const duringCreate = tenantRules().length;

    clock.advance(2500);

    expect(duringCreate).toBe(1);
    expect(cloud.cloudFormation.listStacks()[0]?.status).toBe('ROLLBACK_COMPLETE');
    expect(tenantRules()).toEqual([]);
  });

  it('removes the rule when a delete cancels the creation after the rule was made', () => {
    cloud.cloudFormation.createStack(createStackInput('tenant-acme'));
    advanceUntilRuleCreationStarts('tenant-acme');
    const duringCreate = tenantRules().length;

    cloud.cloudFormation.deleteStack({ StackName: 'tenant-acme' });
    clock.advance(1000);

    expect(duringCreate).toBe(1);
    expect(cloud.cloudFormation.listStacks()[0]?.status).toBe('DELETE_COMPLETE');
    expect(tenantRules()).toEqual([]);
  });
});
