import 'aws-sdk-client-mock-vitest/extend';
import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { slotDelete, slotItem, slotsQuery, throttled } from '../shared/registry/stack-slots.fixture.ts';
import { fakeIdempotencyTable } from '../send-reply/idempotency-table.fixture.ts';
import {
  describeAs,
  documents,
  dynamo,
  eventBridge,
  mockFailedAndLocked,
  report,
  requestEvent,
  sfn,
  statusChange,
  stopDate,
} from './handler.fixture.ts';

let loggedErrors: ReturnType<typeof vi.spyOn>;

/** The document-client commands sent, in order. */
function commandNames(): string[] {
  return documents.calls().map((call) => (call.args[0] as object).constructor.name);
}

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
        stateEnteredEventDetails: { name: 'CheckTenantStacks' },
      },
    ],
  });
  documents
    .on(UpdateCommand)
    .resolves({})
    .on(QueryCommand)
    .resolves({ Items: [slotItem(6, 't1')] })
    .on(DeleteCommand)
    .resolves({});
  loggedErrors = vi.spyOn(Logger.prototype, 'error');
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('report-failure handler: stack-operation slot', () => {
  it("frees the tenant's slot after recording the failure", async () => {
    await expect(report(statusChange())).resolves.toEqual({ sent: true, eventId: 'evt-1' });

    expect(commandNames()).toEqual(['GetCommand', 'UpdateCommand', 'QueryCommand', 'DeleteCommand']);
    expect(documents.commandCalls(QueryCommand)[0]?.args[0].input).toEqual(slotsQuery('t1'));
    expect(documents.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual(slotDelete(6, 't1'));
  });

  it('leaves the slot alone when another operation has taken the tenant over', async () => {
    documents
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    await expect(report(statusChange())).resolves.toEqual({ sent: true, eventId: 'evt-1' });
    expect(documents).toHaveReceivedCommandTimes(QueryCommand, 0);
    expect(documents).toHaveReceivedCommandTimes(DeleteCommand, 0);
  });

  it('still frees the slot when the failure could not be recorded', async () => {
    documents
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $fault: 'client', $metadata: {} }));

    await report(statusChange());

    expect(documents).toHaveReceivedCommandTimes(DeleteCommand, 1);
  });

  it('still replies, and logs, when the slot cannot be freed', async () => {
    documents.on(QueryCommand).rejects(throttled());

    await expect(report(statusChange())).resolves.toEqual({ sent: true, eventId: 'evt-1' });
    expect(loggedErrors).toHaveBeenCalledWith('Could not release the stack operation slot', expect.anything());
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('frees nothing when the request names no usable tenant', async () => {
    const request = requestEvent('sbt_aws_onboardingRequest', {
      tenantId: 'not a valid id!',
      tenantRegistrationId: 'reg-1',
    });

    const event = statusChange({ input: JSON.stringify(request) });
    describeAs(event);

    await report(event);

    expect(documents.calls()).toHaveLength(0);
  });
});
