import {
  CloudFormationClient,
  CloudFormationServiceException,
  InsufficientCapabilitiesException,
  TokenAlreadyExistsException,
  UpdateStackCommand,
  type StackEvent,
  type UpdateStackCommandInput,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { suspendedResponse } from '../../../../functions/shared/config/template-parameters.ts';
import { CloudFormationSimulator } from '../../../../local/cloud/cloudformation.ts';
import { EcsSimulator } from '../../../../local/cloud/ecs.ts';
import { LoadBalancingSimulator } from '../../../../local/cloud/elb.ts';
import { createStackInput, FakeClock, listenerArn, templateBase } from './cloud.fixture.ts';
import { slotResourceId } from './real-templates.fixture.ts';

const stackName = 'tenant-acme';
const createMs = 1500;
const updateMs = 1000;
const rollbackMs = 800;
const deleteMs = 600;
/** The cleanup phase with nothing to delete (a tenth of updateMs). */
const quietCleanupMs = 100;

let clock: FakeClock;
let ecs: EcsSimulator;
let elb: LoadBalancingSimulator;
let cfn: CloudFormationSimulator;

function cloud(startLooks?: number): void {
  clock = new FakeClock();
  ecs = new EcsSimulator({ now: clock.now, startMs: 500, ...(startLooks !== undefined ? { startLooks } : {}) });
  elb = new LoadBalancingSimulator({ listeners: [{ listenerArn }] });
  cfn = new CloudFormationSimulator({ now: clock.now, ecs, elb, createMs, updateMs, rollbackMs, deleteMs });
}

/** A completed stack with services web (2 tasks) and worker (1 task), running. */
function createdStack(options: { token?: string } = {}): void {
  cfn.createStack(createStackInput(stackName, options));
  clock.advance(createMs + 500);
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/** An update of the previous template: every parameter the stack has kept (UsePreviousValue), `changed` set. */
function updateInput(
  changed: Record<string, string>,
  extra: Partial<UpdateStackCommandInput> = {},
): UpdateStackCommandInput {
  const current = cfn.describeStacks({ StackName: stackName }).Stacks?.[0]?.Parameters ?? [];
  const kept = current
    .filter((parameter) => !Object.hasOwn(changed, parameter.ParameterKey ?? ''))
    .map((parameter) => ({ ParameterKey: parameter.ParameterKey, UsePreviousValue: true }));
  return {
    StackName: stackName,
    UsePreviousTemplate: true,
    Parameters: [
      ...kept,
      ...Object.entries(changed).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    ],
    Capabilities: ['CAPABILITY_IAM'],
    ...extra,
  };
}

function status(): string | undefined {
  return cfn.describeStacks({ StackName: stackName }).Stacks?.[0]?.StackStatus;
}

function parameter(name: string): string | undefined {
  return cfn
    .describeStacks({ StackName: stackName })
    .Stacks?.[0]?.Parameters?.find((candidate) => candidate.ParameterKey === name)?.ParameterValue;
}

/** Events oldest first, from `since` on. */
function eventsSince(since: number): StackEvent[] {
  return (cfn.describeStackEvents({ StackName: stackName }).StackEvents ?? [])
    .filter((event) => (event.Timestamp?.getTime() ?? 0) >= since)
    .reverse();
}

function ruleActions(): unknown {
  const [rule] = elb.listRules().filter((candidate) => candidate.IsDefault !== true);
  return rule?.Actions;
}

function service(name: string): { desiredCount?: number; runningCount?: number } | undefined {
  return ecs.describeServices({ cluster: stackName, services: [`${stackName}-${name}`] }).services?.[0];
}

const serviceIds = {
  web: () => slotResourceId('AWS::ECS::Service', 0),
  worker: () => slotResourceId('AWS::ECS::Service', 1),
};

beforeEach(() => cloud());

describe('CloudFormationSimulator updateStack: suspension as a parameter change', () => {
  it('moves UPDATE_IN_PROGRESS -> UPDATE_COMPLETE_CLEANUP_IN_PROGRESS -> UPDATE_COMPLETE and writes the events AWS writes', () => {
    createdStack();
    const start = clock.time;

    const output = cfn.updateStack(updateInput({ TenantSuspended: 'true' }, { ClientRequestToken: 'suspend-1' }));
    const during = status();
    clock.advance(updateMs);
    const cleanup = status();
    clock.advance(quietCleanupMs);

    expect(output.StackId).toBe(cfn.describeStacks({ StackName: stackName }).Stacks?.[0]?.StackId);
    expect(during).toBe('UPDATE_IN_PROGRESS');
    expect(cleanup).toBe('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    expect(status()).toBe('UPDATE_COMPLETE');
    const events = eventsSince(start);
    // One resource after the other in creation order (the routed service waits for the rule).
    expect(events.map((event) => [event.LogicalResourceId, event.ResourceStatus])).toEqual([
      [stackName, 'UPDATE_IN_PROGRESS'],
      [serviceIds.worker(), 'UPDATE_IN_PROGRESS'],
      [serviceIds.worker(), 'UPDATE_COMPLETE'],
      ['ListenerRule', 'UPDATE_IN_PROGRESS'],
      ['ListenerRule', 'UPDATE_COMPLETE'],
      [serviceIds.web(), 'UPDATE_IN_PROGRESS'],
      [serviceIds.web(), 'UPDATE_COMPLETE'],
      [stackName, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'],
      [stackName, 'UPDATE_COMPLETE'],
    ]);
    expect(events[0]).toMatchObject({ ResourceStatusReason: 'User Initiated' });
    expect(events.every((event) => event.ClientRequestToken === 'suspend-1')).toBe(true);
    expect(
      events.filter((event) => event.LogicalResourceId !== stackName).every((event) => event.PhysicalResourceId),
    ).toBe(true);
    const described = cfn.describeStacks({ StackName: stackName }).Stacks?.[0];
    expect(described?.LastUpdatedTime).toEqual(new Date(start));
    expect(parameter('TenantSuspended')).toBe('true');
    expect(described?.Outputs?.map((output) => output.OutputKey).sort()).toEqual([
      'ClusterName',
      'ListenerRuleArn',
      'ServiceNames',
      'TargetGroupArn',
    ]);
  });

  it('reaches ELB (fixed 503 response) and ECS (0 tasks) when each resource update comes due, not before', () => {
    createdStack();
    cfn.updateStack(updateInput({ TenantSuspended: 'true' }));

    const ruleBefore = ruleActions();
    clock.advance(updateMs / 2);
    const ruleAfter = ruleActions();
    const webWhileRuleChanges = service('web');
    clock.advance(updateMs);

    expect(ruleBefore).toEqual([expect.objectContaining({ Type: 'forward' })]);
    expect(ruleAfter).toEqual([
      {
        Type: 'fixed-response',
        Order: 1,
        FixedResponseConfig: {
          StatusCode: suspendedResponse.statusCode,
          ContentType: suspendedResponse.contentType,
          MessageBody: suspendedResponse.messageBody,
        },
      },
    ]);
    expect(webWhileRuleChanges).toMatchObject({ desiredCount: 2, runningCount: 2 });
    expect(service('web')).toMatchObject({ desiredCount: 0, runningCount: 0 });
    expect(service('worker')).toMatchObject({ desiredCount: 0, runningCount: 0 });
  });

  it('resumes with the remembered counts: forward again, and the services start again, counted in looks like new ones', () => {
    cloud(1);
    createdStack();
    service('web');
    service('worker');
    cfn.updateStack(updateInput({ TenantSuspended: 'true' }));
    clock.advance(updateMs + quietCleanupMs);

    cfn.updateStack(updateInput({ TenantSuspended: 'false' }));
    clock.advance(updateMs + quietCleanupMs);
    const firstLook = service('web');
    const secondLook = service('web');

    expect(status()).toBe('UPDATE_COMPLETE');
    expect(ruleActions()).toEqual([expect.objectContaining({ Type: 'forward' })]);
    expect(firstLook).toMatchObject({ desiredCount: 2, runningCount: 0 });
    expect(secondLook).toMatchObject({ desiredCount: 2, runningCount: 2 });
    expect(parameter('Service0DesiredCount')).toBe('2');
  });
});

describe('CloudFormationSimulator updateStack: what AWS refuses', () => {
  it('says "No updates are to be performed." when the template and every value are unchanged', () => {
    createdStack();

    const error = thrown(() => cfn.updateStack(updateInput({})));

    expect(error).toBeInstanceOf(CloudFormationServiceException);
    expect(error).toMatchObject({ name: 'ValidationError', message: 'No updates are to be performed.' });
    expect(status()).toBe('CREATE_COMPLETE');
  });

  it('gives a parameter left out its Default, not its previous value (that takes UsePreviousValue)', () => {
    createdStack();
    cfn.updateStack(updateInput({ TenantSuspended: 'true' }));
    clock.advance(updateMs + quietCleanupMs);
    const withoutSuspended = updateInput({}).Parameters?.filter(
      (candidate) => candidate.ParameterKey !== 'TenantSuspended',
    );
    const withoutTenantId = withoutSuspended?.filter((candidate) => candidate.ParameterKey !== 'TenantId');

    const missing = thrown(() => cfn.updateStack({ ...updateInput({}), Parameters: withoutTenantId }));
    cfn.updateStack({ ...updateInput({}), Parameters: withoutSuspended });
    clock.advance(updateMs + quietCleanupMs);

    expect(missing).toMatchObject({ name: 'ValidationError', message: 'Parameters: [TenantId] must have values' });
    expect(ruleActions()).toEqual([expect.objectContaining({ Type: 'forward' })]);
  });

  it.each([
    ['CREATE_IN_PROGRESS', 0],
    ['UPDATE_IN_PROGRESS', 1],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 2],
  ])('refuses a stack in %s', (expected, phase) => {
    cfn.createStack(createStackInput(stackName));
    if (phase > 0) {
      clock.advance(createMs);
      cfn.updateStack(updateInput({ TenantSuspended: 'true' }));
      if (phase === 2) clock.advance(updateMs);
    }

    const error = thrown(() => cfn.updateStack(updateInput({ Service0DesiredCount: '3' })));

    expect(status()).toBe(expected);
    expect(error).toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(
        new RegExp(`^Stack:arn:aws:cloudformation:.* is in ${expected} state and can not be updated\\.$`),
      ),
    });
  });

  it('refuses a stack in ROLLBACK_COMPLETE (a failed creation can only be deleted) and an unknown stack', () => {
    cfn.failNextCreate(stackName, 'injected');
    cfn.createStack(createStackInput(stackName));
    clock.advance(createMs + rollbackMs);

    const rolledBack = thrown(() => cfn.updateStack(updateInput({ TenantSuspended: 'true' })));
    const unknown = thrown(() => cfn.updateStack({ ...updateInput({}), StackName: 'tenant-nobody' }));

    expect(status()).toBe('ROLLBACK_COMPLETE');
    expect(rolledBack).toMatchObject({
      message: expect.stringContaining('is in ROLLBACK_COMPLETE state and can not be updated.'),
    });
    expect(unknown).toMatchObject({ name: 'ValidationError', message: 'Stack [tenant-nobody] does not exist' });
  });

  it('refuses a token any earlier operation on the stack used, and stamps its own on every event', () => {
    createdStack({ token: 'create-1' });

    const reused = thrown(() =>
      cfn.updateStack(updateInput({ TenantSuspended: 'true' }, { ClientRequestToken: 'create-1' })),
    );
    cfn.updateStack(updateInput({ TenantSuspended: 'true' }, { ClientRequestToken: 'suspend-1' }));
    clock.advance(updateMs + quietCleanupMs);
    const again = thrown(() =>
      cfn.updateStack(updateInput({ TenantSuspended: 'false' }, { ClientRequestToken: 'suspend-1' })),
    );
    const onDelete = thrown(() => cfn.deleteStack({ StackName: stackName, ClientRequestToken: 'suspend-1' }));

    for (const error of [reused, again, onDelete]) expect(error).toBeInstanceOf(TokenAlreadyExistsException);
    expect(status()).toBe('UPDATE_COMPLETE');
    expect(parameter('TenantSuspended')).toBe('true');
  });

  it('refuses missing capabilities, a template URL with UsePreviousTemplate, and UsePreviousValue with a value', () => {
    createdStack();
    const input = updateInput({ TenantSuspended: 'true' });

    const capabilities = thrown(() => cfn.updateStack({ ...input, Capabilities: [] }));
    const both = thrown(() =>
      cfn.updateStack({ ...input, TemplateURL: `${templateBase}/silo-cluster/1.0.0/template.json` }),
    );
    const previousWithValue = thrown(() =>
      cfn.updateStack({
        ...input,
        Parameters: [
          ...(input.Parameters ?? []),
          { ParameterKey: 'Tier', UsePreviousValue: true, ParameterValue: 'x' },
        ],
      }),
    );

    expect(capabilities).toBeInstanceOf(InsufficientCapabilitiesException);
    expect(both).toMatchObject({ name: 'ValidationError' });
    expect(previousWithValue).toMatchObject({ name: 'ValidationError', message: expect.stringContaining('Tier') });
    expect(status()).toBe('CREATE_COMPLETE');
  });

  it('throws an injected fault on UpdateStack before starting anything', () => {
    createdStack();
    const throttled = new Error('Rate exceeded');
    cfn.injectError('UpdateStack', throttled);

    const error = thrown(() => cfn.updateStack(updateInput({ TenantSuspended: 'true' })));

    expect(error).toBe(throttled);
    expect(status()).toBe('CREATE_COMPLETE');
  });
});

describe('CloudFormationSimulator updateStack: failure and rollback', () => {
  it('fails the injected resource, rolls back in reverse and keeps the old parameters and effects', () => {
    createdStack();
    cfn.failNextUpdate(stackName, 'Resource handler returned message: "injected"', {
      logicalResourceId: serviceIds.web(),
    });
    const start = clock.time;

    cfn.updateStack(updateInput({ TenantSuspended: 'true' }, { ClientRequestToken: 'suspend-1' }));
    clock.advance(updateMs);
    const rollingBack = cfn.describeStacks({ StackName: stackName }).Stacks?.[0];
    const ruleDuringRollback = ruleActions();
    clock.advance(rollbackMs + quietCleanupMs);

    expect(rollingBack).toMatchObject({
      StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS',
      StackStatusReason: `The following resource(s) failed to update: [${serviceIds.web()}]. `,
    });
    expect(ruleDuringRollback).toEqual([expect.objectContaining({ Type: 'fixed-response' })]);
    expect(status()).toBe('UPDATE_ROLLBACK_COMPLETE');
    const events = eventsSince(start);
    expect(events.map((event) => [event.LogicalResourceId, event.ResourceStatus])).toEqual([
      [stackName, 'UPDATE_IN_PROGRESS'],
      [serviceIds.worker(), 'UPDATE_IN_PROGRESS'],
      [serviceIds.worker(), 'UPDATE_COMPLETE'],
      ['ListenerRule', 'UPDATE_IN_PROGRESS'],
      ['ListenerRule', 'UPDATE_COMPLETE'],
      [serviceIds.web(), 'UPDATE_IN_PROGRESS'],
      [serviceIds.web(), 'UPDATE_FAILED'],
      [stackName, 'UPDATE_ROLLBACK_IN_PROGRESS'],
      [serviceIds.web(), 'UPDATE_IN_PROGRESS'],
      [serviceIds.web(), 'UPDATE_COMPLETE'],
      ['ListenerRule', 'UPDATE_IN_PROGRESS'],
      ['ListenerRule', 'UPDATE_COMPLETE'],
      [serviceIds.worker(), 'UPDATE_IN_PROGRESS'],
      [serviceIds.worker(), 'UPDATE_COMPLETE'],
      [stackName, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'],
      [stackName, 'UPDATE_ROLLBACK_COMPLETE'],
    ]);
    expect(events.find((event) => event.ResourceStatus === 'UPDATE_FAILED')?.ResourceStatusReason).toBe(
      'Resource handler returned message: "injected"',
    );
    expect(events.every((event) => event.ClientRequestToken === 'suspend-1')).toBe(true);
    expect(parameter('TenantSuspended')).toBeUndefined();
    expect(ruleActions()).toEqual([expect.objectContaining({ Type: 'forward' })]);
    expect(service('web')).toMatchObject({ desiredCount: 2 });
    expect(service('worker')).toMatchObject({ desiredCount: 1 });
  });

  it('lets a stack in UPDATE_ROLLBACK_COMPLETE be updated again', () => {
    createdStack();
    cfn.failNextUpdate(stackName, 'injected');
    cfn.updateStack(updateInput({ TenantSuspended: 'true' }));
    clock.advance(updateMs + rollbackMs + quietCleanupMs);

    cfn.updateStack(updateInput({ TenantSuspended: 'true' }));
    clock.advance(updateMs + quietCleanupMs);

    expect(status()).toBe('UPDATE_COMPLETE');
    expect(ruleActions()).toEqual([expect.objectContaining({ Type: 'fixed-response' })]);
  });

  it('ends in UPDATE_ROLLBACK_FAILED when the rollback is made to fail, refuses updates there, and can be deleted', () => {
    createdStack();
    cfn.failNextUpdate(stackName, 'injected', { rollbackFailureReason: 'rollback refused' });
    cfn.updateStack(updateInput({ TenantSuspended: 'true' }));
    clock.advance(updateMs + rollbackMs);

    const stuck = cfn.describeStacks({ StackName: stackName }).Stacks?.[0];
    const refused = thrown(() => cfn.updateStack(updateInput({ TenantSuspended: 'false' })));
    cfn.deleteStack({ StackName: stackName });
    clock.advance(deleteMs);

    expect(stuck?.StackStatus).toBe('UPDATE_ROLLBACK_FAILED');
    expect(stuck?.StackStatusReason).toMatch(/^The following resource\(s\) failed to update: \[.+\]\. $/);
    expect(refused).toMatchObject({
      message: expect.stringContaining('UPDATE_ROLLBACK_FAILED state and can not be updated'),
    });
    expect(cfn.listStacks()[0]?.status).toBe('DELETE_COMPLETE');
  });

  it('fails the update when ELB refuses the rule change as it comes due (the stack rule was deleted out of band)', () => {
    createdStack();
    const [rule] = elb.listRules().filter((candidate) => candidate.IsDefault !== true);
    elb.deleteRule({ RuleArn: rule?.RuleArn ?? '' });

    cfn.updateStack(updateInput({ TenantSuspended: 'true' }));
    clock.advance(updateMs + rollbackMs + quietCleanupMs);

    const failed = eventsSince(0).find((event) => event.ResourceStatus === 'UPDATE_FAILED');
    expect(failed).toMatchObject({ LogicalResourceId: 'ListenerRule' });
    expect(failed?.ResourceStatusReason).toMatch(/HandlerErrorCode: NotFound/);
    // Rolling the rule back needs it too: the rollback fails on it, as it would in AWS.
    expect(status()).toBe('UPDATE_ROLLBACK_FAILED');
    expect(service('worker')).toMatchObject({ desiredCount: 0 });
  });
});

describe('CloudFormationSimulator updateStack: template changes', () => {
  it('removes a service the new ServiceCount drops during UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, not before', () => {
    createdStack();
    const start = clock.time;

    cfn.updateStack(updateInput({ ServiceCount: '1' }));
    clock.advance(updateMs);
    const workerDuringUpdate = service('worker');
    clock.advance(deleteMs);

    expect(status()).toBe('UPDATE_COMPLETE');
    expect(workerDuringUpdate).toBeDefined();
    expect(ecs.describeServices({ cluster: stackName, services: [`${stackName}-worker`] }).services?.[0]?.status).toBe(
      'INACTIVE',
    );
    const cleanupEvents = eventsSince(start + updateMs).map((event) => [event.LogicalResourceId, event.ResourceStatus]);
    expect(cleanupEvents[0]).toEqual([stackName, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS']);
    expect(cleanupEvents).toContainEqual([serviceIds.worker(), 'DELETE_COMPLETE']);
    expect(cleanupEvents.at(-1)).toEqual([stackName, 'UPDATE_COMPLETE']);
  });

  it("moves the rule's conditions in place when the route parameters change (same rule ARN and priority)", () => {
    createdStack();
    const [before] = elb.listRules().filter((candidate) => candidate.IsDefault !== true);

    cfn.updateStack(updateInput({ RouteStyle: 'header', RouteValue: 'acme' }));
    clock.advance(updateMs + quietCleanupMs);

    const [after] = elb.listRules().filter((candidate) => candidate.IsDefault !== true);
    expect(status()).toBe('UPDATE_COMPLETE');
    expect(after?.RuleArn).toBe(before?.RuleArn);
    expect(after?.Priority).toBe(before?.Priority);
    expect(after?.Conditions).toEqual([
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-tenant-id', Values: ['acme'] } },
    ]);
    expect(after?.Actions).toEqual(before?.Actions);
  });

  it('re-evaluates the template of a new TemplateURL: a version change updates every resource it tags', () => {
    createdStack();
    const start = clock.time;

    cfn.updateStack({
      ...updateInput({ TemplateVersion: '1.1.0' }),
      UsePreviousTemplate: undefined,
      TemplateURL: `${templateBase}/silo-cluster/1.1.0/template.json`,
    });
    clock.advance(updateMs + quietCleanupMs);

    expect(status()).toBe('UPDATE_COMPLETE');
    expect(parameter('TemplateVersion')).toBe('1.1.0');
    const updated = new Set(
      eventsSince(start)
        .filter((event) => event.ResourceStatus === 'UPDATE_COMPLETE')
        .map((event) => event.LogicalResourceId),
    );
    expect(updated).toContain('Cluster');
    expect(updated).toContain(serviceIds.web());
    expect(
      thrown(() => cfn.updateStack({ ...updateInput({}), UsePreviousTemplate: true, StackName: stackName })),
    ).toMatchObject({ message: 'No updates are to be performed.' });
  });

  it('is what the SDK client gets for UpdateStackCommand through a mock', async () => {
    createdStack();
    const client = new CloudFormationClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(UpdateStackCommand).callsFake((input) => cfn.updateStack(input));

    const output = await client.send(new UpdateStackCommand(updateInput({ TenantSuspended: 'true' })));

    expect(output.StackId).toMatch(/^arn:aws:cloudformation:/);
    mock.restore();
  });
});
