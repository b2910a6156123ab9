import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  caseFoldClaim,
  caseFoldMatch,
  conditionFailed,
  context,
  createCondition,
  ddb,
  describeResult,
  getInput,
  handler,
  key,
  lockOf,
  logLines,
  onboardingRequest,
  sfn,
} from './handler.fixture.ts';
import { lockHold } from '../shared/registry/tenants.fixture.ts';
import {
  now,
  offboardingRegistrationId,
  onboardingEvent,
  otherExecution,
  registrationId,
  storedRecord,
  tenantId,
  thisExecution,
} from './requests.fixture.ts';

describe('accept-request handler: onboarding', () => {
  it('creates the record with the lock for a new tenant', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});

    const result = await handler({ event: onboardingEvent(), executionArn: thisExecution }, context);

    expect(result).toEqual({ outcome: 'accepted', request: onboardingRequest });
    expect(ddb.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual([getInput]);
    // The lower-cased id is claimed first: a case-twin of another tenant gets no record at all.
    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
      caseFoldClaim,
      {
        TableName: 'tenant-registry',
        Item: {
          ...key,
          // On the tenant list from its creation (functions/shared/registry/tenant-pages.ts).
          tenantListPartition: 'TENANT',
          tenantListOrder: `${now}#${tenantId}`,
          tenantId,
          tenantName: 'acme',
          tier: 'premium',
          lastRequestAt: '2026-11-20T10:00:00Z',
          status: 'ONBOARDING',
          lock: lockOf('onboarding', registrationId, thisExecution),
          completed: {},
          version: 1,
          createdAt: now,
          updatedAt: now,
        },
        ...createCondition,
      },
    ]);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('re-reads and decides again when a concurrent writer created the record first', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce({})
      .resolvesOnce({
        Item: storedRecord({
          status: 'ONBOARDING',
          completed: {},
          lock: lockOf('onboarding', registrationId, otherExecution),
        }),
      });
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(PutCommand, caseFoldMatch).resolves({});
    sfn.on(DescribeExecutionCommand).resolves(describeResult('RUNNING'));

    const result = await handler({ event: onboardingEvent(), executionArn: thisExecution }, context);

    expect(result.outcome).toBe('duplicate');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.sk)).toEqual(['CASEFOLD', 'TENANT']);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(sfn.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: otherExecution },
    ]);
  });

  it('gives up with TenantBusy when the record keeps changing under it', async () => {
    ddb.on(GetCommand).resolves({ Item: storedRecord({ status: 'DELETED', completed: {} }) });
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(handler({ event: onboardingEvent(), executionArn: thisExecution }, context)).rejects.toMatchObject({
      name: 'TenantBusy',
      message: `tenant ${tenantId} is busy: its registry record kept changing while taking the lock`,
    });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(3);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(3);
  });

  it('treats a redelivered request as a duplicate while the first execution runs', async () => {
    ddb.on(GetCommand).resolves({
      Item: storedRecord({
        status: 'ONBOARDING',
        completed: {},
        lock: lockOf('onboarding', registrationId, otherExecution, '2026-11-20T09:59:00.000Z'),
      }),
    });
    sfn.on(DescribeExecutionCommand).resolves(describeResult('RUNNING'));

    const result = await handler({ event: onboardingEvent(), executionArn: thisExecution }, context);

    expect(result).toEqual({ outcome: 'duplicate', request: onboardingRequest });
    expect(sfn.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: otherExecution },
    ]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('confirms a request that already completed, with the stored tenant config, without asking Step Functions', async () => {
    ddb.on(GetCommand).resolves({ Item: storedRecord({ tenantConfig: '{"tier":"premium"}' }) });

    const result = await handler({ event: onboardingEvent(), executionArn: thisExecution }, context);

    expect(result).toEqual({
      outcome: 'completed',
      request: onboardingRequest,
      completion: { tenantConfig: '{"tier":"premium"}' },
    });
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('takes over the lock of a holder that failed, with an exact conditional update', async () => {
    ddb.on(GetCommand).resolves({
      Item: storedRecord({
        status: 'ONBOARDING',
        completed: {},
        version: 2,
        lock: lockOf('onboarding', registrationId, otherExecution, '2026-11-20T09:00:00.000Z'),
      }),
    });
    sfn.on(DescribeExecutionCommand).resolves(describeResult('FAILED'));
    ddb.on(UpdateCommand).resolves({});

    const result = await handler({ event: onboardingEvent(), executionArn: thisExecution }, context);

    expect(result).toEqual({ outcome: 'accepted', request: onboardingRequest });
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'tenant-registry',
        Key: key,
        UpdateExpression:
          'SET #lock = :lock, #status = :status, #version = #version + :one, #updatedAt = :now, #tier = :tier, #tenantName = :tenantName, ' +
          '#lastRequestAt = :lastRequestAt REMOVE #tombstoneExpiresAt',
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: {
          '#lock': 'lock',
          '#status': 'status',
          '#version': 'version',
          '#updatedAt': 'updatedAt',
          '#tombstoneExpiresAt': 'tombstoneExpiresAt',
          '#tier': 'tier',
          '#tenantName': 'tenantName',
          '#lastRequestAt': 'lastRequestAt',
        },
        ExpressionAttributeValues: {
          ':lock': lockOf('onboarding', registrationId, thisExecution),
          ':status': 'ONBOARDING',
          ':expected': 2,
          ':one': 1,
          ':now': now,
          ':tier': 'premium',
          ':tenantName': 'acme',
          ':lastRequestAt': '2026-11-20T10:00:00Z',
        },
      },
    ]);
    const decision = logLines().find((line) => line.message === 'Tenant lock acquired');
    expect(decision).toMatchObject({ takenOverFrom: otherExecution, takenOverOperation: 'onboarding' });
  });

  it('takes over when Step Functions no longer knows the holder', async () => {
    ddb.on(GetCommand).resolves({
      Item: storedRecord({
        status: 'ONBOARDING',
        completed: {},
        lock: lockOf('onboarding', registrationId, otherExecution),
      }),
    });
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    ddb.on(UpdateCommand).resolves({});

    const result = await handler({ event: onboardingEvent(), executionArn: thisExecution }, context);

    expect(result.outcome).toBe('accepted');
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it.each(['RUNNING', 'PENDING_REDRIVE'] as const)(
    'is TenantBusy while another operation is %s, writing nothing',
    async (status) => {
      ddb.on(GetCommand).resolves({
        Item: storedRecord({
          status: 'OFFBOARDING',
          lock: lockOf('offboarding', offboardingRegistrationId, otherExecution),
        }),
      });
      sfn.on(DescribeExecutionCommand).resolves(describeResult(status));

      await expect(
        handler({ event: onboardingEvent({ tenantRegistrationId: 'reg-new' }), executionArn: thisExecution }, context),
      ).rejects.toMatchObject({
        name: 'TenantBusy',
        message: `tenant ${tenantId} is busy: offboarding of registration ${offboardingRegistrationId} is running in execution ${otherExecution}`,
      });
      expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
      expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    },
  );

  it('proceeds when this execution already holds the lock, proving it with the fenced write and nothing else', async () => {
    const held = storedRecord({
      status: 'ONBOARDING',
      completed: {},
      lock: lockOf('onboarding', registrationId, thisExecution),
    });
    ddb.on(GetCommand).resolves({ Item: held });
    ddb.on(UpdateCommand).resolves({ Attributes: held });

    const result = await handler({ event: onboardingEvent(), executionArn: thisExecution }, context);

    expect(result).toEqual({ outcome: 'accepted', request: onboardingRequest });
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      lockHold({ tableName: 'tenant-registry', tenantId }, { executionArn: thisExecution, attempt: 0 }, now),
    ]);
  });

  it('a redrive of the accept step proves the lock at its redrive attempt, fencing off the attempts before it', async () => {
    const held = storedRecord({
      status: 'ONBOARDING',
      completed: {},
      lock: lockOf('onboarding', registrationId, thisExecution),
    });
    ddb.on(GetCommand).resolves({ Item: held });
    ddb.on(UpdateCommand).resolves({ Attributes: held });

    const result = await handler({ event: onboardingEvent(), executionArn: thisExecution, redriveCount: 1 }, context);

    expect(result.outcome).toBe('accepted');
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      lockHold({ tableName: 'tenant-registry', tenantId }, { executionArn: thisExecution, attempt: 1 }, now),
    ]);
  });

  it('is Superseded when an earlier attempt of this execution runs on after a redrive took the lock to attempt 1', async () => {
    ddb.on(GetCommand).resolves({
      Item: storedRecord({
        status: 'ONBOARDING',
        completed: {},
        lock: lockOf('onboarding', registrationId, thisExecution, now, 1),
      }),
    });
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(
      handler({ event: onboardingEvent(), executionArn: thisExecution, redriveCount: 0 }, context),
    ).rejects.toMatchObject({
      name: 'Superseded',
    });
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      lockHold({ tableName: 'tenant-registry', tenantId }, { executionArn: thisExecution, attempt: 0 }, now),
    ]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('refuses a tenant id that differs only in letter case from another tenant with TenantIdConflict, writing no record', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    ddb.on(PutCommand, caseFoldMatch).rejects(conditionFailed());

    await expect(handler({ event: onboardingEvent(), executionArn: thisExecution }, context)).rejects.toMatchObject({
      name: 'TenantIdConflict',
    });
    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([caseFoldClaim]);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('refuses to onboard an active tenant under a new registration', async () => {
    ddb.on(GetCommand).resolves({ Item: storedRecord() });

    await expect(
      handler({ event: onboardingEvent({ tenantRegistrationId: 'reg-new' }), executionArn: thisExecution }, context),
    ).rejects.toMatchObject({
      name: 'TenantAlreadyActive',
      message: `tenant ${tenantId} is active; offboard it first`,
    });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('writes nothing for an invalid request', async () => {
    const event = onboardingEvent({ tenantRegistrationId: undefined, tenantId: 'not a valid id!' });

    await expect(handler({ event, executionArn: thisExecution }, context)).rejects.toMatchObject({
      name: 'InvalidRequest',
      message:
        'Invalid onboarding request: detail.tenantId: must be 1-63 characters of letters, digits and hyphens, starting with a letter or digit; detail.tenantRegistrationId: is required',
    });
    expect(ddb.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('writes nothing for an unknown tier, and names the known tiers', async () => {
    await expect(
      handler({ event: onboardingEvent({ tier: 'platinum' }), executionArn: thisExecution }, context),
    ).rejects.toMatchObject({
      name: 'UnknownTier',
      message: 'Request names tier "platinum"; known tiers: basic, advanced, premium',
    });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('fails with InvalidStepInput when the workflow passes no execution ARN', async () => {
    await expect(handler({ event: onboardingEvent() }, context)).rejects.toMatchObject({ name: 'InvalidStepInput' });
    expect(ddb.calls()).toHaveLength(0);
  });
});
