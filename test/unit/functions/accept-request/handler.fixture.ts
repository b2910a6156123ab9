/**
 * Harness for the accept-request handler tests: mocked DynamoDB and Step Functions clients,
 * a frozen clock, and the handler's log lines captured (the handler is loaded with logging on).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, vi } from 'vitest';
import { now, otherExecution, registrationId, tenantId, thisExecution } from './requests.fixture.ts';

// The logger reads its level when the handler module loads: make it print so tests can read the logs.
const previousLogLevel = process.env.POWERTOOLS_LOG_LEVEL;
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
export const { handler } = await import('../../../../functions/accept-request/handler.ts');

export const ddb = mockClient(DynamoDBDocumentClient);
export const sfn = mockClient(SFNClient);
export const context = { functionName: 'accept-request', awsRequestId: 'request-1' } as Context;
export const key = { pk: `TENANT#${tenantId}`, sk: 'TENANT' };
export const getInput = { TableName: 'tenant-registry', Key: key, ConsistentRead: true };

export const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** A lock as the registry stores it; `attempt` is the holder's redrive attempt (0 before any redrive). */
export function lockOf(
  operation: 'onboarding' | 'offboarding',
  registration: string,
  executionArn: string,
  acquiredAt = now,
  attempt = 0,
) {
  return { operation, registrationId: registration, executionArn, acquiredAt, attempt };
}

/** `now` in epoch seconds, the unit of a tombstone's expiry. */
export const nowSeconds = 1_795_168_805;

/** The create condition of the tenant record: no record, or a tombstone whose time is up. */
export const createCondition = {
  ConditionExpression: 'attribute_not_exists(pk) OR #tombstoneExpiresAt <= :nowSeconds',
  ExpressionAttributeNames: { '#tombstoneExpiresAt': 'tombstoneExpiresAt' },
  ExpressionAttributeValues: { ':nowSeconds': nowSeconds },
};

/** The Put that reserves the tenant id's lower-cased form before an onboarding takes the lock. */
export const caseFoldClaim = {
  TableName: 'tenant-registry',
  Item: { pk: `TENANTID#${tenantId.toLowerCase()}`, sk: 'CASEFOLD', tenantId, claimedAt: now },
  ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
  ExpressionAttributeValues: { ':tenantId': tenantId },
};

/** Matches the case-fold claim's Put (and not the record's), for `ddb.on(PutCommand, caseFoldMatch)`. */
export const caseFoldMatch = { Item: { sk: 'CASEFOLD' } };

export function describeResult(status: 'RUNNING' | 'FAILED' | 'PENDING_REDRIVE' | 'SUCCEEDED') {
  return {
    executionArn: otherExecution,
    stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:x',
    status,
    startDate: new Date(now),
  };
}

/** The request the handler returns for `onboardingEvent()`. */
export const onboardingRequest = {
  operation: 'onboarding',
  tenantId,
  registrationId,
  tenantName: 'acme',
  tier: 'premium',
  eventId: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  requestedAt: '2026-11-20T10:00:00Z',
  executionArn: thisExecution,
};

let output: string[] = [];

/** Everything the handler wrote to stdout and stderr in this test. */
export function rawOutput(): string {
  return output.join('');
}

/** The handler's log lines in this test, parsed. */
export function logLines(): Record<string, unknown>[] {
  return rawOutput()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(now));
  output = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    output.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

afterAll(() => {
  if (previousLogLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = previousLogLevel;
});
