import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sdkClientConfig } from './config.ts';

let client: DynamoDBClient | undefined;
let documentClient: DynamoDBDocumentClient | undefined;

/** The process's DynamoDB client (Powertools idempotency uses it too). */
export function dynamoDbClient(): DynamoDBClient {
  return (client ??= new DynamoDBClient(sdkClientConfig));
}

/** The document client over {@link dynamoDbClient}; undefined attributes are dropped. */
export function dynamoDbDocumentClient(): DynamoDBDocumentClient {
  return (documentClient ??= DynamoDBDocumentClient.from(dynamoDbClient(), {
    marshallOptions: { removeUndefinedValues: true },
  }));
}
