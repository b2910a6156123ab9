/**
 * DynamoDB for the local runtime and the workflow tests: dynalite (the DynamoDB API served by
 * Node) on a free loopback port. The real adapters and Powertools idempotency talk to it through
 * the SDK, via AWS_ENDPOINT_URL_DYNAMODB.
 */
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  type CreateTableInput,
  DeleteTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { tableDefinitions } from '../functions/shared/registry/tables.ts';

export interface LocalDynamoDb {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1 (in memory, or persisted under `path`). */
export async function startDynamoDb(options: { path?: string } = {}): Promise<LocalDynamoDb> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Creates the registry and idempotency tables if they do not exist. */
export async function createTables(endpoint: string, names: { registry: string; idempotency: string }): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { tenantList } = tableDefinitions.registry;
  const specs: [string, { partitionKey: string; sortKey?: string }, CreateTableInput['GlobalSecondaryIndexes']][] = [
    [
      names.registry,
      tableDefinitions.registry,
      // The registry's tenant list, as infra/constructs/orchestrator-tables.ts creates it. dynalite keeps it
      // sparse, returns only the projected attributes and refuses ConsistentRead on it, as DynamoDB does:
      // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Reading
      // (test/unit/functions/shared/registry/tenant-pages.test.ts checks all three).
      [
        {
          IndexName: tenantList.indexName,
          KeySchema: [
            { AttributeName: tenantList.partitionKey, KeyType: 'HASH' },
            { AttributeName: tenantList.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...tenantList.projectedAttributes] },
        },
      ],
    ],
    [names.idempotency, tableDefinitions.idempotency, undefined],
  ];
  try {
    for (const [TableName, keys, indexes] of specs) {
      const keySchema = [{ AttributeName: keys.partitionKey, KeyType: 'HASH' as const }];
      const attributes = [{ AttributeName: keys.partitionKey, AttributeType: 'S' as const }];
      if (keys.sortKey) {
        keySchema.push({ AttributeName: keys.sortKey, KeyType: 'RANGE' as never });
        attributes.push({ AttributeName: keys.sortKey, AttributeType: 'S' });
      }
      for (const index of indexes ?? [])
        for (const { AttributeName } of index.KeySchema ?? [])
          if (AttributeName !== undefined) attributes.push({ AttributeName, AttributeType: 'S' });
      try {
        await client.send(
          new CreateTableCommand({
            TableName,
            KeySchema: keySchema,
            AttributeDefinitions: attributes,
            BillingMode: 'PAY_PER_REQUEST',
            ...(indexes !== undefined ? { GlobalSecondaryIndexes: indexes } : {}),
          }),
        );
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
    }
  } finally {
    client.destroy();
  }
}

/** Drops and recreates the tables: a clean registry for the next test or `reset`. */
export async function recreateTables(
  endpoint: string,
  names: { registry: string; idempotency: string },
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    for (const TableName of [names.registry, names.idempotency]) {
      try {
        await client.send(new DeleteTableCommand({ TableName }));
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    }
  } finally {
    client.destroy();
  }
  await createTables(endpoint, names);
}
