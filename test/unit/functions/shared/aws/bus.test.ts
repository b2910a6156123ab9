import 'aws-sdk-client-mock-vitest/extend';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ReplyEntry } from '../../../../../events/contract.ts';
import { putReply } from '../../../../../functions/shared/aws/bus.ts';

const eventBridge = mockClient(EventBridgeClient);

const entry: ReplyEntry = {
  EventBusName: 'saas-bus',
  Source: 'sbt.application.plane',
  DetailType: 'sbt_aws_deprovisionSuccess',
  Detail: JSON.stringify({
    tenantRegistrationId: 'reg-1',
    jobOutput: { tenantData: {}, tenantRegistrationData: { registrationStatus: 'deleted' } },
  }),
};

beforeEach(() => {
  eventBridge.reset();
});

describe('putReply', () => {
  it('puts exactly the one entry and returns its event id', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] });

    await expect(putReply(entry)).resolves.toBe('evt-1');
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input).toEqual({ Entries: [entry] });
  });

  it.each(['ThrottlingException', 'InternalFailure', 'InternalException'])(
    'treats a %s entry failure as transient',
    async (code) => {
      eventBridge
        .on(PutEventsCommand)
        .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: code, ErrorMessage: 'try later' }] });

      await expect(putReply(entry)).rejects.toMatchObject({
        name: 'TransientAwsError',
        message: `PutEvents rejected the sbt_aws_deprovisionSuccess reply on bus saas-bus: ${code}: try later`,
      });
    },
  );

  it('fails with a plain error naming the code when the entry is rejected for good', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'not authorized' }],
    });

    const error = await putReply(entry).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'Error',
      message:
        'PutEvents rejected the sbt_aws_deprovisionSuccess reply on bus saas-bus: AccessDeniedException: not authorized',
    });
  });

  it('turns a throttled call into TransientAwsError', async () => {
    eventBridge.on(PutEventsCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    await expect(putReply(entry)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });

  it('lets an unknown call error propagate untouched', async () => {
    const notFound = Object.assign(new Error('Event bus saas-bus does not exist.'), {
      name: 'ResourceNotFoundException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    eventBridge.on(PutEventsCommand).rejects(notFound);

    await expect(putReply(entry)).rejects.toBe(notFound);
  });

  it('fails when EventBridge accepts the entry but returns no event id', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{}] });

    await expect(putReply(entry)).rejects.toThrow(
      'PutEvents accepted the sbt_aws_deprovisionSuccess reply but returned no event id',
    );
  });
});
