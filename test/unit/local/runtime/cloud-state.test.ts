/**
 * The local cloud's state as the runtime saves it between commands (cloud.json in the state
 * folder) holds stack updates in flight and finished: a cloud restored from it goes on exactly as
 * the cloud it was saved from. Each test runs one cloud on, and a copy restored from its saved
 * state beside it on the same clock, and compares what both show.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UpdateStackCommandInput } from '@aws-sdk/client-cloudformation';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StackConfig } from '../../../../functions/shared/config/environment.ts';
import { suspendedResponse } from '../../../../functions/shared/config/template-parameters.ts';
import type { LocalCloud } from '../../../../local/cloud/index.ts';
import {
  buildCloud,
  describeAction,
  resourcesOf,
  saveCloud,
  type SavedCloud,
} from '../../../../local/runtime/cloud-state.ts';
import { readState, StateFile, writeState } from '../../../../local/runtime/state-folder.ts';
import { createStackInput, FakeClock, listenerArn, pooledTargetGroupArn } from '../cloud/cloud.fixture.ts';

const stackName = 'tenant-acme';
const timings = { createMs: 1500, deleteMs: 600, updateMs: 1000, startMs: 500 } as const;
const listeners = [{ listenerArn, capacity: 100, pooledTargetGroupArn }];
const stacks: StackConfig = {
  stackNamePrefix: 'tenant',
  templateBaseUrl: 'https://templates.s3.us-east-1.amazonaws.com/tenant-templates',
  sharedParameters: {},
  tenantDomain: 'tenants.example.com',
};

let clock: FakeClock;
let cloud: LocalCloud;
let directory: string;
beforeEach(() => {
  clock = new FakeClock();
  cloud = buildCloud(listeners, stacks, timings, undefined, clock.now);
  directory = mkdtempSync(join(tmpdir(), 'cloud-state-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

/** The cloud as a later command sees it: saved to the state folder and read back, on the same clock. */
function reopened(from: LocalCloud): LocalCloud {
  writeState(directory, StateFile.cloud, saveCloud(from));
  return buildCloud(listeners, stacks, timings, readState<SavedCloud>(directory, StateFile.cloud), clock.now);
}

/** Everything a caller can see of the tenant's stack and of the cloud. */
function view(of: LocalCloud) {
  return {
    stack: of.cloudFormation.describeStacks({ StackName: stackName }).Stacks?.[0],
    events: of.cloudFormation.describeStackEvents({ StackName: stackName }).StackEvents,
    services: of.ecs.describeServices({ cluster: stackName, services: [`${stackName}-web`, `${stackName}-worker`] })
      .services,
    resources: resourcesOf(of),
  };
}

function update(of: LocalCloud, suspended: 'true' | 'false'): void {
  const current = of.cloudFormation.describeStacks({ StackName: stackName }).Stacks?.[0]?.Parameters ?? [];
  const input: UpdateStackCommandInput = {
    StackName: stackName,
    UsePreviousTemplate: true,
    Capabilities: ['CAPABILITY_IAM'],
    Parameters: [
      ...current
        .filter((parameter) => parameter.ParameterKey !== 'TenantSuspended')
        .map((parameter) => ({ ParameterKey: parameter.ParameterKey, UsePreviousValue: true })),
      { ParameterKey: 'TenantSuspended', ParameterValue: suspended },
    ],
  };
  of.cloudFormation.updateStack(input);
}

function createdStack(): void {
  cloud.cloudFormation.createStack(createStackInput(stackName));
  clock.advance(timings.createMs + timings.startMs);
}

const statusOf = (of: LocalCloud) =>
  of.cloudFormation.describeStacks({ StackName: stackName }).Stacks?.[0]?.StackStatus;

describe('cloud state: stack updates survive save and restore', () => {
  it('an update saved half-way comes due in the restored cloud as in the original: rule, services, events', () => {
    createdStack();
    update(cloud, 'true');
    clock.advance(timings.updateMs / 4);

    const restored = reopened(cloud);
    expect(view(restored)).toEqual(view(cloud));
    expect(statusOf(restored)).toBe('UPDATE_IN_PROGRESS');
    clock.advance(timings.updateMs * 2);

    expect(statusOf(restored)).toBe('UPDATE_COMPLETE');
    expect(view(restored)).toEqual(view(cloud));
    const [rule] = resourcesOf(restored).rules;
    expect(rule?.action).toEqual({ type: 'fixed-response', ...suspendedResponse });
    expect(resourcesOf(restored).services.map((service) => service.desiredCount)).toEqual([0, 0]);
  });

  it('a suspension saved when finished resumes to the remembered counts after restore', () => {
    createdStack();
    const running = resourcesOf(cloud).services;
    update(cloud, 'true');
    clock.advance(timings.updateMs * 2);

    const restored = reopened(cloud);
    update(restored, 'false');
    update(cloud, 'false');
    clock.advance(timings.updateMs * 2 + timings.startMs);

    expect(resourcesOf(restored).services).toEqual(running);
    expect(resourcesOf(restored).rules[0]?.action).toEqual({ type: 'forward', targetGroupArn: expect.any(String) });
    // Each cloud resumed on its own (event ids differ); what they hold is the same.
    expect(resourcesOf(restored)).toEqual(resourcesOf(cloud));
  });

  it('an update failure queued before the save fails the next update after it, rollback failure included', () => {
    createdStack();
    cloud.cloudFormation.failNextUpdate(stackName, 'Service failed to stabilize', {
      rollbackFailureReason: 'Rate exceeded',
    });

    const restored = reopened(cloud);
    update(restored, 'true');
    clock.advance(timings.updateMs * 10);

    expect(statusOf(restored)).toBe('UPDATE_ROLLBACK_FAILED');
    const again = reopened(restored);
    expect(view(again)).toEqual(view(restored));
    expect(() => update(again, 'false')).toThrow(/is in UPDATE_ROLLBACK_FAILED state and can not be updated/);
  });

  it('an update in flight whose rule ELB refuses after the restore fails and rolls back there as it would have', () => {
    createdStack();
    // The stack's rule deleted out of band: ELB refuses the rule's update when it comes due.
    cloud.elb.deleteRule({ RuleArn: resourcesOf(cloud).rules[0]?.ruleArn ?? '' });
    update(cloud, 'true');

    // Saved before any call applied the rule's change, so ELB refuses it in the restored cloud.
    const restored = reopened(cloud);
    clock.advance(timings.updateMs * 10);

    expect(statusOf(restored)).toBe('UPDATE_ROLLBACK_FAILED');
    // The refusal happened in each cloud on its own: same events, with ids of their own.
    const { events, ...rest } = view(restored);
    const { events: originalEvents, ...originalRest } = view(cloud);
    expect(rest).toEqual(originalRest);
    const course = (list: typeof events) =>
      list?.map((event) => [event.Timestamp, event.LogicalResourceId, event.ResourceStatus]);
    expect(course(events)).toEqual(course(originalEvents));
    const failed = view(restored).events?.find((event) => event.ResourceStatus === 'UPDATE_FAILED');
    expect(failed?.ResourceStatusReason).toMatch(/NotFound/);
  });

  it('an update rolled back half-way restores to the same rollback and keeps the old parameters', () => {
    createdStack();
    cloud.cloudFormation.failNextUpdate(stackName, 'Service failed to stabilize');
    update(cloud, 'true');
    clock.advance(timings.updateMs + 1);

    const restored = reopened(cloud);
    expect(statusOf(restored)).toBe('UPDATE_ROLLBACK_IN_PROGRESS');
    clock.advance(timings.updateMs * 10);

    expect(statusOf(restored)).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(view(restored)).toEqual(view(cloud));
    expect(
      view(restored).stack?.Parameters?.find((parameter) => parameter.ParameterKey === 'TenantSuspended')
        ?.ParameterValue,
    ).not.toBe('true');
    expect(resourcesOf(restored).rules[0]?.action).toMatchObject({ type: 'forward' });
  });
});

describe('describeAction', () => {
  it('shows the final action: a single forward by its target group, weighted ones with weights, a fixed response', () => {
    expect(
      describeAction([
        {
          Type: 'forward',
          Order: 1,
          TargetGroupArn: pooledTargetGroupArn,
          ForwardConfig: { TargetGroups: [{ TargetGroupArn: pooledTargetGroupArn, Weight: 1 }] },
        },
      ]),
    ).toEqual({ type: 'forward', targetGroupArn: pooledTargetGroupArn });
    expect(
      describeAction([
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: 'a', Weight: 90 },
              { TargetGroupArn: 'b', Weight: 10 },
            ],
          },
        },
      ]),
    ).toEqual({
      type: 'forward',
      targetGroups: [
        { targetGroupArn: 'a', weight: 90 },
        { targetGroupArn: 'b', weight: 10 },
      ],
    });
    expect(
      describeAction([
        { Type: 'authenticate-oidc', Order: 1 },
        { Type: 'fixed-response', Order: 2, FixedResponseConfig: { StatusCode: '503' } },
      ]),
    ).toEqual({ type: 'fixed-response', statusCode: '503', contentType: null, messageBody: null });
  });
});
