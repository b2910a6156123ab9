import {
  AlreadyExistsException,
  CloudFormationServiceException,
  InsufficientCapabilitiesException,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { beforeEach, describe, expect, it } from 'vitest';
import { firstFailure } from '../../../../functions/shared/aws/stacks.ts';
import { CloudFormationSimulator } from '../../../../local/cloud/cloudformation.ts';
import { tenantTemplateModel } from '../../../../local/cloud/template-model.ts';
import { createStackInput, FakeClock, roleArn } from './cloud.fixture.ts';
import { realTemplates, slotResourceId } from './real-templates.fixture.ts';

let clock: FakeClock;
let cfn: CloudFormationSimulator;

beforeEach(() => {
  clock = new FakeClock();
  cfn = new CloudFormationSimulator({ now: clock.now, createMs: 1500, deleteMs: 1000 });
});

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function status(stackName: string): string | undefined {
  return cfn.describeStacks({ StackName: stackName }).Stacks?.[0]?.StackStatus;
}

function allEvents(stackName: string): StackEvent[] {
  return cfn.describeStackEvents({ StackName: stackName }).StackEvents ?? [];
}

/** The resource whose creation the failure of another cancelled (CloudFormation had started it alongside). */
function cancelledResource(events: readonly StackEvent[]): string | undefined {
  return events.find((event) => event.ResourceStatusReason === 'Resource creation cancelled')?.LogicalResourceId;
}

/** The real template's first ECS service in creation order: the resource an injected failure hits by default. */
function firstServiceCreated(stackName: string): string | undefined {
  return cfn
    .toJSON()
    .stacks.find((stack) => stack.stackName === stackName)
    ?.resources.find((resource) => resource.resourceType === 'AWS::ECS::Service')?.logicalResourceId;
}

describe('CloudFormationSimulator createStack', () => {
  it('moves from CREATE_IN_PROGRESS to CREATE_COMPLETE after createMs and shows outputs only then', () => {
    // Arrange
    const created = cfn.createStack(createStackInput('tenant-acme', { token: 'create-1' }));
    const startedAt = clock.time;

    // Act
    const during = cfn.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0];
    clock.advance(1499);
    const stillDuring = status('tenant-acme');
    clock.advance(1);
    const after = cfn.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0];

    // Assert
    expect(created.StackId).toMatch(
      /^arn:aws:cloudformation:us-east-1:111122223333:stack\/tenant-acme\/[0-9a-f-]{36}$/,
    );
    expect(during?.StackStatus).toBe('CREATE_IN_PROGRESS');
    expect(during?.Outputs).toBeUndefined();
    expect(stillDuring).toBe('CREATE_IN_PROGRESS');
    expect(after).toMatchObject({
      StackName: 'tenant-acme',
      StackId: created.StackId,
      StackStatus: 'CREATE_COMPLETE',
      CreationTime: new Date(startedAt),
      RoleARN: roleArn,
      Capabilities: ['CAPABILITY_IAM'],
      Tags: [
        { Key: 'tenantId', Value: 'acme' },
        { Key: 'managed-by', Value: 'tenant-orchestrator' },
      ],
    });
    expect(after?.StackStatusReason).toBeUndefined();
    expect(after?.Parameters).toContainEqual({ ParameterKey: 'TenantId', ParameterValue: 'acme' });
    expect(Object.fromEntries((after?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]))).toEqual({
      TargetGroupArn: expect.stringMatching(/^arn:aws:elasticloadbalancing:.*:targetgroup\//),
      ClusterName: 'tenant-acme',
      ServiceNames: 'tenant-acme-web,tenant-acme-worker',
      ListenerRuleArn: expect.stringMatching(/^arn:aws:elasticloadbalancing:.*:listener-rule\/app\/tenants\//),
    });
  });

  it('refuses a second stack of a live name with AlreadyExistsException', () => {
    cfn.createStack(createStackInput('tenant-acme', { token: 'create-1' }));

    const error = thrown(() => cfn.createStack(createStackInput('tenant-acme', { token: 'create-2' })));

    expect(error).toBeInstanceOf(AlreadyExistsException);
    expect(error).toMatchObject({
      name: 'AlreadyExistsException',
      message: 'Stack [tenant-acme] already exists',
      $fault: 'client',
    });
  });

  it('treats a retry without a token as a second create', () => {
    cfn.createStack(createStackInput('tenant-acme'));

    expect(() => cfn.createStack(createStackInput('tenant-acme'))).toThrow(AlreadyExistsException);
  });

  it('rolls back an injected failure, with the resource reason in the events and no outputs', () => {
    // Arrange
    cfn.failNextCreate(
      'tenant-acme',
      'Resource handler returned message: "Invalid request provided: CreateService error"',
    );
    cfn.createStack(createStackInput('tenant-acme', { token: 'create-1' }));

    // Act
    clock.advance(1500);
    const rollingBack = cfn.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0];
    clock.advance(1000);
    const rolledBack = cfn.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0];
    const events = allEvents('tenant-acme');

    // Assert
    const service = firstServiceCreated('tenant-acme');
    const cancelled = cancelledResource(events);
    expect(service).toBeDefined();
    expect(cancelled).toBeDefined();
    expect(cancelled).not.toBe(service);
    const reason = `The following resource(s) failed to create: [${cancelled}, ${service}]. Rollback requested by user.`;
    expect(rollingBack).toMatchObject({ StackStatus: 'ROLLBACK_IN_PROGRESS', StackStatusReason: reason });
    expect(rolledBack).toMatchObject({ StackStatus: 'ROLLBACK_COMPLETE', StackStatusReason: reason });
    expect(rolledBack?.Outputs).toBeUndefined();
    expect(events).toContainEqual(
      expect.objectContaining({
        LogicalResourceId: service,
        ResourceType: 'AWS::ECS::Service',
        ResourceStatus: 'CREATE_FAILED',
        ResourceStatusReason: 'Resource handler returned message: "Invalid request provided: CreateService error"',
        ClientRequestToken: 'create-1',
      }),
    );
    expect(
      events.some((event) => event.LogicalResourceId === cancelled && event.ResourceStatus === 'CREATE_COMPLETE'),
    ).toBe(false);
    expect(events[0]).toMatchObject({ LogicalResourceId: 'tenant-acme', ResourceStatus: 'ROLLBACK_COMPLETE' });
    // The orchestrator's own reading of the events finds the injected cause.
    expect(firstFailure(events)).toBe(
      `${service} (AWS::ECS::Service): Resource handler returned message: "Invalid request provided: CreateService error"`,
    );
  });

  it('applies an injected failure only to the next matching stack, on the chosen resource', () => {
    const targetGroup = slotResourceId('AWS::ElasticLoadBalancingV2::TargetGroup', 0);
    cfn.failNextCreate(/^tenant-a/, 'Target group quota reached', { logicalResourceId: targetGroup });
    cfn.createStack(createStackInput('tenant-zeta'));
    cfn.createStack(createStackInput('tenant-alpha'));
    cfn.createStack(createStackInput('tenant-abc'));

    clock.advance(5000);

    expect(status('tenant-zeta')).toBe('CREATE_COMPLETE');
    expect(status('tenant-alpha')).toBe('ROLLBACK_COMPLETE');
    expect(status('tenant-abc')).toBe('CREATE_COMPLETE');
    expect(allEvents('tenant-alpha')).toContainEqual(
      expect.objectContaining({
        LogicalResourceId: targetGroup,
        ResourceStatus: 'CREATE_FAILED',
        ResourceStatusReason: 'Target group quota reached',
      }),
    );
  });

  it('stops in CREATE_FAILED when rollback is off', () => {
    cfn.failNextCreate('tenant-acme', 'boom');
    cfn.createStack({ ...createStackInput('tenant-acme'), OnFailure: 'DO_NOTHING' });

    clock.advance(10_000);

    const cancelled = cancelledResource(allEvents('tenant-acme'));
    expect(cfn.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0]).toMatchObject({
      StackStatus: 'CREATE_FAILED',
      StackStatusReason: `The following resource(s) failed to create: [${cancelled}, ${firstServiceCreated('tenant-acme')}]. `,
      DisableRollback: true,
    });
    expect(allEvents('tenant-acme').some((event) => event.ResourceStatus === 'DELETE_COMPLETE')).toBe(false);
  });

  it('refuses a stack whose template needs CAPABILITY_IAM without it', () => {
    const error = thrown(() => cfn.createStack({ ...createStackInput('tenant-acme'), Capabilities: [] }));

    expect(error).toBeInstanceOf(InsufficientCapabilitiesException);
    expect(error).toMatchObject({
      name: 'InsufficientCapabilitiesException',
      message: 'Requires capabilities : [CAPABILITY_IAM]',
    });
    expect(cfn.listStacks()).toEqual([]);
  });

  it('refuses a stack name CloudFormation does not accept', () => {
    const error = thrown(() => cfn.createStack(createStackInput('tenant_acme')));

    expect(error).toBeInstanceOf(CloudFormationServiceException);
    expect(error).toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining("Value 'tenant_acme' at 'stackName'"),
    });
  });
});

describe('CloudFormationSimulator describeStacks', () => {
  it('reports an unknown stack as the ValidationError AWS returns', () => {
    const error = thrown(() => cfn.describeStacks({ StackName: 'tenant-x' }));

    expect(error).toBeInstanceOf(CloudFormationServiceException);
    expect(error).toMatchObject({
      name: 'ValidationError',
      $fault: 'client',
      message: 'Stack with id tenant-x does not exist',
      $metadata: expect.objectContaining({ httpStatusCode: 400 }),
    });
  });

  it('lists every live stack without a StackName', () => {
    cfn.createStack(createStackInput('tenant-a'));
    cfn.createStack(createStackInput('tenant-b'));

    const names = (cfn.describeStacks({}).Stacks ?? []).map((stack) => stack.StackName);

    expect(names.sort()).toEqual(['tenant-a', 'tenant-b']);
  });
});

describe('CloudFormationSimulator describeStackEvents', () => {
  it('lists events newest first, starting from the user-initiated create, with AWS fields', () => {
    const { StackId } = cfn.createStack(createStackInput('tenant-acme', { token: 'create-1' }));
    clock.advance(1500);

    const events = allEvents('tenant-acme');

    const timestamps = events.map((event) => event.Timestamp?.getTime() ?? 0);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => b - a));
    expect(events.at(-1)).toMatchObject({
      StackId,
      StackName: 'tenant-acme',
      LogicalResourceId: 'tenant-acme',
      PhysicalResourceId: StackId,
      ResourceType: 'AWS::CloudFormation::Stack',
      ResourceStatus: 'CREATE_IN_PROGRESS',
      ResourceStatusReason: 'User Initiated',
      ClientRequestToken: 'create-1',
    });
    expect(events[0]).toMatchObject({ LogicalResourceId: 'tenant-acme', ResourceStatus: 'CREATE_COMPLETE' });
    expect(events).toContainEqual(
      expect.objectContaining({
        LogicalResourceId: 'Cluster',
        ResourceType: 'AWS::ECS::Cluster',
        PhysicalResourceId: 'tenant-acme',
        ResourceStatus: 'CREATE_COMPLETE',
      }),
    );
    expect(new Set(events.map((event) => event.EventId)).size).toBe(events.length);
  });

  it('pages by 100 with NextToken, without repeats or gaps when events are added between pages', () => {
    // Arrange: the real template with 40 log groups more makes well over 100 events.
    const bigger = structuredClone(realTemplates('silo-cluster', '1.0.0')) as {
      Resources: Record<string, { Type: string }>;
    };
    for (let index = 0; index < 40; index += 1)
      bigger.Resources[`ExtraLogGroup${index}`] = { Type: 'AWS::Logs::LogGroup' };
    const source = () => bigger;
    cfn = new CloudFormationSimulator({ now: clock.now, createMs: 1500, model: tenantTemplateModel(source) });
    cfn.createStack(createStackInput('tenant-big'));
    const resources = cfn.toJSON().stacks[0]?.resources.length ?? 0;
    clock.advance(1000);
    const readAll = (betweenPages: () => void): string[] => {
      const ids: string[] = [];
      let token: string | undefined;
      do {
        const page = cfn.describeStackEvents({
          StackName: 'tenant-big',
          ...(token !== undefined ? { NextToken: token } : {}),
        });
        expect(page.StackEvents?.length).toBeLessThanOrEqual(100);
        ids.push(...(page.StackEvents ?? []).map((event) => event.EventId ?? ''));
        token = page.NextToken;
        betweenPages();
      } while (token !== undefined);
      return ids;
    };
    const snapshot = readAll(() => undefined);

    // Act: the create runs on (and adds events) while the pages are read.
    const paged = readAll(() => clock.advance(200));

    // Assert
    expect(resources).toBeGreaterThan(40);
    expect(snapshot.length).toBeGreaterThan(100);
    expect(paged).toEqual(snapshot);
    clock.advance(1000);
    expect(readAll(() => undefined).length).toBe(1 + resources * 3 + 1);
  });

  it('reports events of an unknown stack as a ValidationError', () => {
    const error = thrown(() => cfn.describeStackEvents({ StackName: 'tenant-x' }));

    expect(error).toMatchObject({ name: 'ValidationError', message: 'Stack [tenant-x] does not exist' });
  });
});

describe('CloudFormationSimulator injectError', () => {
  it('throws the injected error on the next N calls of the operation only', () => {
    const throttling = new CloudFormationServiceException({
      name: 'Throttling',
      $fault: 'client',
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 400 },
    });
    cfn.createStack(createStackInput('tenant-acme'));
    cfn.injectError('DescribeStacks', throttling, 2);

    const first = thrown(() => status('tenant-acme'));
    const events = allEvents('tenant-acme');
    const second = thrown(() => status('tenant-acme'));

    expect(first).toBe(throttling);
    expect(second).toBe(throttling);
    expect(events.length).toBeGreaterThan(0);
    expect(status('tenant-acme')).toBe('CREATE_IN_PROGRESS');
  });

  it('rejects a non-positive count', () => {
    expect(() => cfn.injectError('CreateStack', new Error('x'), 0)).toThrow(RangeError);
  });
});
