/**
 * Reading the tenant records page by page, for fleet operations over any number of tenants: one
 * Query page of the registry's tenant list at a time, resumed from a cursor that names the last
 * record read, so a caller (a workflow step) never holds more than one page.
 *
 * The tenant list is a sparse global secondary index (tables.ts `tenantList`): every tenant record
 * carries its two key attributes (keys.ts `tenantListKeys`) and no other item does, so the index
 * holds the tenant records only and a Query reads no route priority or slot.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-indexes-general-sparse-indexes.html
 *
 * One partition value for the whole list, not sharded values: an index partition takes 1,000 write
 * units a second (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html),
 * and a base-table write that changes neither the index keys nor a projected attribute writes nothing
 * to the index (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes).
 * The index projects only what a rollout's selection reads (status, tier, plan, pin, tier change,
 * creation time), which an operation changes a few times (accept, plan, complete, a tier change's
 * phases), not at every step's fenced write; an entry is under 1 KB (a few KB during a tier change).
 * About a thousand such changes a second is far above the rate at which Step Functions and
 * CloudFormation let the orchestrator run operations. Past it, DynamoDB throttles the base-table write
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/gsi-throttling.html), which the
 * adapters report as TransientAwsError and the workflows retry. One partition also keeps one order:
 * oldest first, as `rollout --dry-run` lists tenants, so the workflow takes them in the same order.
 *
 * An index is read eventually consistently only (ConsistentRead is refused on it,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Reading): a page may
 * miss a change made a moment ago. The rollout relies on it for nothing but which tenants to look
 * at: each tenant's start reads its record again consistently and judges it by the same rule, and
 * the update itself takes the tenant's lock and is fenced like every other operation.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient } from '../aws/clients/dynamodb.ts';
import { rethrowAwsError } from '../aws/errors.ts';
import { tenantKey, tenantListKeys, tenantListPartition, withoutKeys } from './keys.ts';
import { tableDefinitions } from './tables.ts';
import type { TenantRecord } from './tenants.ts';

const { tenantList } = tableDefinitions.registry;

/** Records a Query page returns at most: small enough to handle in one invocation step. */
export const registryPageSize = 100;

/** What the tenant list holds of a tenant record: what a rollout's selection reads. */
export type ListedTenant = Pick<
  TenantRecord,
  'tenantId' | 'status' | 'tier' | 'plan' | 'pinned' | 'tierChange' | 'createdAt'
>;

/**
 * Where a page starts: the keys of the last record read before it, the table's and the index's
 * (a Query on an index resumes from both). About 150 bytes.
 */
export interface RegistryCursor {
  readonly pk: string;
  readonly sk: string;
  readonly tenantListPartition: string;
  readonly tenantListOrder: string;
}

/** The cursor that resumes right after a tenant's record. */
export function cursorAfterTenant(tenant: Pick<ListedTenant, 'tenantId' | 'createdAt'>): RegistryCursor {
  return { ...tenantKey(tenant.tenantId), ...tenantListKeys(tenant.tenantId, tenant.createdAt) };
}

/** A page of tenant records and where the next one starts (absent at the end of the list). */
export interface TenantPage {
  readonly records: ListedTenant[];
  /** The keys of the last record the page read. */
  readonly nextCursor?: RegistryCursor;
}

function cursorOf(key: Record<string, unknown> | undefined): RegistryCursor | undefined {
  if (key === undefined) return undefined;
  const { pk, sk, tenantListPartition: partition, tenantListOrder: order } = key;
  if (typeof pk !== 'string' || typeof sk !== 'string' || typeof partition !== 'string' || typeof order !== 'string')
    return undefined;
  return { pk, sk, tenantListPartition: partition, tenantListOrder: order };
}

/**
 * Reads one page of tenant records after `cursor` (from an earlier page, or the start), oldest
 * first. Eventually consistent (see above).
 *
 * @throws TransientAwsError on throttling and 5xx.
 */
export async function readTenantPage(
  tableName: string,
  cursor: RegistryCursor | undefined,
  limit = registryPageSize,
): Promise<TenantPage> {
  try {
    const output = await dynamoDbDocumentClient().send(
      new QueryCommand({
        TableName: tableName,
        IndexName: tenantList.indexName,
        KeyConditionExpression: '#partition = :partition',
        ExpressionAttributeNames: { '#partition': tenantList.partitionKey },
        ExpressionAttributeValues: { ':partition': tenantListPartition },
        Limit: limit,
        ...(cursor !== undefined
          ? {
              ExclusiveStartKey: {
                pk: cursor.pk,
                sk: cursor.sk,
                [tenantList.partitionKey]: cursor.tenantListPartition,
                [tenantList.sortKey]: cursor.tenantListOrder,
              },
            }
          : {}),
      }),
    );
    const records = (output.Items ?? []).map((item) => withoutKeys(item) as unknown as ListedTenant);
    const nextCursor = cursorOf(output.LastEvaluatedKey);
    return { records, ...(nextCursor !== undefined ? { nextCursor } : {}) };
  } catch (error) {
    return rethrowAwsError(error, 'Query tenant list');
  }
}
