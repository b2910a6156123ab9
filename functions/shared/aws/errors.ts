import { TransientAwsError } from '../step/errors.ts';

// LimitExceededException is deliberately absent: CloudFormation uses it for its stack-count
// quota, which no retry fixes (the CloudFormation adapter maps it to StackRequestRejected).
const throttlingNames = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorThrottling',
  'TransactionInProgressException',
]);

/**
 * Failures of the connection rather than of the request: the SDK's own retries gave up, but the
 * call may well succeed later (a busy network, a socket reset, a request that timed out).
 */
const networkErrorNames = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);
const networkErrorCodes = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND']);

interface SdkLikeError {
  code?: string;
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/** True when an SDK error is throttling, a server-side fault or a network failure: worth retrying later. */
export function isTransientAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as SdkLikeError;
  if (e.name && (throttlingNames.has(e.name) || networkErrorNames.has(e.name))) return true;
  if (e.code && networkErrorCodes.has(e.code)) return true;
  if (e.$fault === 'server') return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/**
 * Adapters call this in their catch blocks after handling the errors they know:
 * throttling, 5xx and network failures become {@link TransientAwsError} (retried by the workflow);
 * anything else propagates untouched.
 */
export function rethrowAwsError(error: unknown, operation: string): never {
  if (isTransientAwsError(error)) {
    const e = error as SdkLikeError;
    throw new TransientAwsError(`${operation} failed transiently: ${e.name ?? 'Error'}: ${e.message ?? ''}`.trim(), {
      cause: error,
    });
  }
  throw error;
}

/** The SDK error's name, for adapters that branch on specific exceptions. */
export function awsErrorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as SdkLikeError).name : undefined;
}

/** True for DynamoDB's ConditionalCheckFailedException: a conditional write found the item changed. */
export function isConditionFailure(error: unknown): boolean {
  return awsErrorName(error) === 'ConditionalCheckFailedException';
}

/** The SDK error's message ('' when there is none). */
export function awsErrorMessage(error: unknown): string {
  return typeof error === 'object' && error !== null ? ((error as SdkLikeError).message ?? '') : '';
}
