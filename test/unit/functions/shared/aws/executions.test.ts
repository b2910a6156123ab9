import 'aws-sdk-client-mock-vitest/extend';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  describeExecution,
  lastEnteredState,
  listExecutionsStoppedSince,
} from '../../../../../functions/shared/aws/executions.ts';
import { servePages } from './pages.fixture.ts';

const sfn = mockClient(SFNClient);
const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:reg-1';
const timestamp = new Date('2026-11-20T10:00:00Z');

function entered(id: number, name: string): HistoryEvent {
  return { id, timestamp, type: 'TaskStateEntered', stateEnteredEventDetails: { name } };
}

function other(id: number, type: HistoryEvent['type']): HistoryEvent {
  return { id, timestamp, type };
}

beforeEach(() => {
  sfn.reset();
});

describe('describeExecution', () => {
  it('returns the status and input of the execution', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn,
      stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-onboarding',
      status: 'FAILED',
      startDate: timestamp,
      input: '{"detail":{}}',
    });

    await expect(describeExecution(executionArn)).resolves.toEqual({
      status: 'FAILED',
      input: '{"detail":{}}',
      startDate: timestamp.getTime(),
    });
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn });
  });

  it('returns the attempt, the times and why a stopped execution stopped', async () => {
    const stopDate = new Date('2026-11-20T10:15:00.250Z');
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn,
      stateMachineArn: 'sm',
      status: 'FAILED',
      startDate: timestamp,
      stopDate,
      redriveCount: 2,
      error: 'StackCreationFailed',
      cause: 'rolled back',
    });

    await expect(describeExecution(executionArn)).resolves.toEqual({
      status: 'FAILED',
      startDate: timestamp.getTime(),
      stopDate: stopDate.getTime(),
      redriveCount: 2,
      error: 'StackCreationFailed',
      cause: 'rolled back',
    });
  });

  it('leaves the input out when Step Functions withholds it', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ executionArn, stateMachineArn: 'sm', status: 'RUNNING', startDate: timestamp });

    await expect(describeExecution(executionArn)).resolves.toEqual({
      status: 'RUNNING',
      startDate: timestamp.getTime(),
    });
  });

  it('returns undefined for an execution Step Functions does not know', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} }));

    await expect(describeExecution(executionArn)).resolves.toBeUndefined();
  });

  it('turns throttling into TransientAwsError', async () => {
    sfn.on(DescribeExecutionCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    await expect(describeExecution(executionArn)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });

  it('lets other errors propagate untouched', async () => {
    const denied = Object.assign(new Error('denied'), {
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    sfn.on(DescribeExecutionCommand).rejects(denied);

    await expect(describeExecution(executionArn)).rejects.toBe(denied);
  });
});

describe('lastEnteredState', () => {
  it('reads the history newest first without execution data and returns the last state entered', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        other(12, 'ExecutionFailed'),
        other(11, 'TaskFailed'),
        other(10, 'TaskScheduled'),
        entered(9, 'CreateTenantStacks'),
        entered(5, 'PlanTenantResources'),
      ],
    });

    await expect(lastEnteredState(executionArn)).resolves.toBe('CreateTenantStacks');
    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 1);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[0]?.args[0].input).toEqual({
      executionArn,
      reverseOrder: true,
      maxResults: 100,
      includeExecutionData: false,
    });
  });

  it('reads further pages until it finds an entered state', async () => {
    const historyPages = servePages([
      { events: [other(300, 'ExecutionTimedOut'), other(299, 'WaitStateExited')], nextToken: 'page-2' },
      { events: [entered(200, 'RecheckTenantServices')], nextToken: 'page-3' },
    ]);
    sfn.on(GetExecutionHistoryCommand).callsFake(historyPages.answer);

    await expect(lastEnteredState(executionArn)).resolves.toBe('RecheckTenantServices');
    expect(historyPages.sent).toEqual([
      { executionArn, reverseOrder: true, maxResults: 100, includeExecutionData: false },
      { executionArn, reverseOrder: true, maxResults: 100, includeExecutionData: false, nextToken: 'page-2' },
    ]);
  });

  it('gives up after three pages', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [other(1, 'MapIterationStarted')], nextToken: 'more' });

    await expect(lastEnteredState(executionArn)).resolves.toBeUndefined();
    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 3);
  });

  it('returns undefined when the history has no entered state and no more pages', async () => {
    sfn
      .on(GetExecutionHistoryCommand)
      .resolves({ events: [other(2, 'ExecutionAborted'), other(1, 'ExecutionStarted')] });

    await expect(lastEnteredState(executionArn)).resolves.toBeUndefined();
    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 1);
  });

  it('returns undefined for an execution Step Functions does not know', async () => {
    sfn
      .on(GetExecutionHistoryCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} }));

    await expect(lastEnteredState(executionArn)).resolves.toBeUndefined();
  });

  it('turns a 5xx into TransientAwsError', async () => {
    sfn.on(GetExecutionHistoryCommand).rejects(
      Object.assign(new Error('Internal'), {
        name: 'InternalServerError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );

    await expect(lastEnteredState(executionArn)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

describe('listExecutionsStoppedSince', () => {
  const stateMachineArn = 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-onboarding';
  const item = (name: string, stoppedAt: string, redriveCount = 0) => ({
    executionArn: `arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:${name}`,
    stateMachineArn,
    name,
    status: 'FAILED' as const,
    startDate: timestamp,
    stopDate: new Date(stoppedAt),
    redriveCount,
  });
  const collect = async (since: string) => {
    const listed: string[] = [];
    for await (const execution of listExecutionsStoppedSince(stateMachineArn, 'FAILED', Date.parse(since)))
      listed.push(execution.executionArn.split(':').at(-1)!);
    return listed;
  };

  it('pages newest first with the status filter and stops at the first execution that stopped before the window', async () => {
    const listPages = servePages([
      {
        executions: [item('e4', '2026-11-20T10:50:00Z'), item('e3', '2026-11-20T10:40:00Z', 1)],
        nextToken: 'page-2',
      },
      {
        executions: [item('e2', '2026-11-20T10:30:00Z'), item('e1', '2026-11-20T09:00:00Z')],
        nextToken: 'page-3',
      },
      { executions: [item('e0', '2026-11-20T08:00:00Z')] },
    ]);
    sfn.on(ListExecutionsCommand).callsFake(listPages.answer);

    await expect(collect('2026-11-20T10:00:00Z')).resolves.toEqual(['e4', 'e3', 'e2']);
    // Two pages read, not three: the second page reached the window's start.
    expect(listPages.sent).toEqual([
      { stateMachineArn, statusFilter: 'FAILED', maxResults: 100 },
      { stateMachineArn, statusFilter: 'FAILED', maxResults: 100, nextToken: 'page-2' },
    ]);
  });

  it('yields what the reporter keys replies on: ARN, stop time in milliseconds and attempt', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [item('e3', '2026-11-20T10:40:00.123Z', 1)] });

    const listed = [];
    for await (const execution of listExecutionsStoppedSince(stateMachineArn, 'FAILED', 0)) listed.push(execution);

    expect(listed).toEqual([
      {
        executionArn: 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:e3',
        stateMachineArn,
        status: 'FAILED',
        startDate: timestamp.getTime(),
        stopDate: Date.parse('2026-11-20T10:40:00.123Z'),
        redriveCount: 1,
      },
    ]);
  });

  it('turns throttling into TransientAwsError', async () => {
    sfn.on(ListExecutionsCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    await expect(collect('2026-11-20T10:00:00Z')).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
