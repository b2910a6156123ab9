import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { ClusterNotFoundException } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createStack, deleteStack, describeStack, findFirstFailure } from '../../../../functions/shared/aws/stacks.ts';
import { createLocalCloud, type LocalCloud } from '../../../../local/cloud/index.ts';
import {
  createStackInput,
  FakeClock,
  listenerArn,
  pooledTargetGroupArn,
  roleArn,
  templateUrl,
  tenantParameters,
} from './cloud.fixture.ts';
import { slotResourceId } from './real-templates.fixture.ts';

let clock: FakeClock;
let cloud: LocalCloud;

function newCloud(): LocalCloud {
  return createLocalCloud({
    now: clock.now,
    listeners: [{ listenerArn }],
    targetGroups: [pooledTargetGroupArn],
    sharedClusters: ['shared-tenants'],
    createMs: 1500,
    deleteMs: 1000,
    startMs: 500,
  });
}

beforeEach(() => {
  clock = new FakeClock();
  cloud = newCloud();
});

function outputs(stackName: string): Record<string, string> {
  const stack = cloud.cloudFormation.describeStacks({ StackName: stackName }).Stacks?.[0];
  return Object.fromEntries((stack?.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
}

function runningCounts(cluster: string, services: string[]): (number | undefined)[] {
  return (cloud.ecs.describeServices({ cluster, services }).services ?? []).map((service) => service.runningCount);
}

function forwardRule(targetGroupArn: string, priority = 10) {
  return {
    ListenerArn: listenerArn,
    Priority: priority,
    Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['acme.tenants.example.com'] } }],
    Actions: [{ Type: 'forward' as const, TargetGroupArn: targetGroupArn }],
  };
}

describe('createLocalCloud', () => {
  it('makes a completed silo-cluster stack create its cluster, services and target group', () => {
    // Arrange
    cloud.cloudFormation.createStack(createStackInput('tenant-acme'));
    const services = ['tenant-acme-web', 'tenant-acme-worker'];

    // Act
    const beforeCompletion = (() => {
      try {
        return cloud.ecs.describeServices({ cluster: 'tenant-acme', services });
      } catch (error) {
        return error;
      }
    })();
    clock.advance(1500);
    const atCompletion = runningCounts('tenant-acme', services);
    clock.advance(500);
    const started = runningCounts('tenant-acme', services);
    const rule = cloud.elb.createRule(forwardRule(outputs('tenant-acme').TargetGroupArn ?? ''));

    // Assert
    expect(beforeCompletion).toBeInstanceOf(ClusterNotFoundException);
    expect(atCompletion).toEqual([0, 0]);
    expect(started).toEqual([2, 1]);
    expect(rule.Rules).toHaveLength(1);
  });

  it('refuses a route to a stack target group that does not exist yet', () => {
    cloud.cloudFormation.createStack(createStackInput('tenant-acme'));
    const model = cloud.cloudFormation.toJSON().stacks[0]?.model;

    expect(() => cloud.elb.createRule(forwardRule(model?.targetGroupArn ?? ''))).toThrow(
      'One or more target groups not found',
    );
  });

  it('runs silo-services stacks in the shared cluster, and rolls back when that cluster is missing', () => {
    const withoutShared = createLocalCloud({ now: clock.now, listeners: [{ listenerArn }] });
    const input = createStackInput('tenant-acme', {
      model: 'silo-services',
      services: [{ name: 'web', desiredCount: 1 }],
    });
    cloud.cloudFormation.createStack(input);
    withoutShared.cloudFormation.createStack(input);

    clock.advance(5000);

    expect(runningCounts('shared-tenants', ['tenant-acme-web'])).toEqual([1]);
    const failed = withoutShared.cloudFormation.describeStackEvents({ StackName: 'tenant-acme' }).StackEvents ?? [];
    expect(failed[0]?.ResourceStatus).toBe('ROLLBACK_COMPLETE');
    expect(failed).toContainEqual(
      expect.objectContaining({
        LogicalResourceId: slotResourceId('AWS::ECS::Service', 0, 'silo-services'),
        ResourceStatus: 'CREATE_FAILED',
        ResourceStatusReason: expect.stringContaining('Cluster not found.'),
      }),
    );
  });

  it('fails a delete while a rule uses the stack target group, and removes everything once the rule is gone', () => {
    // Arrange
    cloud.cloudFormation.createStack(createStackInput('tenant-acme'));
    clock.advance(2000);
    const targetGroupArn = outputs('tenant-acme').TargetGroupArn ?? '';
    const ruleArn = cloud.elb.createRule(forwardRule(targetGroupArn)).Rules?.[0]?.RuleArn ?? '';

    // Act
    cloud.cloudFormation.deleteStack({ StackName: 'tenant-acme' });
    clock.advance(1000);
    const failed = cloud.cloudFormation.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0];
    const servicesAfterFailure = cloud.ecs.describeServices({ cluster: 'tenant-acme', services: ['tenant-acme-web'] })
      .services?.[0];
    cloud.elb.deleteRule({ RuleArn: ruleArn });
    cloud.cloudFormation.deleteStack({ StackName: 'tenant-acme' });
    clock.advance(1000);

    // Assert
    expect(failed).toMatchObject({
      StackStatus: 'DELETE_FAILED',
      StackStatusReason: `The following resource(s) failed to delete: [${slotResourceId('AWS::ElasticLoadBalancingV2::TargetGroup', 0)}]. `,
    });
    expect(servicesAfterFailure?.status).toBe('INACTIVE');
    expect(() => cloud.ecs.describeServices({ cluster: 'tenant-acme', services: ['tenant-acme-web'] })).toThrow(
      ClusterNotFoundException,
    );
    expect(cloud.cloudFormation.listStacks()[0]?.status).toBe('DELETE_COMPLETE');
    expect(cloud.elb.toJSON().targetGroups).toEqual([pooledTargetGroupArn]);
    expect(cloud.elb.toJSON().targetGroups).not.toContain(targetGroupArn);
  });

  it('resumes from plain JSON in a new process and carries on with the clock', () => {
    // Arrange
    cloud.cloudFormation.createStack(createStackInput('tenant-acme'));
    clock.advance(1000);
    const saved = JSON.parse(
      JSON.stringify({
        cloudFormation: cloud.cloudFormation.toJSON(),
        elb: cloud.elb.toJSON(),
        ecs: cloud.ecs.toJSON(),
      }),
    ) as { cloudFormation: never; elb: never; ecs: never };

    // Act
    const resumed = newCloud();
    resumed.cloudFormation.fromJSON(saved.cloudFormation);
    resumed.elb.fromJSON(saved.elb);
    resumed.ecs.fromJSON(saved.ecs);
    clock.advance(1000);

    // Assert
    expect(resumed.cloudFormation.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0]?.StackStatus).toBe(
      'CREATE_COMPLETE',
    );
    expect(
      resumed.ecs.describeServices({ cluster: 'tenant-acme', services: ['tenant-acme-web'] }).services?.[0]
        ?.runningCount,
    ).toBe(2);
  });
});

describe('the local cloud behind the real CloudFormation adapter', () => {
  const client = mockClient(CloudFormationClient);
  const context = {
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:run-1',
    redriveCount: 0,
    roleArn,
  };
  const creation = {
    stackName: 'tenant-acme',
    templateUrl: templateUrl('silo-cluster'),
    parameters: tenantParameters('acme', 'silo-cluster', [{ name: 'web', desiredCount: 1 }]),
    tags: { tenantId: 'acme' },
  };

  beforeEach(() => {
    client.reset();
    client.on(CreateStackCommand).callsFake((input) => cloud.cloudFormation.createStack(input));
    client.on(DescribeStacksCommand).callsFake((input) => cloud.cloudFormation.describeStacks(input));
    client.on(DescribeStackEventsCommand).callsFake((input) => cloud.cloudFormation.describeStackEvents(input));
    client.on(DeleteStackCommand).callsFake((input) => cloud.cloudFormation.deleteStack(input));
  });

  it('converges a create, a retried create and a delete the way the orchestrator reads them', async () => {
    expect(await createStack(creation, context)).toBe('accepted');
    // The local cloud refuses every reuse of a token, the exact replay included (the strict model).
    expect(await createStack(creation, context)).toBe('token-reused');
    expect(await createStack(creation, { ...context, redriveCount: 1 })).toBe('already-exists');
    clock.advance(1500);
    expect(await describeStack('tenant-acme')).toMatchObject({
      status: 'CREATE_COMPLETE',
      outputs: { ClusterName: 'tenant-acme' },
    });

    expect(await deleteStack('tenant-acme', context)).toBe('accepted');
    clock.advance(1000);
    expect(await describeStack('tenant-acme')).toBeUndefined();
    expect(await deleteStack('tenant-acme', context)).toBe('token-reused');
    expect(await deleteStack('tenant-acme', { ...context, redriveCount: 1 })).toBe('accepted');
  });

  it('lets the adapter find the cause of a rolled-back create', async () => {
    cloud.cloudFormation.failNextCreate('tenant-acme', 'Resource handler returned message: "Invalid request provided"');
    await createStack(creation, context);
    clock.advance(2500);

    const stack = await describeStack('tenant-acme');
    const cause = await findFirstFailure(stack?.stackId ?? '');

    expect(stack?.status).toBe('ROLLBACK_COMPLETE');
    // One service only: the failure hits it (and cancels the resource started alongside).
    expect(cause).toBe(
      `${slotResourceId('AWS::ECS::Service', 0)} (AWS::ECS::Service): Resource handler returned message: "Invalid request provided"`,
    );
  });
});
