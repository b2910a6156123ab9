import { ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { ExecutionStore, summaryOf, type ExecutionRecord } from '../../../../local/runtime/executions.ts';

const stateTypes = { onboarding: { Accept: 'Task', IsDuplicate: 'Choice' }, offboarding: {} };
const arn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:onboarding-t1-abc123';

function failedRecord(): ExecutionRecord {
  return {
    executionArn: arn,
    name: 'onboarding-t1-abc123',
    workflow: 'onboarding',
    status: 'FAILED',
    startedAt: '2026-11-20T10:00:00.000Z',
    stoppedAt: '2026-11-20T10:00:01.000Z',
    error: 'Boom',
    cause: 'it broke',
    transitions: 2,
    input: '{"detail":{}}',
    history: [
      { type: 'StateEntered', state: 'Accept', at: 1 },
      { type: 'StateExited', state: 'Accept', at: 2 },
      { type: 'StateEntered', state: 'IsDuplicate', at: 3 },
      { type: 'StateFailed', state: 'IsDuplicate', at: 4, error: 'Boom', cause: 'it broke' },
      { type: 'ExecutionFailed', at: 5, error: 'Boom', cause: 'it broke' },
    ],
  };
}

describe('ExecutionStore', () => {
  it('describes an execution as Step Functions does', () => {
    const store = new ExecutionStore(stateTypes);
    store.add(failedRecord());

    expect(store.describeExecution({ executionArn: arn })).toMatchObject({
      stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-onboarding',
      status: 'FAILED',
      input: '{"detail":{}}',
      error: 'Boom',
      stopDate: new Date('2026-11-20T10:00:01.000Z'),
    });
  });

  it('throws ExecutionDoesNotExist for an unknown execution', () => {
    const store = new ExecutionStore(stateTypes);

    expect(() => store.describeExecution({ executionArn: arn })).toThrow(ExecutionDoesNotExist);
    expect(() => store.getExecutionHistory({ executionArn: arn })).toThrow(ExecutionDoesNotExist);
  });

  it('names history events by state type, newest first on request, in pages', () => {
    const store = new ExecutionStore(stateTypes);
    store.add(failedRecord());

    const first = store.getExecutionHistory({ executionArn: arn, reverseOrder: true, maxResults: 2 });
    const second = store.getExecutionHistory({ executionArn: arn, reverseOrder: true, maxResults: 2, nextToken: first.nextToken });

    expect(first.events?.map((event) => event.type)).toEqual(['ExecutionFailed', 'TaskFailed']);
    expect(second.events?.map((event) => [event.type, event.stateEnteredEventDetails?.name ?? event.stateExitedEventDetails?.name])).toEqual([
      ['ChoiceStateEntered', 'IsDuplicate'],
      ['TaskStateExited', 'Accept'],
    ]);
    expect(store.getExecutionHistory({ executionArn: arn }).events?.[0]?.type).toBe('ExecutionStarted');
  });

  it('finds by name or ARN; a saved running execution loads as aborted', () => {
    const store = new ExecutionStore(stateTypes);

    store.load([{ ...failedRecord(), status: 'RUNNING' }]);

    expect(store.find('onboarding-t1-abc123')?.executionArn).toBe(arn);
    expect(summaryOf(store.find(arn)!)).toMatchObject({ status: 'ABORTED', error: 'ExecutionAborted' });
    expect(summaryOf(store.find(arn)!)).not.toHaveProperty('input');
  });
});
