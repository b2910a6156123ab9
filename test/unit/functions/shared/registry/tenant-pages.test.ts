/**
 * The tenant list read by a DynamoDB implementation (dynalite, in process, with the table as the
 * local runtime creates it): the Query pages only tenant records, oldest first, resumes from its
 * cursor, never reads consistently (an index refuses it); records of an earlier release, written
 * without the list's keys, are missing until the backfill lists them and marks the list complete.
 */
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recreateTables, startDynamoDb, type LocalDynamoDb } from '../../../../../local/dynamodb.ts';
import { dynamoDbDocumentClient } from '../../../../../functions/shared/aws/clients/dynamodb.ts';
import { tenantListReadyKey } from '../../../../../functions/shared/registry/keys.ts';
import { tableDefinitions } from '../../../../../functions/shared/registry/tables.ts';
import { backfillTenantList, isTenantListReady } from '../../../../../functions/shared/registry/tenant-list.ts';
import {
  cursorAfterTenant,
  readTenantPage,
  type RegistryCursor,
} from '../../../../../functions/shared/registry/tenant-pages.ts';
import { createRegistry, type OperationLock } from '../../../../../functions/shared/registry/tenants.ts';

const tables = { registry: 'registry-pages', idempotency: 'idempotency-pages' };
const registry = createRegistry(tables.registry);

let dynamoDb: LocalDynamoDb;

beforeAll(async () => {
  dynamoDb = await startDynamoDb();
  // Read by the SDK when the adapters' client is first created, which happens after this.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDb.endpoint;
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  await dynamoDb.close();
});

beforeEach(async () => {
  await recreateTables(dynamoDb.endpoint, tables);
});

const at = (minute: number) => `2026-12-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

/** Creates a tenant record as an operation does (the lock's time is the creation time). */
async function createTenant(tenantId: string, minute: number): Promise<void> {
  const lock: OperationLock = {
    operation: 'onboarding',
    registrationId: `r-${tenantId}`,
    executionArn: `arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:${tenantId}`,
    acquiredAt: at(minute),
  };
  await expect(registry.acquireLock(tenantId, undefined, lock, { status: 'ONBOARDING' })).resolves.toBe(true);
}

/** Every id the list holds, read `limit` records a page, and the cursors it resumed from. */
async function readAll(limit: number): Promise<{ ids: string[]; cursors: RegistryCursor[] }> {
  const ids: string[] = [];
  const cursors: RegistryCursor[] = [];
  let cursor: RegistryCursor | undefined;
  for (let page = 0; page < 50; page += 1) {
    const read = await readTenantPage(tables.registry, cursor, limit);
    ids.push(...read.records.map((record) => record.tenantId));
    if (read.nextCursor === undefined) return { ids, cursors };
    cursor = read.nextCursor;
    cursors.push(cursor);
  }
  throw new Error('the list never ended');
}

describe('readTenantPage', () => {
  it('pages the tenant records only, oldest first then by id, across pages, from a small cursor', async () => {
    await createTenant('b', 2);
    await createTenant('a', 2);
    await createTenant('c', 1);
    await createTenant('Z', 3);
    // Items of the registry that are not tenant records: a route priority and a case-fold claim.
    await dynamoDbDocumentClient().send(
      new PutCommand({ TableName: tables.registry, Item: { pk: 'LISTENER#l-1', sk: 'PRIORITY#7', tenantId: 'a' } }),
    );

    const { ids, cursors } = await readAll(2);

    expect(ids).toEqual(['c', 'a', 'b', 'Z']);
    expect(cursors[0]).toEqual({
      pk: 'TENANT#a',
      sk: 'TENANT',
      tenantListPartition: 'TENANT',
      tenantListOrder: `${at(2)}#a`,
    });
    for (const cursor of cursors) expect(JSON.stringify(cursor).length).toBeLessThan(200);
  });

  it('returns what a rollout selects by, without the table and list keys', async () => {
    await createTenant('a', 1);

    const { records } = await readTenantPage(tables.registry, undefined);

    expect(records).toEqual([{ tenantId: 'a', status: 'ONBOARDING', createdAt: at(1) }]);
  });

  it('resumes right after a tenant taken from within a page', async () => {
    for (const [index, id] of ['a', 'b', 'c', 'd'].entries()) await createTenant(id, index);

    const page = await readTenantPage(tables.registry, cursorAfterTenant({ tenantId: 'b', createdAt: at(1) }));

    expect(page.records.map((record) => record.tenantId)).toEqual(['c', 'd']);
  });

  it('reads the index eventually consistently: DynamoDB refuses a consistent read of it', async () => {
    const { tenantList } = tableDefinitions.registry;
    await expect(
      dynamoDbDocumentClient().send(
        new QueryCommand({
          TableName: tables.registry,
          IndexName: tenantList.indexName,
          ConsistentRead: true,
          KeyConditionExpression: '#partition = :partition',
          ExpressionAttributeNames: { '#partition': tenantList.partitionKey },
          ExpressionAttributeValues: { ':partition': 'TENANT' },
        }),
      ),
    ).rejects.toThrow(/Consistent reads are not supported on global secondary indexes/);
  });
});

describe('backfillTenantList', () => {
  /** A tenant record as the release before the tenant list wrote it. */
  const earlierRecord = (tenantId: string, minute: number) => ({
    pk: `TENANT#${tenantId}`,
    sk: 'TENANT',
    tenantId,
    status: 'ACTIVE',
    completed: {},
    version: 3,
    createdAt: at(minute),
    updatedAt: at(minute),
  });

  it('lists the records an earlier release wrote, touching nothing else, then marks the list complete', async () => {
    for (const item of [earlierRecord('old-2', 2), earlierRecord('old-1', 1)])
      await dynamoDbDocumentClient().send(new PutCommand({ TableName: tables.registry, Item: item }));
    await createTenant('new', 3);
    await expect(isTenantListReady(tables.registry)).resolves.toBe(false);
    expect((await readAll(10)).ids).toEqual(['new']);

    const backfill = await backfillTenantList(tables.registry, new Date(at(9)));

    expect(backfill).toEqual({ listed: 2, readyAt: at(9) });
    expect((await readAll(10)).ids).toEqual(['old-1', 'old-2', 'new']);
    await expect(isTenantListReady(tables.registry)).resolves.toBe(true);
    // The lock's version is not raised: an operation in flight on the record is not disturbed.
    expect(await registry.getTenant('old-1')).toEqual({
      tenantId: 'old-1',
      status: 'ACTIVE',
      completed: {},
      version: 3,
      createdAt: at(1),
      updatedAt: at(1),
    });
  });

  it('lists nothing twice and keeps the first time the list was complete', async () => {
    await dynamoDbDocumentClient().send(new PutCommand({ TableName: tables.registry, Item: earlierRecord('old', 1) }));
    await backfillTenantList(tables.registry, new Date(at(5)));

    await expect(backfillTenantList(tables.registry, new Date(at(6)))).resolves.toEqual({ listed: 0, readyAt: at(5) });
    expect((await readAll(10)).ids).toEqual(['old']);
  });

  it('marks an empty registry complete, with an item that is no tenant record', async () => {
    await expect(backfillTenantList(tables.registry, new Date(at(0)))).resolves.toEqual({
      listed: 0,
      readyAt: at(0),
    });
    expect(tenantListReadyKey.sk).not.toBe('TENANT');
    expect((await readAll(10)).ids).toEqual([]);
  });
});
