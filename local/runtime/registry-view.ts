/**
 * Reading the tenant registry table as stored: every item (tenants, route priorities,
 * stack-operation slots) or the tenant records only, consistently and across pages.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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

/** The tenant records, oldest first, without their table keys. */
export async function scanTenants(documents: DynamoDBDocumentClient, tableName: string): Promise<TenantRecord[]> {
  const items = (await scanItems(documents, tableName, {
    expression: 'sk = :tenant',
    values: { ':tenant': 'TENANT' },
  })) as unknown as (TenantRecord & { pk?: string; sk?: string })[];
  return items.map(({ pk: _pk, sk: _sk, ...tenant }) => tenant).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}
