/**
 * The registry's conditions evaluated by a DynamoDB implementation (dynalite, in process), not
 * only compared as strings: which fence a write accepts, when a completion retry is a no-op,
 * when a reply is still the answer, when a tombstone may be replaced, and the case-fold claim.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recreateTables, startDynamoDb, type LocalDynamoDb } from '../../../../../local/dynamodb.ts';
import { SupersededError, TenantIdConflictError } from '../../../../../functions/shared/step/errors.ts';
import { createRegistry, type OperationLock } from '../../../../../functions/shared/registry/tenants.ts';

const tables = { registry: 'registry-conditions', idempotency: 'idempotency-conditions' };
const registry = createRegistry(tables.registry);
const tenantId = 't-1';
const now = '2026-11-20T10:00:00.000Z';
const nowSeconds = 1_795_168_800;
const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:e1';
const otherExecutionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-offboarding:e2';

let dynamoDb: LocalDynamoDb;

beforeAll(async () => {
  dynamoDb = await startDynamoDb();
  // Read by the SDK when the registry's client is first created, which happens after this.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDb.endpoint;
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  await dynamoDb.close();
});

beforeEach(async () => {
  await recreateTables(dynamoDb.endpoint, tables);
});

function lockOf(execution: string, attempt?: number): OperationLock {
  return {
    operation: 'onboarding',
    registrationId: 'r-1',
    executionArn: execution,
    acquiredAt: now,
    ...(attempt !== undefined ? { attempt } : {}),
  };
}

async function lockedTenant(lock: OperationLock): Promise<void> {
  await expect(registry.acquireLock(tenantId, undefined, lock, { status: 'ONBOARDING' })).resolves.toBe(true);
}

describe('the fence', () => {
  it('refuses a lower redrive attempt of the holder and accepts the same or a later one, raising the lock to it', async () => {
    await lockedTenant(lockOf(executionArn, 1));

    await expect(registry.holdLock(tenantId, { executionArn, attempt: 0 }, now)).rejects.toBeInstanceOf(
      SupersededError,
    );
    await expect(registry.holdLock(tenantId, { executionArn, attempt: 1 }, now)).resolves.toMatchObject({
      lock: { attempt: 1 },
    });
    await expect(registry.holdLock(tenantId, { executionArn, attempt: 2 }, now)).resolves.toMatchObject({
      lock: { attempt: 2 },
      version: 3,
    });
    // Attempt 1 is now behind the lock: refused too.
    await expect(registry.holdLock(tenantId, { executionArn, attempt: 1 }, now)).rejects.toBeInstanceOf(
      SupersededError,
    );
  });

  it('refuses another execution, and accepts the holder of a lock of the previous release (no attempt)', async () => {
    await lockedTenant(lockOf(executionArn));

    await expect(
      registry.holdLock(tenantId, { executionArn: otherExecutionArn, attempt: 5 }, now),
    ).rejects.toBeInstanceOf(SupersededError);
    await expect(registry.holdLock(tenantId, { executionArn, attempt: 0 }, now)).resolves.toMatchObject({
      lock: { executionArn, attempt: 0 },
    });
  });

  it('refuses a write to a tenant with no record', async () => {
    await expect(registry.holdLock(tenantId, { executionArn, attempt: 0 }, now)).rejects.toBeInstanceOf(
      SupersededError,
    );
  });
});

describe('completeOperation and confirmReply', () => {
  const fence = { executionArn, attempt: 0 };
  const completed = { operation: 'onboarding', registrationId: 'r-1', endStatus: 'ACTIVE' } as const;

  it('completes once; a retry by the completer is a no-op and its reply is confirmed', async () => {
    await lockedTenant(lockOf(executionArn, 0));

    await registry.completeOperation(
      tenantId,
      { operation: 'onboarding', registrationId: 'r-1', fence },
      { status: 'ACTIVE' },
      now,
    );
    await expect(
      registry.completeOperation(
        tenantId,
        { operation: 'onboarding', registrationId: 'r-1', fence },
        { status: 'ACTIVE' },
        now,
      ),
    ).resolves.toBeUndefined();

    await expect(registry.confirmReply(tenantId, completed, fence, now)).resolves.toBeUndefined();
    await expect(registry.getTenant(tenantId)).resolves.toMatchObject({
      status: 'ACTIVE',
      lastCompletion: { key: 'onboarding#r-1', executionArn },
    });
  });

  it('after a newer operation took the tenant or completed, the retry is Superseded and the old reply is no longer the answer', async () => {
    await lockedTenant(lockOf(executionArn, 0));
    await registry.completeOperation(
      tenantId,
      { operation: 'onboarding', registrationId: 'r-1', fence },
      { status: 'ACTIVE' },
      now,
    );
    const onboarded = await registry.getTenant(tenantId);
    const offboarding: OperationLock = {
      operation: 'offboarding',
      registrationId: 'r-2',
      executionArn: otherExecutionArn,
      acquiredAt: now,
      attempt: 0,
    };
    await expect(
      registry.acquireLock(tenantId, onboarded?.version, offboarding, { status: 'OFFBOARDING' }),
    ).resolves.toBe(true);

    // Locked by the offboarding: the onboarding's reply must not be sent.
    await expect(registry.confirmReply(tenantId, completed, fence, now)).rejects.toBeInstanceOf(SupersededError);

    const otherFence = { executionArn: otherExecutionArn, attempt: 0 };
    await registry.completeOperation(
      tenantId,
      { operation: 'offboarding', registrationId: 'r-2', fence: otherFence },
      { status: 'DELETED' },
      now,
    );

    // Completed by the offboarding: neither the onboarding's completion nor its reply stands.
    await expect(
      registry.completeOperation(
        tenantId,
        { operation: 'onboarding', registrationId: 'r-1', fence },
        { status: 'ACTIVE' },
        now,
      ),
    ).rejects.toBeInstanceOf(SupersededError);
    await expect(registry.confirmReply(tenantId, completed, fence, now)).rejects.toBeInstanceOf(SupersededError);
    await expect(
      registry.confirmReply(
        tenantId,
        { operation: 'offboarding', registrationId: 'r-2', endStatus: 'DELETED' },
        otherFence,
        now,
      ),
    ).resolves.toBeUndefined();
  });
});

describe('tombstones', () => {
  const offboarding: OperationLock = {
    operation: 'offboarding',
    registrationId: 'r-0',
    executionArn: otherExecutionArn,
    acquiredAt: now,
    attempt: 0,
  };

  it('lets a create replace a tombstone whose time is up, and not one still standing', async () => {
    const standing = { status: 'OFFBOARDING', tombstoneExpiresAt: nowSeconds + 60 } as const;
    await expect(registry.acquireLock(tenantId, undefined, offboarding, standing)).resolves.toBe(true);
    await expect(
      registry.acquireLock(tenantId, undefined, lockOf(executionArn, 0), { status: 'ONBOARDING' }),
    ).resolves.toBe(false);

    await recreateTables(dynamoDb.endpoint, tables);
    const expired = { status: 'OFFBOARDING', tombstoneExpiresAt: nowSeconds } as const;
    await expect(registry.acquireLock(tenantId, undefined, offboarding, expired)).resolves.toBe(true);
    await expect(
      registry.acquireLock(tenantId, undefined, lockOf(executionArn, 0), { status: 'ONBOARDING' }),
    ).resolves.toBe(true);
    await expect(registry.getTenant(tenantId)).resolves.not.toHaveProperty('tombstoneExpiresAt');
  });

  it('an onboarding that takes a tombstone over removes its expiry: the tenant is kept for good', async () => {
    await registry.acquireLock(tenantId, undefined, offboarding, {
      status: 'OFFBOARDING',
      tombstoneExpiresAt: nowSeconds + 60,
    });
    const tombstone = await registry.getTenant(tenantId, new Date(now));
    expect(tombstone).toMatchObject({ tombstoneExpiresAt: nowSeconds + 60 });

    await expect(
      registry.acquireLock(tenantId, tombstone?.version, lockOf(executionArn, 0), { status: 'ONBOARDING' }),
    ).resolves.toBe(true);

    await expect(registry.getTenant(tenantId, new Date((nowSeconds + 3600) * 1000))).resolves.toMatchObject({
      status: 'ONBOARDING',
    });
  });
});

describe('claimCaseFold', () => {
  it('is idempotent for the same id and refuses a case-twin with TenantIdConflict', async () => {
    await registry.claimCaseFold('Acme', now);
    await expect(registry.claimCaseFold('Acme', now)).resolves.toBeUndefined();

    await expect(registry.claimCaseFold('acme', now)).rejects.toBeInstanceOf(TenantIdConflictError);
    await expect(registry.claimCaseFold('ACME', now)).rejects.toBeInstanceOf(TenantIdConflictError);
    await expect(registry.claimCaseFold('acme-2', now)).resolves.toBeUndefined();
  });
});
