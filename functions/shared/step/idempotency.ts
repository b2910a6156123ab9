/**
 * Powertools idempotency for steps whose side effect cannot be repeated safely (events sent
 * to the control plane). Records live in their own table with a TTL.
 */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { isTransientAwsError } from '../aws/errors.ts';
import { dynamoDbClient } from '../aws/clients/dynamodb.ts';
import { TransientAwsError } from './errors.ts';

/** Idempotency store and config keyed on one JMESPath of the event. */
export function idempotencyOptions(tableName: string, eventKeyJmesPath: string) {
  return {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: dynamoDbClient() }),
    config: new IdempotencyConfig({
      eventKeyJmesPath,
      throwOnNoIdempotencyKey: true,
      // Replies are deduplicated for a week: far longer than EventBridge redelivery, a redrive window
      // or the failure sweep's lookback (an hour), so a failure already replied to is never replied again.
      expiresAfterSeconds: 7 * 24 * 60 * 60,
    }),
  };
}

/**
 * Powertools wraps a failing idempotency-table call in IdempotencyPersistenceLayerError, a name
 * the workflow treats as terminal: one throttled write of the in-progress record would fail the
 * reply step for good (and the failure reporter would tell the control plane "failed"). When the
 * wrapped SDK error is throttling or a 5xx, the error becomes TransientAwsError, which the
 * workflow retries. Anything else is returned untouched.
 */
export function retryableIdempotencyError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (error.name === 'IdempotencyAlreadyInProgressError') {
    // Another execution is sending the same reply right now (a re-sent request whose operation
    // had completed): retry, and get that send's result instead of sending twice.
    return new TransientAwsError(`The same reply is being sent by another invocation: ${error.message}`, {
      cause: error,
    });
  }
  if (error.name !== 'IdempotencyPersistenceLayerError' || !isTransientAwsError(error.cause)) return error;
  return new TransientAwsError(`${error.message}: ${(error.cause as Error).name}`, { cause: error });
}

/** Wraps an idempotent handler so transient idempotency-table failures are retried by the workflow (see {@link retryableIdempotencyError}). */
export function withRetryableIdempotencyErrors<TEvent, TContext, TResult>(
  handler: (event: TEvent, context: TContext) => Promise<TResult>,
): (event: TEvent, context: TContext) => Promise<TResult> {
  return async (event, context) => {
    try {
      return await handler(event, context);
    } catch (error) {
      throw retryableIdempotencyError(error);
    }
  };
}
