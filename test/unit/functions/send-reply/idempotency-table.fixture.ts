/**
 * An in-memory stand-in for the Powertools idempotency table, on a mocked low-level DynamoDBClient:
 * PutItem honours the "absent or expired" condition and fails with the SDK's own
 * ConditionalCheckFailedException carrying the existing Item (ReturnValuesOnConditionCheckFailure),
 * UpdateItem applies the `SET #name = :value` list, DeleteItem removes the record.
 * See @aws-lambda-powertools/idempotency/lib/esm/persistence/DynamoDBPersistenceLayer.js.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';

type Item = Record<string, AttributeValue>;

function keyOf(key: Item | undefined): string {
  const id = key?.id?.S;
  if (id === undefined) throw new Error('idempotency fake: item without a string "id" key');
  return id;
}

function isExpired(item: Item): boolean {
  const expiry = Number(item.expiration?.N ?? 'Infinity');
  if (expiry < Date.now() / 1000) return true;
  const inProgressExpiry = item.in_progress_expiration?.N;
  return item.status?.S === 'INPROGRESS' && inProgressExpiry !== undefined && Number(inProgressExpiry) < Date.now();
}

/** Installs the fake on a mocked DynamoDBClient and returns its records, keyed by idempotency key. */
export function fakeIdempotencyTable(dynamo: AwsClientStub<DynamoDBClient>): Map<string, Item> {
  const items = new Map<string, Item>();
  dynamo.on(PutItemCommand).callsFake((input: { Item?: Item }) => {
    const id = keyOf(input.Item);
    const existing = items.get(id);
    if (existing !== undefined && !isExpired(existing)) {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: existing,
      });
    }
    items.set(id, { ...input.Item });
    return {};
  });
  dynamo
    .on(UpdateItemCommand)
    .callsFake(
      (input: {
        Key?: Item;
        UpdateExpression?: string;
        ExpressionAttributeNames?: Record<string, string>;
        ExpressionAttributeValues?: Item;
      }) => {
        const id = keyOf(input.Key);
        const item: Item = { ...(items.get(id) ?? input.Key) };
        for (const assignment of (input.UpdateExpression ?? '').replace(/^SET /, '').split(', ')) {
          const [name, value] = assignment.split(' = ');
          const attribute = name ? input.ExpressionAttributeNames?.[name] : undefined;
          const attributeValue = value ? input.ExpressionAttributeValues?.[value] : undefined;
          if (attribute === undefined || attributeValue === undefined)
            throw new Error(`idempotency fake: cannot apply "${assignment}"`);
          item[attribute] = attributeValue;
        }
        items.set(id, item);
        return {};
      },
    );
  dynamo.on(DeleteItemCommand).callsFake((input: { Key?: Item }) => {
    items.delete(keyOf(input.Key));
    return {};
  });
  dynamo.on(GetItemCommand).callsFake((input: { Key?: Item }) => {
    const item = items.get(keyOf(input.Key));
    return item ? { Item: item } : {};
  });
  return items;
}
