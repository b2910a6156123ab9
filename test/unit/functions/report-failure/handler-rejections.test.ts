import 'aws-sdk-client-mock-vitest/extend';
import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../../functions/report-failure/handler.ts';
import { fakeIdempotencyTable } from '../send-reply/idempotency-table.fixture.ts';
import {
  context,
  currentState,
  documents,
  dynamo,
  eventBridge,
  describeAs,
  lambdaCause,
  onboardingExecution,
  onboardingMachine,
  report,
  requestEvent,
  sfn,
  statusChange,
  stopDate,
  mockFailedAndLocked,
} from './handler.fixture.ts';

let loggedErrors: ReturnType<typeof vi.spyOn>;

beforeEach(() => {
  for (const mock of [eventBridge, sfn, dynamo, documents]) mock.reset();
  fakeIdempotencyTable(dynamo);
  mockFailedAndLocked();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] });
  sfn.on(GetExecutionHistoryCommand).resolves({
    events: [
      { id: 9, timestamp: new Date(stopDate), type: 'ExecutionFailed' },
      { id: 8, timestamp: new Date(stopDate), type: 'TaskFailed' },
      {
        id: 7,
        timestamp: new Date(stopDate),
        type: 'TaskStateEntered',
        stateEnteredEventDetails: { name: 'CreateTenantStacks' },
      },
    ],
  });
  documents.on(UpdateCommand).resolves({}).on(QueryCommand).resolves({ Items: [] });
  loggedErrors = vi.spyOn(Logger.prototype, 'error');
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('report-failure handler: rejections, duplicates and errors', () => {
  it('ignores executions of other state machines', async () => {
    const result = await report(
      statusChange({ stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:someone-else' }),
    );

    expect(result).toEqual({ sent: false });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 0);
  });

  it('logs an alarmed rejection, without personal data, when the request has no registration id', async () => {
    const unaddressable = requestEvent('sbt_aws_onboardingRequest', {
      tenantId: 't1',
      email: 'admin@acme.example',
      tier: 'premium',
    });
    const cause = lambdaCause(
      'InvalidRequest',
      'Invalid onboarding request: detail.tenantRegistrationId: is required (sent by admin@acme.example)',
    );

    const event = statusChange({ input: JSON.stringify(unaddressable), error: 'InvalidRequest', cause });
    describeAs(event);

    const result = await report(event);

    expect(result).toEqual({ sent: false, rejected: true });
    expect(loggedErrors).toHaveBeenCalledWith('Request rejected and cannot be answered', {
      rejected: true,
      reason:
        'The execution failed with InvalidRequest: Invalid onboarding request: detail.tenantRegistrationId: is required (sent by [redacted]). ' +
        'Correct the request and send it again; a redrive would fail the same way.',
      errorName: 'InvalidRequest',
      executionArn: onboardingExecution,
      tenantId: 't1',
    });
    expect(JSON.stringify(loggedErrors.mock.calls)).not.toContain('@');
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
    expect(documents).toHaveReceivedCommandTimes(UpdateCommand, 0);
  });

  it('rejects when the input is unavailable everywhere', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: onboardingExecution,
      stateMachineArn: onboardingMachine,
      status: 'FAILED',
      startDate: new Date(),
    });

    const result = await report(statusChange({ input: null }));

    expect(result).toEqual({ sent: false, rejected: true });
    expect(loggedErrors).toHaveBeenCalledWith(
      'Request rejected and cannot be answered',
      expect.objectContaining({ rejected: true }),
    );
  });

  it('reports a redelivered status event only once', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] })
      .resolves({
        FailedEntryCount: 0,
        Entries: [{ EventId: 'evt-2' }],
      });

    const first = await report(statusChange());
    const second = await report({ ...statusChange(), id: 'status-event-1-again' });

    expect(second).toEqual(first);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('reports again when a redriven execution fails again later', async () => {
    await report(statusChange({ redriveCount: 0 }));
    sfn
      .on(DescribeExecutionCommand)
      .resolves(currentState({ redriveCount: 1, stopDate: new Date(stopDate + 3_600_000) }));
    await report(statusChange({ redriveCount: 1, stopDate: stopDate + 3_600_000 }));

    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 2);
  });

  it('fails transiently when the reply is throttled, freeing the idempotency record for the retry', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] });

    await expect(report(statusChange())).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(dynamo).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
  });

  it('rejects an event that is not an execution status change as InvalidStepInput', async () => {
    await expect(handler({ detail: { status: 'FAILED' } } as never, context)).rejects.toMatchObject({
      name: 'InvalidStepInput',
    });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});
