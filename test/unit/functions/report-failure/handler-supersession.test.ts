import 'aws-sdk-client-mock-vitest/extend';
import { Logger } from '@aws-lambda-powertools/logger';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeIdempotencyTable } from '../send-reply/idempotency-table.fixture.ts';
import {
  currentState,
  documents,
  dynamo,
  eventBridge,
  lockedTenantItem,
  mockFailedAndLocked,
  onboardingExecution,
  report,
  sfn,
  statusChange,
  stopDate,
} from './handler.fixture.ts';

const replayExecution = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:replay';
let loggedInfo: ReturnType<typeof vi.spyOn>;

beforeEach(() => {
  for (const mock of [eventBridge, sfn, dynamo, documents]) mock.reset();
  fakeIdempotencyTable(dynamo);
  mockFailedAndLocked();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] });
  sfn.on(GetExecutionHistoryCommand).resolves({
    events: [
      {
        id: 7,
        timestamp: new Date(stopDate),
        type: 'TaskStateEntered',
        stateEnteredEventDetails: { name: 'CreateTenantStacks' },
      },
    ],
  });
  documents.on(UpdateCommand).resolves({}).on(QueryCommand).resolves({ Items: [] });
  loggedInfo = vi.spyOn(Logger.prototype, 'info');
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("report-failure handler: the execution's current state", () => {
  it.each([
    ['RUNNING (a redrive is running)', { status: 'RUNNING', redriveCount: 1, stopDate: undefined }],
    ['PENDING_REDRIVE', { status: 'PENDING_REDRIVE', redriveCount: 0 }],
    ['SUCCEEDED (a redrive succeeded)', { status: 'SUCCEEDED', redriveCount: 1 }],
    ['FAILED again, in a later attempt', { status: 'FAILED', redriveCount: 2 }],
  ] as const)('a failure event of attempt 0 sends nothing when the execution is %s now', async (_name, now) => {
    sfn.on(DescribeExecutionCommand).resolves(currentState(now));

    const result = await report(statusChange({ redriveCount: 0 }));

    expect(result).toEqual({ sent: false, superseded: 'redriven' });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
    expect(documents).toHaveReceivedCommandTimes(UpdateCommand, 0);
    expect(loggedInfo).toHaveBeenCalledWith(
      'Failure not replied: the execution was redriven since',
      expect.objectContaining({ superseded: true, reason: 'redriven' }),
    );
  });

  it('replies to the failure of the attempt the execution is in now', async () => {
    sfn.on(DescribeExecutionCommand).resolves(currentState({ redriveCount: 1 }));

    await expect(report(statusChange({ redriveCount: 1 }))).resolves.toEqual({ sent: true, eventId: 'evt-1' });
  });

  it('a late failure event never flips a success: nothing is sent, now or when it is redelivered', async () => {
    sfn.on(DescribeExecutionCommand).resolves(currentState({ status: 'SUCCEEDED', redriveCount: 1 }));

    await report(statusChange({ redriveCount: 0 }));
    await report({ ...statusChange({ redriveCount: 0 }), id: 'redelivered' });

    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('reads why it stopped from the execution when the event is short of it', async () => {
    await report(statusChange({ error: null, cause: null }));

    const [call] = eventBridge.commandCalls(PutEventsCommand);
    expect(JSON.parse(call?.args[0].input.Entries?.[0]?.Detail ?? '{}')).toMatchObject({
      jobOutput: { tenantRegistrationData: { errorName: 'StackCreationFailed', failedStep: 'CreateTenantStacks' } },
    });
  });
});

describe('report-failure handler: superseded by a later decision', () => {
  it('sends nothing, and logs why (never the e-mail), when another execution holds the lock for the same registration', async () => {
    const lock = {
      operation: 'onboarding',
      registrationId: 'reg-1',
      executionArn: replayExecution,
      acquiredAt: '2026-11-20T10:20:00.000Z',
    };
    documents.on(GetCommand).resolves({ Item: lockedTenantItem({ lock }) });

    const result = await report(statusChange());

    expect(result).toEqual({ sent: false, superseded: 'lock-held-for-registration' });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
    expect(documents).toHaveReceivedCommandTimes(UpdateCommand, 0);
    expect(loggedInfo).toHaveBeenCalledWith('Failure not replied: a later decision answers the registration', {
      superseded: true,
      reason: 'lock-held-for-registration',
      supersededBy: replayExecution,
    });
    expect(JSON.stringify(loggedInfo.mock.calls)).not.toContain('@');
  });

  it('sends nothing when the registration completed after the execution started', async () => {
    documents.on(GetCommand).resolves({
      Item: lockedTenantItem({
        lock: undefined,
        status: 'ACTIVE',
        completed: { 'onboarding#reg-1': '2026-11-20T10:30:00.000Z' },
      }),
    });

    await expect(report(statusChange())).resolves.toEqual({ sent: false, superseded: 'registration-completed' });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('sends nothing when the tenant accepted a later request', async () => {
    const lock = {
      operation: 'offboarding',
      registrationId: 'reg-2',
      executionArn: replayExecution,
      acquiredAt: '2026-11-20T10:20:00.000Z',
    };
    documents.on(GetCommand).resolves({ Item: lockedTenantItem({ lock, lastRequestAt: '2026-11-20T10:19:00Z' }) });

    await expect(report(statusChange())).resolves.toEqual({ sent: false, superseded: 'later-request-accepted' });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('replies, without noting the failure, to a request refused before it took the lock', async () => {
    documents.on(GetCommand).resolves({});

    await expect(report(statusChange({ error: 'UnknownTier' }))).resolves.toEqual({ sent: true, eventId: 'evt-1' });
    expect(documents).toHaveReceivedCommandTimes(UpdateCommand, 0);
    expect(documents).toHaveReceivedCommandTimes(QueryCommand, 0);
  });

  it('reads the tenant record strongly consistent', async () => {
    await report(statusChange());

    expect(documents.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: 'tenant-registry',
      Key: { pk: 'TENANT#t1', sk: 'TENANT' },
      ConsistentRead: true,
    });
    expect(documents.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      ExpressionAttributeValues: { ':executionArn': onboardingExecution },
    });
  });
});
