import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TenantIdConflictError, TransientAwsError } from '../../../../../functions/shared/step/errors.ts';
import {
  caseFoldKey,
  completionKey,
  createRegistry,
  tenantKey,
  type OperationLock,
} from '../../../../../functions/shared/registry/tenants.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const registry = createRegistry('registry-table');
const tenantId = 't-1';
const key = { pk: 'TENANT#t-1', sk: 'TENANT' };
const now = '2026-11-20T10:00:00.000Z';
const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:e1';
/** `now` in epoch seconds, the unit of a tombstone's expiry. */
const nowSeconds = 1_795_168_800;
const lock: OperationLock = {
  operation: 'onboarding',
  registrationId: 'r-1',
  executionArn,
  acquiredAt: now,
  attempt: 0,
};
/** The create condition: no record, or a tombstone whose time is up (TTL deletes late, so it may still be there). */
const createCondition = {
  ConditionExpression: 'attribute_not_exists(pk) OR #tombstoneExpiresAt <= :nowSeconds',
  ExpressionAttributeNames: { '#tombstoneExpiresAt': 'tombstoneExpiresAt' },
  ExpressionAttributeValues: { ':nowSeconds': nowSeconds },
};
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const throttled = () => new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} });
const validation = () =>
  Object.assign(new Error('One or more parameter values were invalid'), {
    name: 'ValidationException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });

beforeEach(() => {
  ddb.reset();
});

describe('keys', () => {
  it('keys tenants by id and completions by operation and registration', () => {
    expect(tenantKey('abc')).toEqual({ pk: 'TENANT#abc', sk: 'TENANT' });
    expect(completionKey('offboarding', 'r-9')).toBe('offboarding#r-9');
  });

  it('keys the case-fold claim by the lower-cased tenant id', () => {
    expect(caseFoldKey('AcMe-1')).toEqual({ pk: 'TENANTID#acme-1', sk: 'CASEFOLD' });
  });
});

describe('getTenant', () => {
  it('reads consistently and returns the record without its table keys', async () => {
    ddb.on(GetCommand).resolves({
      Item: { ...key, tenantId, status: 'ACTIVE', completed: {}, version: 2, createdAt: now, updatedAt: now },
    });

    const record = await registry.getTenant(tenantId);

    expect(record).toEqual({ tenantId, status: 'ACTIVE', completed: {}, version: 2, createdAt: now, updatedAt: now });
    expect(ddb.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: 'registry-table', Key: key, ConsistentRead: true },
    ]);
  });

  it('is undefined for an unknown tenant', async () => {
    ddb.on(GetCommand).resolves({});

    await expect(registry.getTenant(tenantId)).resolves.toBeUndefined();
  });

  describe('tombstones (TTL deletes expired items late, so an expired one may still be read)', () => {
    const tombstone = (expiresAt: number) => ({
      Item: {
        ...key,
        tenantListPartition: 'TENANT',
        tenantListOrder: `${now}#${tenantId}`,
        tenantId,
        status: 'DELETED',
        completed: { 'offboarding#r-0': now },
        tombstoneExpiresAt: expiresAt,
        version: 2,
        createdAt: now,
        updatedAt: now,
      },
    });

    it('reads a tombstone whose expiry is past or now as absent, and one a second from expiring as present', async () => {
      ddb
        .on(GetCommand)
        .resolvesOnce(tombstone(nowSeconds - 1))
        .resolvesOnce(tombstone(nowSeconds))
        .resolvesOnce(tombstone(nowSeconds + 1));

      await expect(registry.getTenant(tenantId, new Date(now))).resolves.toBeUndefined();
      await expect(registry.getTenant(tenantId, new Date(now))).resolves.toBeUndefined();
      await expect(registry.getTenant(tenantId, new Date(now))).resolves.toMatchObject({
        status: 'DELETED',
        tombstoneExpiresAt: nowSeconds + 1,
      });
    });
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

    const acquired = await registry.acquireLock(tenantId, undefined, lock, {
      status: 'ONBOARDING',
      tier: 'basic',
      tenantName: 'acme',
    });

    expect(acquired).toBe(true);
    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'registry-table',
        Item: {
          ...key,
          tenantListPartition: 'TENANT',
          tenantListOrder: `${now}#${tenantId}`,
          tenantId,
          tenantName: 'acme',
          tier: 'basic',
          status: 'ONBOARDING',
          lock,
          completed: {},
          version: 1,
          createdAt: now,
          updatedAt: now,
        },
        ...createCondition,
      },
    ]);
  });

  it('creates a tombstone when given its expiry, replacing only an absent record or an expired tombstone', async () => {
    ddb.on(PutCommand).resolves({});

    await registry.acquireLock(
      tenantId,
      undefined,
      { ...lock, operation: 'offboarding' },
      {
        status: 'OFFBOARDING',
        lastRequestAt: now,
        tombstoneExpiresAt: nowSeconds + 600,
      },
    );

    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'registry-table',
        Item: {
          ...key,
          tenantListPartition: 'TENANT',
          tenantListOrder: `${now}#${tenantId}`,
          tenantId,
          lastRequestAt: now,
          tombstoneExpiresAt: nowSeconds + 600,
          status: 'OFFBOARDING',
          lock: { ...lock, operation: 'offboarding' },
          completed: {},
          version: 1,
          createdAt: now,
          updatedAt: now,
        },
        ...createCondition,
      },
    ]);
  });

  it('creates the record without the optional fields when none are given', async () => {
    ddb.on(PutCommand).resolves({});

    await registry.acquireLock(tenantId, undefined, lock, { status: 'ONBOARDING' });

    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toEqual({
      ...key,
      // On the tenant list (tenant-pages.ts), oldest first.
      tenantListPartition: 'TENANT',
      tenantListOrder: `${now}#${tenantId}`,
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
        // A tenant (re)locked by anything but a tombstone-keeping offboarding is kept for good.
        UpdateExpression:
          'SET #lock = :lock, #status = :status, #version = #version + :one, #updatedAt = :now REMOVE #tombstoneExpiresAt',
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: {
          '#lock': 'lock',
          '#status': 'status',
          '#version': 'version',
          '#updatedAt': 'updatedAt',
          '#tombstoneExpiresAt': 'tombstoneExpiresAt',
        },
        ExpressionAttributeValues: { ':lock': lock, ':status': 'OFFBOARDING', ':expected': 5, ':one': 1, ':now': now },
      },
    ]);
  });

  it('keeps the record a tombstone, with a fresh expiry, when given one on update', async () => {
    ddb.on(UpdateCommand).resolves({});

    await registry.acquireLock(tenantId, 2, lock, { status: 'OFFBOARDING', tombstoneExpiresAt: nowSeconds + 600 });

    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.UpdateExpression).toBe(
      'SET #lock = :lock, #status = :status, #version = #version + :one, #updatedAt = :now, #tombstoneExpiresAt = :tombstoneExpiresAt',
    );
    expect(input?.ExpressionAttributeValues).toMatchObject({ ':tombstoneExpiresAt': nowSeconds + 600 });
  });

  it('sets tier and tenant name on update when given', async () => {
    ddb.on(UpdateCommand).resolves({});

    await registry.acquireLock(tenantId, 5, lock, { status: 'ONBOARDING', tier: 'premium', tenantName: 'acme' });

    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.UpdateExpression).toBe(
      'SET #lock = :lock, #status = :status, #version = #version + :one, #updatedAt = :now, #tier = :tier, #tenantName = :tenantName REMOVE #tombstoneExpiresAt',
    );
    expect(input?.ExpressionAttributeNames).toMatchObject({ '#tier': 'tier', '#tenantName': 'tenantName' });
    expect(input?.ExpressionAttributeValues).toMatchObject({ ':tier': 'premium', ':tenantName': 'acme' });
  });

  it('reports a lost race on create as false (a live record or tombstone appeared meanwhile)', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());

    await expect(registry.acquireLock(tenantId, undefined, lock, { status: 'ONBOARDING' })).resolves.toBe(false);
  });

  it('reports a lost race on update as false (the version moved on)', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(registry.acquireLock(tenantId, 3, lock, { status: 'ONBOARDING' })).resolves.toBe(false);
  });

  it('turns throttling into TransientAwsError', async () => {
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(registry.acquireLock(tenantId, 3, lock, { status: 'ONBOARDING' })).rejects.toBeInstanceOf(
      TransientAwsError,
    );
  });

  it('lets other errors through untouched', async () => {
    const error = validation();
    ddb.on(PutCommand).rejects(error);

    await expect(registry.acquireLock(tenantId, undefined, lock, { status: 'ONBOARDING' })).rejects.toBe(error);
  });
});

describe('claimCaseFold', () => {
  const claim = {
    TableName: 'registry-table',
    Item: { pk: 'TENANTID#acme', sk: 'CASEFOLD', tenantId: 'Acme', claimedAt: now },
    ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
    ExpressionAttributeValues: { ':tenantId': 'Acme' },
  };

  it('claims the lower-cased id for this tenant, again and again for the same id', async () => {
    ddb.on(PutCommand).resolves({});

    await registry.claimCaseFold('Acme', now);

    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([claim]);
  });

  it('refuses a case-twin of a tenant already claimed with TenantIdConflict', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());

    const refusal = registry.claimCaseFold('Acme', now);

    await expect(refusal).rejects.toBeInstanceOf(TenantIdConflictError);
    await expect(refusal).rejects.toMatchObject({
      name: 'TenantIdConflict',
      message: expect.stringContaining('differs only in letter case'),
    });
  });

  it('turns throttling into TransientAwsError, not a conflict', async () => {
    ddb.on(PutCommand).rejects(throttled());

    await expect(registry.claimCaseFold('Acme', now)).rejects.toBeInstanceOf(TransientAwsError);
  });
});

describe('recordFailure', () => {
  const failure = {
    executionArn,
    failedStep: 'CreateTenantStacks',
    errorName: 'StackCreationFailed',
    failureReason: 'bucket exists',
    at: now,
  };

  it('notes the failure while the failed execution holds the lock', async () => {
    ddb.on(UpdateCommand).resolves({});

    await expect(registry.recordFailure(tenantId, failure)).resolves.toBe(true);
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'registry-table',
        Key: key,
        UpdateExpression: 'SET #lastFailure = :failure, #updatedAt = :now',
        ConditionExpression: '#lock.#executionArn = :executionArn',
        ExpressionAttributeNames: {
          '#lastFailure': 'lastFailure',
          '#updatedAt': 'updatedAt',
          '#lock': 'lock',
          '#executionArn': 'executionArn',
        },
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
