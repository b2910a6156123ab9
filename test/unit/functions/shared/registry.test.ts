import { ConditionalCheckFailedException, InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { LockLostError, TransientAwsError } from '../../../../functions/shared/errors.ts';
import { completionKey, createRegistry, tenantKey, type OperationLock } from '../../../../functions/shared/registry.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const registry = createRegistry('registry-table');
const tenantId = 't-1';
const key = { pk: 'TENANT#t-1', sk: 'TENANT' };
const now = '2026-11-20T10:00:00.000Z';
const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:e1';
const lock: OperationLock = { operation: 'onboarding', registrationId: 'r-1', executionArn, acquiredAt: now };
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const throttled = () => new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} });
const validation = () =>
  Object.assign(new Error('One or more parameter values were invalid'), { name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 } });

beforeEach(() => {
  ddb.reset();
});

describe('keys', () => {
  it('keys tenants by id and completions by operation and registration', () => {
    expect(tenantKey('abc')).toEqual({ pk: 'TENANT#abc', sk: 'TENANT' });
    expect(completionKey('offboarding', 'r-9')).toBe('offboarding#r-9');
  });
});

describe('getTenant', () => {
  it('reads consistently and returns the record without its table keys', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...key, tenantId, status: 'ACTIVE', completed: {}, version: 2, createdAt: now, updatedAt: now } });

    const record = await registry.getTenant(tenantId);

    expect(record).toEqual({ tenantId, status: 'ACTIVE', completed: {}, version: 2, createdAt: now, updatedAt: now });
    expect(ddb.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual([{ TableName: 'registry-table', Key: key, ConsistentRead: true }]);
  });

  it('is undefined for an unknown tenant', async () => {
    ddb.on(GetCommand).resolves({});

    await expect(registry.getTenant(tenantId)).resolves.toBeUndefined();
  });

  it.each([
    ['throttling', throttled],
    ['a server error', () => new InternalServerError({ message: 'Internal', $metadata: { httpStatusCode: 500 } })],
  ])('turns %s into TransientAwsError', async (_case, error) => {
    ddb.on(GetCommand).rejects(error());

    await expect(registry.getTenant(tenantId)).rejects.toBeInstanceOf(TransientAwsError);
  });

  it('lets other errors through untouched', async () => {
    const error = validation();
    ddb.on(GetCommand).rejects(error);

    await expect(registry.getTenant(tenantId)).rejects.toBe(error);
  });
});

describe('acquireLock', () => {
  it('creates the record when no version is expected', async () => {
    ddb.on(PutCommand).resolves({});

    const acquired = await registry.acquireLock(tenantId, undefined, lock, { status: 'ONBOARDING', tier: 'basic', tenantName: 'acme' });

    expect(acquired).toBe(true);
    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'registry-table',
        Item: { ...key, tenantId, tenantName: 'acme', tier: 'basic', status: 'ONBOARDING', lock, completed: {}, version: 1, createdAt: now, updatedAt: now },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    ]);
  });

  it('creates the record without the optional fields when none are given', async () => {
    ddb.on(PutCommand).resolves({});

    await registry.acquireLock(tenantId, undefined, lock, { status: 'ONBOARDING' });

    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toEqual({
      ...key,
      tenantId,
      status: 'ONBOARDING',
      lock,
      completed: {},
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
  });

  it('updates an existing record at the expected version', async () => {
    ddb.on(UpdateCommand).resolves({});

    const acquired = await registry.acquireLock(tenantId, 5, lock, { status: 'OFFBOARDING' });

    expect(acquired).toBe(true);
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'registry-table',
        Key: key,
        UpdateExpression: 'SET #lock = :lock, #status = :status, #version = #version + :one, #updatedAt = :now',
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#lock': 'lock', '#status': 'status', '#version': 'version', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':lock': lock, ':status': 'OFFBOARDING', ':expected': 5, ':one': 1, ':now': now },
      },
    ]);
  });

  it('sets tier and tenant name on update when given', async () => {
    ddb.on(UpdateCommand).resolves({});

    await registry.acquireLock(tenantId, 5, lock, { status: 'ONBOARDING', tier: 'premium', tenantName: 'acme' });

    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.UpdateExpression).toBe(
      'SET #lock = :lock, #status = :status, #version = #version + :one, #updatedAt = :now, #tier = :tier, #tenantName = :tenantName',
    );
    expect(input?.ExpressionAttributeNames).toMatchObject({ '#tier': 'tier', '#tenantName': 'tenantName' });
    expect(input?.ExpressionAttributeValues).toMatchObject({ ':tier': 'premium', ':tenantName': 'acme' });
  });

  it('reports a lost race on create as false (the record appeared meanwhile)', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());

    await expect(registry.acquireLock(tenantId, undefined, lock, { status: 'ONBOARDING' })).resolves.toBe(false);
  });

  it('reports a lost race on update as false (the version moved on)', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(registry.acquireLock(tenantId, 3, lock, { status: 'ONBOARDING' })).resolves.toBe(false);
  });

  it('turns throttling into TransientAwsError', async () => {
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(registry.acquireLock(tenantId, 3, lock, { status: 'ONBOARDING' })).rejects.toBeInstanceOf(TransientAwsError);
  });

  it('lets other errors through untouched', async () => {
    const error = validation();
    ddb.on(PutCommand).rejects(error);

    await expect(registry.acquireLock(tenantId, undefined, lock, { status: 'ONBOARDING' })).rejects.toBe(error);
  });
});

describe('savePlan', () => {
  const plan = { tier: 'premium', isolationModel: 'silo-cluster', templateVersion: '1.0.0', stacks: [{ stackName: 'tenant-t-1' }] } as const;

  it('writes the plan only while this execution holds the lock', async () => {
    ddb.on(UpdateCommand).resolves({});

    await registry.savePlan(tenantId, executionArn, plan, now);

    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'registry-table',
        Key: key,
        UpdateExpression: 'SET #plan = :plan, #updatedAt = :now',
        ConditionExpression: '#lock.#executionArn = :executionArn',
        ExpressionAttributeNames: { '#plan': 'plan', '#updatedAt': 'updatedAt', '#lock': 'lock', '#executionArn': 'executionArn' },
        ExpressionAttributeValues: { ':plan': plan, ':now': now, ':executionArn': executionArn },
      },
    ]);
  });

  it('fails with LockLost when another execution holds the tenant', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(registry.savePlan(tenantId, executionArn, plan, now)).rejects.toBeInstanceOf(LockLostError);
    await expect(registry.savePlan(tenantId, executionArn, plan, now)).rejects.toThrow(
      `Execution ${executionArn} no longer holds the lock of tenant t-1; another operation took it over`,
    );
  });

  it('turns throttling into TransientAwsError', async () => {
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(registry.savePlan(tenantId, executionArn, plan, now)).rejects.toBeInstanceOf(TransientAwsError);
  });
});

describe('completeOperation', () => {
  const held = { operation: 'onboarding', registrationId: 'r-1', executionArn } as const;

  function stored(overrides: Record<string, unknown>) {
    return { Item: { ...key, tenantId, status: 'ACTIVE', completed: {}, version: 4, createdAt: now, updatedAt: now, ...overrides } };
  }

  it('sets the status, records the completion and releases the lock', async () => {
    ddb.on(UpdateCommand).resolves({});

    await registry.completeOperation(tenantId, held, { status: 'ACTIVE', tenantConfig: '{"tier":"premium"}' }, now);

    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'registry-table',
        Key: key,
        UpdateExpression:
          'SET #status = :status, #completed.#key = :now, #version = #version + :one, #updatedAt = :now, #tenantConfig = :tenantConfig REMOVE #lock',
        ConditionExpression: '#lock.#executionArn = :executionArn',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#completed': 'completed',
          '#key': 'onboarding#r-1',
          '#lock': 'lock',
          '#executionArn': 'executionArn',
          '#version': 'version',
          '#updatedAt': 'updatedAt',
          '#tenantConfig': 'tenantConfig',
        },
        ExpressionAttributeValues: { ':status': 'ACTIVE', ':now': now, ':executionArn': executionArn, ':one': 1, ':tenantConfig': '{"tier":"premium"}' },
      },
    ]);
  });

  it('removes the route when asked', async () => {
    ddb.on(UpdateCommand).resolves({});

    await registry.completeOperation(tenantId, { ...held, operation: 'offboarding' }, { status: 'DELETED', removeRoute: true }, now);

    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.UpdateExpression).toBe('SET #status = :status, #completed.#key = :now, #version = #version + :one, #updatedAt = :now REMOVE #lock, #route');
    expect(input?.ExpressionAttributeNames).toMatchObject({ '#route': 'route', '#key': 'offboarding#r-1' });
    expect(input?.ExpressionAttributeValues).not.toHaveProperty(':tenantConfig');
  });

  it('is a no-op when the operation already completed and nothing holds the tenant', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves(stored({ completed: { 'onboarding#r-1': now } }));

    await expect(registry.completeOperation(tenantId, held, { status: 'ACTIVE' }, now)).resolves.toBeUndefined();
    expect(ddb.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual([{ TableName: 'registry-table', Key: key, ConsistentRead: true }]);
  });

  it('is a no-op when the operation already completed and another operation has locked the tenant since', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves(
      stored({
        status: 'OFFBOARDING',
        completed: { 'onboarding#r-1': now },
        lock: { operation: 'offboarding', registrationId: 'r-2', executionArn: 'arn:other', acquiredAt: now },
      }),
    );

    await expect(registry.completeOperation(tenantId, held, { status: 'ACTIVE' }, now)).resolves.toBeUndefined();
  });

  it.each([
    ['another execution holds the tenant', stored({ lock: { operation: 'offboarding', registrationId: 'r-2', executionArn: 'arn:other', acquiredAt: now } })],
    ['the lock is gone and the operation never completed', stored({})],
    ['the record is gone', {}],
  ])('fails with LockLost when %s', async (_case, current) => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves(current);

    await expect(registry.completeOperation(tenantId, held, { status: 'ACTIVE' }, now)).rejects.toBeInstanceOf(LockLostError);
  });

  it('turns throttling into TransientAwsError without re-reading', async () => {
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(registry.completeOperation(tenantId, held, { status: 'ACTIVE' }, now)).rejects.toBeInstanceOf(TransientAwsError);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });
});

describe('recordFailure', () => {
  const failure = { executionArn, failedStep: 'CreateTenantStacks', errorName: 'StackCreationFailed', failureReason: 'bucket exists', at: now };

  it('notes the failure while the failed execution holds the lock', async () => {
    ddb.on(UpdateCommand).resolves({});

    await expect(registry.recordFailure(tenantId, failure)).resolves.toBe(true);
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'registry-table',
        Key: key,
        UpdateExpression: 'SET #lastFailure = :failure, #updatedAt = :now',
        ConditionExpression: '#lock.#executionArn = :executionArn',
        ExpressionAttributeNames: { '#lastFailure': 'lastFailure', '#updatedAt': 'updatedAt', '#lock': 'lock', '#executionArn': 'executionArn' },
        ExpressionAttributeValues: { ':failure': failure, ':now': now, ':executionArn': executionArn },
      },
    ]);
  });

  it('is false when the execution no longer holds the lock', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(registry.recordFailure(tenantId, failure)).resolves.toBe(false);
  });

  it('turns throttling into TransientAwsError', async () => {
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(registry.recordFailure(tenantId, failure)).rejects.toBeInstanceOf(TransientAwsError);
  });
});
