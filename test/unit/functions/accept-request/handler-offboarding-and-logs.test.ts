import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  context,
  createCondition,
  ddb,
  describeResult,
  handler,
  key,
  lockOf,
  logLines,
  nowSeconds,
  onboardingRequest,
  rawOutput,
  sfn,
} from './handler.fixture.ts';
import {
  email,
  now,
  offboardingEvent,
  offboardingRegistrationId,
  onboardingEvent,
  otherExecution,
  registrationId,
  storedRecord,
  tenantId,
  thisExecution,
} from './requests.fixture.ts';

const offboardingRequest = {
  ...onboardingRequest,
  operation: 'offboarding',
  registrationId: offboardingRegistrationId,
  eventId: '7b8f9afc-c5a2-4d08-b0c1-2e3f4a5b6c7d',
};

describe('accept-request handler: offboarding', () => {
  it('locks an active tenant and reports what onboarding created', async () => {
    ddb.on(GetCommand).resolves({ Item: storedRecord() });
    ddb.on(UpdateCommand).resolves({});

    const result = await handler({ event: offboardingEvent(), executionArn: thisExecution }, context);

    expect(result).toEqual({
      outcome: 'accepted',
      request: offboardingRequest,
      tenant: { tier: 'premium', isolationModel: 'silo-cluster', stacks: [{ stackName: `tenant-${tenantId}` }] },
    });
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'tenant-registry',
        Key: key,
        UpdateExpression:
          'SET #lock = :lock, #status = :status, #version = #version + :one, #updatedAt = :now, #lastRequestAt = :lastRequestAt REMOVE #tombstoneExpiresAt',
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: {
          '#lock': 'lock',
          '#status': 'status',
          '#version': 'version',
          '#updatedAt': 'updatedAt',
          '#lastRequestAt': 'lastRequestAt',
          '#tombstoneExpiresAt': 'tombstoneExpiresAt',
        },
        ExpressionAttributeValues: {
          ':lock': lockOf('offboarding', offboardingRegistrationId, thisExecution),
          ':status': 'OFFBOARDING',
          ':expected': 4,
          ':one': 1,
          ':now': now,
          ':lastRequestAt': '2026-11-20T10:00:00Z',
        },
      },
    ]);
  });

  it('goes ahead for a DELETED tenant so the workflow converges and replies deleted', async () => {
    ddb.on(GetCommand).resolves({ Item: storedRecord({ status: 'DELETED', plan: undefined }) });
    ddb.on(UpdateCommand).resolves({});

    const result = await handler({ event: offboardingEvent(), executionArn: thisExecution }, context);

    expect(result).toEqual({
      outcome: 'accepted',
      request: offboardingRequest,
      tenant: { tier: 'premium', stacks: [] },
    });
  });

  it('takes over from a failed onboarding to clean up after it', async () => {
    ddb.on(GetCommand).resolves({
      Item: storedRecord({
        status: 'ONBOARDING',
        completed: {},
        lock: lockOf('onboarding', registrationId, otherExecution),
      }),
    });
    sfn.on(DescribeExecutionCommand).resolves(describeResult('FAILED'));
    ddb.on(UpdateCommand).resolves({});

    const result = await handler({ event: offboardingEvent(), executionArn: thisExecution }, context);

    expect(result.outcome).toBe('accepted');
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':status': 'OFFBOARDING',
    });
  });

  it('locks a tenant the registry never saw by creating a tombstone that expires after TOMBSTONE_SECONDS', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});

    const result = await handler({ event: offboardingEvent(), executionArn: thisExecution }, context);

    // Nothing to report: the workflow deletes no stack and replies deleted.
    expect(result).toEqual({ outcome: 'accepted', request: offboardingRequest });
    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'tenant-registry',
        Item: {
          ...key,
          // On the tenant list from its creation (functions/shared/registry/tenant-pages.ts).
          tenantListPartition: 'TENANT',
          tenantListOrder: `${now}#${tenantId}`,
          tenantId,
          lastRequestAt: '2026-11-20T10:00:00Z',
          tombstoneExpiresAt: nowSeconds + 1_296_000,
          status: 'OFFBOARDING',
          lock: lockOf('offboarding', offboardingRegistrationId, thisExecution),
          completed: {},
          version: 1,
          createdAt: now,
          updatedAt: now,
        },
        ...createCondition,
      },
    ]);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(logLines().find((line) => line.message === 'Tenant lock acquired')).toMatchObject({ tombstone: true });
  });

  it('keeps a tombstone a tombstone, with a fresh expiry, through a second offboarding', async () => {
    ddb.on(GetCommand).resolves({
      Item: storedRecord({
        tenantName: undefined,
        tier: undefined,
        plan: undefined,
        status: 'DELETED',
        completed: { 'offboarding#earlier': '2026-11-20T09:00:00.000Z' },
        lastRequestAt: '2026-11-20T09:00:00Z',
        tombstoneExpiresAt: nowSeconds + 100,
      }),
    });
    ddb.on(UpdateCommand).resolves({});

    await handler({ event: offboardingEvent(), executionArn: thisExecution }, context);

    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.UpdateExpression).toBe(
      'SET #lock = :lock, #status = :status, #version = #version + :one, #updatedAt = :now, #lastRequestAt = :lastRequestAt, #tombstoneExpiresAt = :tombstoneExpiresAt',
    );
    expect(input?.ExpressionAttributeValues).toMatchObject({
      ':tombstoneExpiresAt': nowSeconds + 1_296_000,
      ':expected': 4,
    });
  });

  it('refuses an onboarding no newer than the tombstone as Superseded, writing nothing', async () => {
    ddb.on(GetCommand).resolves({
      Item: storedRecord({
        status: 'DELETED',
        completed: { 'offboarding#earlier': '2026-11-20T10:00:00.000Z' },
        lastRequestAt: '2026-11-20T10:00:00Z',
        tombstoneExpiresAt: nowSeconds + 100,
      }),
    });

    // The onboarding event's time is 2026-11-20T10:00:00Z: the same second as the offboarding.
    await expect(handler({ event: onboardingEvent(), executionArn: thisExecution }, context)).rejects.toMatchObject({
      name: 'Superseded',
    });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('accepts the legacy detail type', async () => {
    ddb.on(GetCommand).resolves({ Item: storedRecord() });
    ddb.on(UpdateCommand).resolves({});

    const result = await handler(
      { event: { ...offboardingEvent(), 'detail-type': 'offboardingRequest' }, executionArn: thisExecution },
      context,
    );

    expect(result.request.operation).toBe('offboarding');
  });
});

describe('accept-request handler: AWS failures', () => {
  it('turns throttling on the read into TransientAwsError', async () => {
    ddb.on(GetCommand).rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));

    await expect(handler({ event: onboardingEvent(), executionArn: thisExecution }, context)).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });

  it('turns throttling on the lock write into TransientAwsError', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));

    await expect(handler({ event: onboardingEvent(), executionArn: thisExecution }, context)).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
  });
});

describe('accept-request handler: logs', () => {
  it('logs the decision with the tenant, registration and execution, and never the e-mail', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});

    const result = await handler({ event: onboardingEvent(), executionArn: thisExecution }, context);

    const lines = logLines();
    expect(lines.find((line) => line.message === 'Tenant lock acquired')).toMatchObject({
      level: 'INFO',
      service: 'accept-request',
      tenantId,
      registrationId,
      executionArn: thisExecution,
      operation: 'onboarding',
    });
    expect(rawOutput()).not.toContain(email);
    expect(JSON.stringify(result)).not.toContain(email);
  });

  it('logs a rejected request by its ids and field names only', async () => {
    await expect(
      handler({ event: onboardingEvent({ tier: 42 }), executionArn: thisExecution }, context),
    ).rejects.toThrow();

    const rejection = logLines().find((line) => line.message === 'Request rejected');
    expect(rejection).toMatchObject({
      tenantId,
      registrationId,
      errorName: 'InvalidRequest',
      reason: 'Invalid onboarding request: detail.tier: must be a string',
    });
    expect(rawOutput()).not.toContain(email);
  });
});
