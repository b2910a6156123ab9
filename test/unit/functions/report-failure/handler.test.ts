import 'aws-sdk-client-mock-vitest/extend';
import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeIdempotencyTable } from '../send-reply/idempotency-table.fixture.ts';
import {
  documents,
  dynamo,
  eventBridge,
  lambdaCause,
  offboardingExecution,
  offboardingMachine,
  onboardingExecution,
  onboardingMachine,
  onboardingRequest,
  redriveHint,
  report,
  requestEvent,
  sentEntries,
  sentRegistrationData,
  sfn,
  stackFailureReason,
  statusChange,
  stopDate,
  mockFailedAndLocked,
  describeAs,
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

describe('report-failure handler: failure replies', () => {
  it('replies provisionFailure with the reason, failed step, error name and execution', async () => {
    const result = await report(statusChange());

    expect(result).toEqual({ sent: true, eventId: 'evt-1' });
    expect(sentEntries()).toEqual([
      [
        {
          EventBusName: 'saas-bus',
          Source: 'sbt.application.plane',
          DetailType: 'sbt_aws_provisionFailure',
          Detail: {
            tenantRegistrationId: 'reg-1',
            tenantId: 't1',
            jobOutput: {
              tenantData: {},
              tenantRegistrationData: {
                registrationStatus: 'failed',
                failureReason: stackFailureReason,
                failedStep: 'CreateTenantStacks',
                errorName: 'StackCreationFailed',
                executionArn: onboardingExecution,
              },
            },
          },
        },
      ],
    ]);
  });

  it('reads the failed step from the newest end of the execution history', async () => {
    await report(statusChange());

    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 1);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[0]?.args[0].input).toEqual({
      executionArn: onboardingExecution,
      reverseOrder: true,
      maxResults: 100,
      includeExecutionData: false,
    });
  });

  it('notes the failure on the tenant record while the execution holds the lock', async () => {
    await report(statusChange());

    const failure = {
      executionArn: onboardingExecution,
      failedStep: 'CreateTenantStacks',
      errorName: 'StackCreationFailed',
      failureReason: stackFailureReason,
      at: '2026-11-20T10:15:00.000Z',
    };
    expect(documents).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(documents.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: 'tenant-registry',
      Key: { pk: 'TENANT#t1', sk: 'TENANT' },
      UpdateExpression: 'SET #lastFailure = :failure, #updatedAt = :now',
      ConditionExpression: '#lock.#executionArn = :executionArn',
      ExpressionAttributeNames: {
        '#lastFailure': 'lastFailure',
        '#updatedAt': 'updatedAt',
        '#lock': 'lock',
        '#executionArn': 'executionArn',
      },
      ExpressionAttributeValues: {
        ':failure': failure,
        ':now': '2026-11-20T10:15:00.000Z',
        ':executionArn': onboardingExecution,
      },
    });
  });

  it('replies deprovisionFailure for a timed-out offboarding', async () => {
    const offboardingRequest = requestEvent('sbt_aws_offboardingRequest', {
      tenantId: 't9',
      tenantRegistrationId: 'reg-9',
    });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 4,
          timestamp: new Date(stopDate),
          type: 'WaitStateEntered',
          stateEnteredEventDetails: { name: 'WaitForStackDeletion' },
        },
      ],
    });

    const event = statusChange({
      executionArn: offboardingExecution,
      stateMachineArn: offboardingMachine,
      name: 'reg-9',
      status: 'TIMED_OUT',
      input: JSON.stringify(offboardingRequest),
      error: 'States.Timeout',
      cause: null,
    });
    describeAs(event);

    const result = await report(event);

    expect(result).toEqual({ sent: true, eventId: 'evt-1' });
    expect(sentEntries()).toEqual([
      [
        {
          EventBusName: 'saas-bus',
          Source: 'sbt.application.plane',
          DetailType: 'sbt_aws_deprovisionFailure',
          Detail: {
            tenantRegistrationId: 'reg-9',
            tenantId: 't9',
            jobOutput: {
              tenantData: {},
              tenantRegistrationData: {
                registrationStatus: 'failed',
                failureReason:
                  'The execution timed out while in step WaitForStackDeletion: it ran longer than the workflow allows. ' +
                  'Fix the cause, then redrive execution reg-9 from the Step Functions console.',
                failedStep: 'WaitForStackDeletion',
                errorName: 'States.Timeout',
                executionArn: offboardingExecution,
              },
            },
          },
        },
      ],
    ]);
  });

  it('explains an aborted execution', async () => {
    const event = statusChange({ status: 'ABORTED', error: null, cause: null });
    describeAs(event);

    await report(event);

    expect(sentRegistrationData()).toMatchObject({
      failureReason: `The execution was stopped (aborted) before it finished. ${redriveHint}`,
      errorName: 'ExecutionAborted',
    });
  });

  it('fetches the input from Step Functions when it was too large for the event', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: onboardingExecution,
      stateMachineArn: onboardingMachine,
      status: 'FAILED',
      startDate: new Date(stopDate),
      input: JSON.stringify(onboardingRequest),
    });

    const result = await report(statusChange({ input: null, inputDetails: { included: false } }));

    expect(result).toEqual({ sent: true, eventId: 'evt-1' });
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: onboardingExecution });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('replies without a tenant id, and records nothing, when the tenant id is unusable', async () => {
    const request = requestEvent('sbt_aws_onboardingRequest', {
      tenantId: 'not a valid id!',
      tenantRegistrationId: 'reg-1',
    });

    const event = statusChange({
      input: JSON.stringify(request),
      error: 'InvalidRequest',
      cause: lambdaCause('InvalidRequest', 'bad tenantId'),
    });
    describeAs(event);

    await report(event);

    const [[entry]] = sentEntries() as [[{ Detail: Record<string, unknown> }]];
    expect(entry.Detail).not.toHaveProperty('tenantId');
    expect(entry.Detail).toMatchObject({ tenantRegistrationId: 'reg-1' });
    expect(documents).toHaveReceivedCommandTimes(UpdateCommand, 0);
  });

  it('names the step Unknown when the history shows none', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });

    await report(statusChange());

    expect(sentRegistrationData()).toMatchObject({
      failedStep: 'Unknown',
      failureReason: `The execution failed with StackCreationFailed: Stack tenant-t1 rolled back: Resource TaskRole failed: access denied. ${redriveHint}`,
    });
  });

  it('still replies when the execution no longer holds the tenant lock', async () => {
    documents
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    await expect(report(statusChange())).resolves.toEqual({ sent: true, eventId: 'evt-1' });
    expect(loggedErrors).not.toHaveBeenCalled();
  });

  it('still replies, and logs, when the failure cannot be recorded', async () => {
    documents
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $fault: 'client', $metadata: {} }));

    await expect(report(statusChange())).resolves.toEqual({ sent: true, eventId: 'evt-1' });
    expect(loggedErrors).toHaveBeenCalledWith('Could not record the failure on the tenant record', expect.anything());
  });
});
