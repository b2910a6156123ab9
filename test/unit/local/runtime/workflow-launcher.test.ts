import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { ExecutionStatusChangeSchema } from '../../../../functions/report-failure/failure.ts';
import { ExecutionStore, type ExecutionRecord } from '../../../../local/runtime/executions.ts';
import { FaultPlan } from '../../../../local/runtime/faults.ts';
import { replayName, statusChangeEvent, WorkflowLauncher } from '../../../../local/runtime/workflow-launcher.ts';
import { localExecutionArn, localStateMachineArn } from '../../../../local/workflow-runner.ts';

function failed(fields: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:onboarding-t1-abc123',
    name: 'onboarding-t1-abc123',
    workflow: 'onboarding',
    status: 'FAILED',
    startedAt: '2026-11-20T10:00:00.000Z',
    stoppedAt: '2026-11-20T10:05:00.000Z',
    error: 'StackCreationFailed',
    cause: 'rolled back',
    transitions: 4,
    input: '{"detail":{}}',
    history: [],
    ...fields,
  };
}

describe('statusChangeEvent', () => {
  it('is the event Step Functions emits for a failed execution, first attempt', () => {
    const event = statusChangeEvent(failed()) as {
      source: string;
      'detail-type': string;
      detail: Record<string, unknown>;
    };

    expect(event).toMatchObject({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change' });
    expect(event.detail).toMatchObject({
      status: 'FAILED',
      stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-onboarding',
      startDate: Date.parse('2026-11-20T10:00:00.000Z'),
      stopDate: Date.parse('2026-11-20T10:05:00.000Z'),
      redriveCount: 0,
      redriveDate: null,
    });
    expect(ExecutionStatusChangeSchema.parse(event).detail.redriveCount).toBe(0);
  });

  it('names the attempt of a redriven execution, which emits its events again under the same ARN', () => {
    const event = statusChangeEvent(failed({ redriveCount: 2, redrivenAt: '2026-11-20T10:04:00.000Z' })) as {
      detail: Record<string, unknown>;
    };

    expect(event.detail).toMatchObject({ redriveCount: 2, redriveDate: Date.parse('2026-11-20T10:04:00.000Z') });
  });
});

const input = '{"id":"event-1","detail":{"tenantId":"t1"}}';

function launcherWith(records: Partial<ExecutionRecord>[]) {
  const executions = new ExecutionStore({ onboarding: {}, offboarding: {}, suspension: {}, update: {} });
  for (const record of records) {
    executions.add({
      executionArn: localExecutionArn(record.workflow ?? 'onboarding', record.name ?? 'event-1'),
      name: 'event-1',
      workflow: 'onboarding',
      status: 'RUNNING',
      startedAt: '2026-11-20T10:00:00.000Z',
      transitions: 1,
      input,
      history: [],
      ...record,
    });
  }
  const faults = new FaultPlan([]);
  const launcher = new WorkflowLauncher({
    executions,
    current: new AsyncLocalStorage(),
    waitMs: 0,
    awaitMs: 0,
    faults,
    publish: () => ({ event: undefined, deliveries: [] }),
  });
  return { launcher, faults, executions };
}

const start = (name: string, body = input, workflow: 'onboarding' | 'offboarding' = 'onboarding') => ({
  stateMachineArn: localStateMachineArn(workflow),
  name,
  input: body,
});

describe('WorkflowLauncher.startExecution (Step Functions StartExecution)', () => {
  it('a name in use by a running execution with the same input returns that execution, starting nothing', () => {
    const { launcher, executions } = launcherWith([{}]);

    const result = launcher.startExecution(start('event-1'));

    expect(result).toMatchObject({
      executionArn: localExecutionArn('onboarding', 'event-1'),
      startDate: new Date('2026-11-20T10:00:00.000Z'),
    });
    expect(executions.all()).toHaveLength(1);
  });

  it.each([
    [
      'running with another input',
      { status: 'RUNNING' as const, input: '{"id":"event-1","detail":{"tenantId":"t2"}}' },
    ],
    ['ended with the same input', { status: 'SUCCEEDED' as const }],
    ['failed with the same input', { status: 'FAILED' as const }],
  ])('a name in use by an execution %s is refused with ExecutionAlreadyExists', (_, record) => {
    const { launcher, executions } = launcherWith([record]);

    expect(() => launcher.startExecution(start('event-1'))).toThrow(
      expect.objectContaining({ name: 'ExecutionAlreadyExists' }),
    );
    expect(executions.all()).toHaveLength(1);
  });

  it('refuses names Step Functions refuses, unknown state machines and input that is not JSON', () => {
    const { launcher } = launcherWith([]);

    for (const name of ['', 'x'.repeat(81), 'a b', 'a:b', 'a/b', 'a\u0001b', 'a{b}']) {
      expect(() => launcher.startExecution(start(name))).toThrow(expect.objectContaining({ name: 'InvalidName' }));
    }
    expect(() =>
      launcher.startExecution({
        ...start('ok'),
        stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:other',
      }),
    ).toThrow(expect.objectContaining({ name: 'StateMachineDoesNotExist' }));
    expect(() => launcher.startExecution(start('ok', '{not json'))).toThrow(
      expect.objectContaining({ name: 'InvalidExecutionInput' }),
    );
  });

  it("fails with Step Functions' own errors while injected start failures are due", () => {
    const { launcher, faults } = launcherWith([{ status: 'RUNNING' }]);
    faults.failStarts(1, 'quota');

    expect(() => launcher.startExecution(start('event-1'))).toThrow(
      expect.objectContaining({ name: 'ExecutionLimitExceeded' }),
    );
    expect(launcher.startExecution(start('event-1')).executionArn).toBe(localExecutionArn('onboarding', 'event-1'));
  });
});

describe('replayName', () => {
  it('is a name of its own, within 80 characters, never one already taken', () => {
    const taken = new Set<string>();
    for (const original of ['6a7e8feb-b491-4cf7-a9f1-bf3703467702', 'x'.repeat(80)]) {
      const name = replayName(original, (candidate) => taken.has(candidate));
      expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
      expect(name).not.toBe(original);
      expect(name).toContain('-replay-');
      taken.add(name);
    }
  });
});
