import 'aws-sdk-client-mock-vitest/extend';
import {
  DynamoDBClient,
  PutItemCommand,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/send-reply/handler.ts';
import { retryableIdempotencyError } from '../../../../functions/shared/step/idempotency.ts';

const eventBridge = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBClient);

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'send-reply',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:send-reply',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/send-reply',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

const input = {
  request: {
    operation: 'offboarding' as const,
    tenantId: 't1',
    registrationId: 'reg-store',
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:tenant-offboarding:reg-store',
  },
};

beforeEach(() => {
  eventBridge.reset();
  dynamo.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] });
});

describe('send-reply when the idempotency table fails', () => {
  it('turns a throttled in-progress write into TransientAwsError, sending nothing, so the workflow retries', async () => {
    dynamo.on(PutItemCommand).rejects(
      new ProvisionedThroughputExceededException({
        message: 'Throughput exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    await expect(handler(input, context)).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('ProvisionedThroughputExceededException'),
    });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('treats a 5xx of the table the same way', async () => {
    dynamo.on(PutItemCommand).rejects(
      Object.assign(new Error('Internal server error'), {
        name: 'InternalServerError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );

    await expect(handler(input, context)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });

  it('leaves a terminal table error (the table is missing) as Powertools reports it', async () => {
    dynamo
      .on(PutItemCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: { httpStatusCode: 400 } }),
      );

    await expect(handler(input, context)).rejects.toMatchObject({ name: 'IdempotencyPersistenceLayerError' });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});

describe('retryableIdempotencyError', () => {
  it('passes through errors that are not Powertools persistence errors', () => {
    const error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

    expect(retryableIdempotencyError(error)).toBe(error);
  });
});
