import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { isTransientAwsError, rethrowAwsError } from '../../../../../functions/shared/aws/errors.ts';
import { TransientAwsError } from '../../../../../functions/shared/step/errors.ts';

describe('isTransientAwsError', () => {
  it.each([
    ['throttling', new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} })],
    ['a server fault', Object.assign(new Error('Internal error'), { name: 'InternalFailure', $fault: 'server' })],
    [
      'a 503',
      Object.assign(new Error('Service unavailable'), {
        name: 'ServiceUnavailable',
        $metadata: { httpStatusCode: 503 },
      }),
    ],
    [
      'a socket timeout',
      Object.assign(new Error('the request socket did not establish a connection'), { name: 'TimeoutError' }),
    ],
    ['an aborted request', Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' })],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
  ])('retries %s', (_case, error) => {
    expect(isTransientAwsError(error)).toBe(true);
  });

  it.each([
    [
      'a failed condition',
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
    ],
    [
      'a validation error',
      Object.assign(new Error('bad'), {
        name: 'ValidationException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    ],
    ['a plain bug', new TypeError('x is undefined')],
    ['a non-error', 'oops'],
  ])('does not retry %s', (_case, error) => {
    expect(isTransientAwsError(error)).toBe(false);
  });
});

describe('rethrowAwsError', () => {
  it('turns a transient error into TransientAwsError naming the operation, keeping the cause', () => {
    const cause = Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });

    const thrown = (() => {
      try {
        rethrowAwsError(cause, 'GetItem tenant');
      } catch (error) {
        return error;
      }
    })();

    expect(thrown).toBeInstanceOf(TransientAwsError);
    expect((thrown as Error).message).toBe('GetItem tenant failed transiently: AbortError: The operation was aborted.');
    expect((thrown as Error).cause).toBe(cause);
  });

  it('lets anything else through untouched', () => {
    const bug = new TypeError('x is undefined');

    expect(() => rethrowAwsError(bug, 'GetItem tenant')).toThrow(bug);
  });
});
