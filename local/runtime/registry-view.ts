/**
 * Reading the tenant registry table as stored: every item (tenants, route priorities,
 * stack-operation slots) or the tenant records only, consistently and across pages.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { compareTenantListOrder, withoutKeys } from '../../functions/shared/registry/keys.ts';
import type { TenantRecord } from '../../functions/shared/registry/tenants.ts';

/** Every item of `tableName` (matching `filter` when given), read consistently across pages. */
export async function scanItems(
  documents: DynamoDBDocumentClient,
  tableName: string,
  filter?: { readonly expression: string; readonly values: Record<string, unknown> },
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ExclusiveStartKey,
        ...(filter !== undefined
          ? { FilterExpression: filter.expression, ExpressionAttributeValues: filter.values }
          : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
  return items;
}

/** The tenant records, in the tenant list's order (oldest first), without their keys. */
export async function scanTenants(documents: DynamoDBDocumentClient, tableName: string): Promise<TenantRecord[]> {
  const items = await scanItems(documents, tableName, {
    expression: 'sk = :tenant',
    values: { ':tenant': 'TENANT' },
  });
  return items.map((item) => withoutKeys(item) as unknown as TenantRecord).sort(compareTenantListOrder);
}
