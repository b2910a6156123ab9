/**
 * Powertools idempotency for steps whose side effect cannot be repeated safely (events sent
 * to the control plane). Records live in their own table with a TTL.
 */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { dynamoDbClient } from './aws-clients.ts';

/** Idempotency store and config keyed on one JMESPath of the event. */
export function idempotencyOptions(tableName: string, eventKeyJmesPath: string) {
  return {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: dynamoDbClient() }),
    config: new IdempotencyConfig({
      eventKeyJmesPath,
      throwOnNoIdempotencyKey: true,
      // Replies are deduplicated for a week: far longer than EventBridge redelivery or a redrive window.
      expiresAfterSeconds: 7 * 24 * 60 * 60,
    }),
  };
}
