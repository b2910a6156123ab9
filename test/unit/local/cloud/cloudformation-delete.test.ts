import { CloudFormationServiceException, type StackEvent } from '@aws-sdk/client-cloudformation';
import { beforeEach, describe, expect, it } from 'vitest';
import { firstFailure } from '../../../../functions/shared/aws/stacks.ts';
import { CloudFormationSimulator } from '../../../../local/cloud/cloudformation.ts';
import { createStackInput, FakeClock } from './cloud.fixture.ts';
import { slotResourceId } from './real-templates.fixture.ts';

let clock: FakeClock;
let cfn: CloudFormationSimulator;

beforeEach(() => {
  clock = new FakeClock();
  cfn = new CloudFormationSimulator({ now: clock.now, createMs: 1500, deleteMs: 1000 });
});

function status(nameOrId: string): string | undefined {
  return cfn.describeStacks({ StackName: nameOrId }).Stacks?.[0]?.StackStatus;
}

function events(nameOrId: string): StackEvent[] {
  return cfn.describeStackEvents({ StackName: nameOrId }).StackEvents ?? [];
}

function createdStack(name: string): string {
  const { StackId } = cfn.createStack(createStackInput(name));
  clock.advance(1500);
  return StackId ?? '';
}

describe('CloudFormationSimulator deleteStack', () => {
  it('succeeds silently for a stack that does not exist, as AWS does', () => {
    const result = cfn.deleteStack({ StackName: 'tenant-unknown' });

    expect(result.$metadata.httpStatusCode).toBe(200);
    expect(cfn.listStacks()).toEqual([]);
  });

  it('moves to DELETE_COMPLETE after deleteMs, then frees the name and keeps the stack by id', () => {
    // Arrange
    const stackId = createdStack('tenant-acme');
    const deleteStartedAt = clock.time;

    // Act
    cfn.deleteStack({ StackName: 'tenant-acme', ClientRequestToken: 'delete-1' });
    const during = cfn.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0];
    clock.advance(999);
    const stillDuring = status('tenant-acme');
    clock.advance(1);

    // Assert
    expect(during).toMatchObject({ StackStatus: 'DELETE_IN_PROGRESS', DeletionTime: new Date(deleteStartedAt) });
    expect(stillDuring).toBe('DELETE_IN_PROGRESS');
    expect(() => status('tenant-acme')).toThrow(CloudFormationServiceException);
    expect(() => status('tenant-acme')).toThrow('Stack with id tenant-acme does not exist');
    expect(cfn.describeStacks({ StackName: stackId }).Stacks?.[0]).toMatchObject({
      StackStatus: 'DELETE_COMPLETE',
      StackId: stackId,
    });
    expect(events(stackId)[0]).toMatchObject({
      LogicalResourceId: 'tenant-acme',
      ResourceStatus: 'DELETE_COMPLETE',
      ClientRequestToken: 'delete-1',
    });
    const recreated = cfn.createStack(createStackInput('tenant-acme'));
    expect(recreated.StackId).not.toBe(stackId);
  });

  it('deletes resources in reverse creation order', () => {
    createdStack('tenant-acme');
    cfn.deleteStack({ StackName: 'tenant-acme' });
    clock.advance(1000);

    const oldestFirst = [...events(cfn.listStacks()[0]?.stackId ?? '')].reverse();
    const resourcesReaching = (status: string) =>
      oldestFirst
        .filter((event) => event.ResourceStatus === status && event.ResourceType !== 'AWS::CloudFormation::Stack')
        .map((event) => event.LogicalResourceId);
    const created = resourcesReaching('CREATE_COMPLETE');

    expect(created.length).toBeGreaterThan(1);
    expect(resourcesReaching('DELETE_COMPLETE')).toEqual(created.reverse());
  });

  it('ends in DELETE_FAILED with the resource reason, and a new DeleteStack retries the rest', () => {
    // Arrange
    const stackId = createdStack('tenant-acme');
    cfn.failNextDelete(
      'tenant-acme',
      'Resource handler returned message: "The cluster cannot be deleted while tasks are active."',
      {
        logicalResourceId: 'Cluster',
      },
    );

    // Act
    cfn.deleteStack({ StackName: 'tenant-acme' });
    clock.advance(1000);
    const failed = cfn.describeStacks({ StackName: 'tenant-acme' }).Stacks?.[0];
    const failure = firstFailure(events('tenant-acme'));
    cfn.deleteStack({ StackName: 'tenant-acme' });
    const retrying = status('tenant-acme');
    clock.advance(1000);

    // Assert
    expect(failed).toMatchObject({
      StackStatus: 'DELETE_FAILED',
      StackStatusReason: 'The following resource(s) failed to delete: [Cluster]. ',
    });
    expect(failed?.Outputs).toBeDefined();
    expect(failure).toBe(
      'Cluster (AWS::ECS::Cluster): Resource handler returned message: "The cluster cannot be deleted while tasks are active."',
    );
    expect(retrying).toBe('DELETE_IN_PROGRESS');
    expect(status(stackId)).toBe('DELETE_COMPLETE');
    const service = slotResourceId('AWS::ECS::Service', 0);
    const deletions = events(stackId).filter(
      (event) => event.ResourceStatus === 'DELETE_COMPLETE' && event.LogicalResourceId === service,
    );
    expect(deletions).toHaveLength(1);
  });

  it('does nothing for a DeleteStack while a delete is running', () => {
    const stackId = createdStack('tenant-acme');
    cfn.deleteStack({ StackName: 'tenant-acme' });
    clock.advance(500);

    cfn.deleteStack({ StackName: 'tenant-acme' });
    clock.advance(500);

    expect(status(stackId)).toBe('DELETE_COMPLETE');
    const starts = events(stackId).filter(
      (event) => event.ResourceStatus === 'DELETE_IN_PROGRESS' && event.LogicalResourceId === 'tenant-acme',
    );
    expect(starts).toHaveLength(1);
  });

  it('succeeds silently for a deleted stack named by its id', () => {
    const stackId = createdStack('tenant-acme');
    cfn.deleteStack({ StackName: stackId });
    clock.advance(1000);

    cfn.deleteStack({ StackName: stackId });

    expect(status(stackId)).toBe('DELETE_COMPLETE');
  });

  it('cancels a creation in progress and never completes it', () => {
    const { StackId } = cfn.createStack(createStackInput('tenant-acme'));
    clock.advance(700);

    cfn.deleteStack({ StackName: 'tenant-acme' });
    clock.advance(5000);

    const all = events(StackId ?? '');
    expect(status(StackId ?? '')).toBe('DELETE_COMPLETE');
    expect(all).toContainEqual(
      expect.objectContaining({ ResourceStatus: 'CREATE_FAILED', ResourceStatusReason: 'Resource creation cancelled' }),
    );
    expect(
      all.some((event) => event.LogicalResourceId === 'tenant-acme' && event.ResourceStatus === 'CREATE_COMPLETE'),
    ).toBe(false);
  });

  it('starts a delete asked for during a rollback once the rollback is complete', () => {
    cfn.failNextCreate('tenant-acme', 'boom');
    const { StackId } = cfn.createStack(createStackInput('tenant-acme'));
    clock.advance(1600); // rollback runs from 1500 to 2500

    cfn.deleteStack({ StackName: 'tenant-acme' });
    const stillRollingBack = status('tenant-acme');
    clock.advance(900);
    const afterRollback = status('tenant-acme');
    clock.advance(1000);

    expect(stillRollingBack).toBe('ROLLBACK_IN_PROGRESS');
    expect(afterRollback).toBe('DELETE_IN_PROGRESS');
    expect(status(StackId ?? '')).toBe('DELETE_COMPLETE');
  });

  it('deletes a ROLLBACK_COMPLETE stack', () => {
    cfn.failNextCreate('tenant-acme', 'boom');
    const { StackId } = cfn.createStack(createStackInput('tenant-acme'));
    clock.advance(2500);

    cfn.deleteStack({ StackName: 'tenant-acme' });
    clock.advance(1000);

    expect(status(StackId ?? '')).toBe('DELETE_COMPLETE');
  });
});
