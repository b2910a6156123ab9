import { paginateQuery, paginateScan, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient } from '../aws/clients/dynamodb.ts';

/** Every item a Query returns, page by page (the SDK's paginator follows LastEvaluatedKey). SDK errors propagate. */
export async function queryAllItems(
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateQuery({ client: dynamoDbDocumentClient() }, { ...input })) {
    items.push(...(page.Items ?? []));
  }
  return items;
}

/** Every item of a table, read consistently, page by page. SDK errors propagate. */
export async function scanAllItems(tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan(
    { client: dynamoDbDocumentClient() },
    { TableName: tableName, ConsistentRead: true },
  )) {
    items.push(...(page.Items ?? []));
  }
  return items;
}
