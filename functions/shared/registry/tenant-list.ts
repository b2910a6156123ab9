/**
 * Putting every tenant record on the registry's tenant list (tenant-pages.ts), once, after an
 * upgrade from a release that wrote tenant records without the list's keys: those records are in
 * no index until something writes the keys, and a rollout pages the list only, so it would not
 * see them at all. The keys are written when a record is created (tenants.ts `acquireLock`); an
 * update cannot write them, because the order starts with the record's creation time, which an
 * update expression cannot read. So the backfill is the one way an earlier record gets listed.
 *
 * The backfill Scans the table for tenant records without the keys, writes the keys on each (a
 * conditional write that touches nothing else: no version, no lock, so no operation in flight is
 * disturbed), then writes the item that says the list is complete ({@link tenantListReadyKey}).
 * The rollout's plan step refuses to plan without that item, so a rollout never silently leaves
 * out tenants the list does not hold. Running it again is harmless: it lists what is still unlisted.
 */
import { type DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient } from '../aws/clients/dynamodb.ts';
import { isConditionFailure, rethrowAwsError } from '../aws/errors.ts';
import { tenantListKeys, tenantListReadyKey } from './keys.ts';
import { tableDefinitions } from './tables.ts';

const { tenantList } = tableDefinitions.registry;

type Documents = Pick<DynamoDBDocumentClient, 'send'>;

/** What a backfill did. */
export interface TenantListBackfill {
  /** Tenant records the backfill put on the list (0 when every record already was). */
  readonly listed: number;
  /** When the list was first marked complete; absent when the backfill stopped at its deadline first. */
  readonly readyAt?: string;
}

/**
 * Lists every tenant record an earlier release wrote, then marks the list complete.
 * SDK errors propagate, translated as the adapters translate them (TransientAwsError).
 */
export async function backfillTenantList(
  tableName: string,
  now: Date,
  db: Documents = dynamoDbDocumentClient(),
  /** Epoch ms after which no new page is read: the backfill stops, unfinished and unmarked (run it again). */
  deadline = Number.POSITIVE_INFINITY,
): Promise<TenantListBackfill> {
  let listed = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  try {
    do {
      if (Date.now() >= deadline) return { listed };
      const page = await db.send(
        new ScanCommand({
          TableName: tableName,
          ConsistentRead: true,
          FilterExpression: 'sk = :tenant AND attribute_not_exists(#partition)',
          ProjectionExpression: 'pk, sk, tenantId, createdAt',
          ExpressionAttributeNames: { '#partition': tenantList.partitionKey },
          ExpressionAttributeValues: { ':tenant': 'TENANT' },
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.tenantId !== 'string' || typeof item.createdAt !== 'string') continue;
        if (await listRecord(db, tableName, { pk: item.pk, sk: item.sk }, item.tenantId, item.createdAt)) listed += 1;
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey !== undefined);
    const readyAt = now.toISOString();
    const { Attributes } = await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: tenantListReadyKey,
        UpdateExpression: 'SET #readyAt = if_not_exists(#readyAt, :now), #backfilledAt = :now',
        ExpressionAttributeNames: { '#readyAt': 'readyAt', '#backfilledAt': 'backfilledAt' },
        ExpressionAttributeValues: { ':now': readyAt },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { listed, readyAt: String(Attributes?.readyAt ?? readyAt) };
  } catch (error) {
    return rethrowAwsError(error, 'backfill tenant list');
  }
}

/** Writes the list's keys on one record, unless it has them already (or is gone). True when written. */
async function listRecord(
  db: Documents,
  tableName: string,
  key: { pk: unknown; sk: unknown },
  tenantId: string,
  createdAt: string,
): Promise<boolean> {
  const keys = tenantListKeys(tenantId, createdAt);
  try {
    await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET #partition = :partition, #order = :order',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#partition) AND #createdAt = :createdAt',
        ExpressionAttributeNames: {
          '#partition': tenantList.partitionKey,
          '#order': tenantList.sortKey,
          '#createdAt': 'createdAt',
        },
        ExpressionAttributeValues: {
          ':partition': keys.tenantListPartition,
          ':order': keys.tenantListOrder,
          ':createdAt': createdAt,
        },
      }),
    );
    return true;
  } catch (error) {
    // Listed meanwhile (or replaced by a new record, which has the keys): nothing to do.
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** True once a backfill marked the tenant list complete. A consistent read of one item. */
export async function isTenantListReady(tableName: string, db: Documents = dynamoDbDocumentClient()): Promise<boolean> {
  try {
    const { Item } = await db.send(
      new GetCommand({ TableName: tableName, Key: tenantListReadyKey, ConsistentRead: true }),
    );
    return Item !== undefined;
  } catch (error) {
    return rethrowAwsError(error, 'GetItem tenant list ready');
  }
}
