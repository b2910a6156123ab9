/**
 * Stacks of the real tenant templates in the local cloud: what CloudFormation creates shows up in
 * ECS and ELB, the events name the template's resources, and a delete removes them again.
 */
import { InsufficientCapabilitiesException, type StackEvent } from '@aws-sdk/client-cloudformation';
import { ClusterNotFoundException } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLocalCloud, type LocalCloud } from '../../../../local/cloud/index.ts';
import { FakeClock, listenerArn, pooledTargetGroupArn } from './cloud.fixture.ts';
import { plannedCreateStackInput, plannedStack } from './real-templates.fixture.ts';

let clock: FakeClock;
let cloud: LocalCloud;

function newCloud(sharedClusters: string[]): LocalCloud {
  return createLocalCloud({
    now: clock.now,
    listeners: [{ listenerArn }],
    targetGroups: [pooledTargetGroupArn],
    sharedClusters,
    createMs: 1200,
    deleteMs: 1000,
    startMs: 0,
  });
}

beforeEach(() => {
  clock = new FakeClock();
  cloud = newCloud(['shared-tenants']);
});

function events(stackName: string): StackEvent[] {
  return cloud.cloudFormation.describeStackEvents({ StackName: stackName }).StackEvents ?? [];
}

function outputs(stackName: string): Record<string, string> {
  const stack = cloud.cloudFormation.describeStacks({ StackName: stackName }).Stacks?.[0];
  return Object.fromEntries((stack?.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
}

describe('a premium (silo-cluster) stack of the real template', () => {
  const planned = plannedStack('acme', 'premium', { priority: 7 });

  it("creates the template's cluster, both services and the rule, and outputs them", () => {
    cloud.cloudFormation.createStack(plannedCreateStackInput(planned));
    clock.advance(1200);

    const stack = cloud.cloudFormation.describeStacks({ StackName: planned.stackName }).Stacks?.[0];
    const services =
      cloud.ecs.describeServices({ cluster: 'tenant-acme', services: ['tenant-acme-web', 'tenant-acme-api'] })
        .services ?? [];
    const rules = cloud.elb.listRules().filter((rule) => !rule.IsDefault);

    expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
    expect(services.map((service) => [service.serviceName, service.status, service.desiredCount])).toEqual([
      ['tenant-acme-web', 'ACTIVE', planned.tier.services[0]?.desiredCount],
      ['tenant-acme-api', 'ACTIVE', planned.tier.services[1]?.desiredCount],
    ]);
    expect(rules).toEqual([
      expect.objectContaining({
        Priority: '7',
        Conditions: [
          expect.objectContaining({ Field: 'host-header', HostHeaderConfig: { Values: ['acme.tenants.example.com'] } }),
        ],
      }),
    ]);
    expect(outputs(planned.stackName)).toEqual({
      TargetGroupArn: expect.stringContaining(':targetgroup/'),
      ClusterName: 'tenant-acme',
      ServiceNames: 'tenant-acme-web,tenant-acme-api',
      ListenerRuleArn: rules[0]?.RuleArn,
    });
  });

  it("names the template's logical ids in its events, and none of the unused slots", () => {
    cloud.cloudFormation.createStack(plannedCreateStackInput(planned));
    clock.advance(1200);

    const completed = events(planned.stackName)
      .filter((event) => event.ResourceStatus === 'CREATE_COMPLETE' && event.LogicalResourceId !== planned.stackName)
      .map((event) => event.LogicalResourceId ?? '');

    expect(completed).toContain('Cluster');
    expect(completed).toContain('ListenerRule');
    // Slot 0: security group, task definition, target group, service; slot 1 the same without a target group.
    expect(completed.filter((id) => id.startsWith('Slot0') || id.startsWith('Slot1'))).toHaveLength(7);
    expect(completed.some((id) => id.startsWith('Slot2') || id.startsWith('Slot3'))).toBe(false);
  });

  it('removes the cluster, services and rule on delete', () => {
    cloud.cloudFormation.createStack(plannedCreateStackInput(planned));
    clock.advance(1200);

    cloud.cloudFormation.deleteStack({ StackName: planned.stackName });
    clock.advance(1000);

    expect(cloud.cloudFormation.listStacks()[0]?.status).toBe('DELETE_COMPLETE');
    expect(cloud.elb.listRules().filter((rule) => !rule.IsDefault)).toEqual([]);
    expect(() => cloud.ecs.describeServices({ cluster: 'tenant-acme', services: ['tenant-acme-web'] })).toThrow(
      ClusterNotFoundException,
    );
  });

  it('refuses a request without CAPABILITY_IAM, which the template roles need', () => {
    const { Capabilities: _capabilities, ...input } = plannedCreateStackInput(planned);

    expect(() => cloud.cloudFormation.createStack(input)).toThrow(InsufficientCapabilitiesException);
  });
});

describe('an advanced (silo-services) stack of the real template', () => {
  const planned = plannedStack('initech', 'advanced');

  it('runs its service in the shared cluster', () => {
    cloud.cloudFormation.createStack(plannedCreateStackInput(planned));
    clock.advance(1200);

    const services =
      cloud.ecs.describeServices({ cluster: 'shared-tenants', services: ['tenant-initech-web'] }).services ?? [];

    expect(services.map((service) => service.status)).toEqual(['ACTIVE']);
    expect(outputs(planned.stackName).ClusterName).toBe('shared-tenants');
  });

  it('rolls back with "Cluster not found." on its service when the shared cluster is missing', () => {
    cloud = newCloud([]);

    cloud.cloudFormation.createStack(plannedCreateStackInput(planned));
    clock.advance(1200);

    const failed = events(planned.stackName).find((event) => event.ResourceStatus === 'CREATE_FAILED');
    expect(failed).toMatchObject({
      ResourceType: 'AWS::ECS::Service',
      ResourceStatusReason: expect.stringContaining('Cluster not found.'),
    });
    expect(failed?.LogicalResourceId).toMatch(/^Slot0Service/);
  });
});
