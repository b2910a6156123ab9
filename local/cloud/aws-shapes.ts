/**
 * Pieces the simulators share: the fake account and region, response metadata, random ids,
 * opaque page tokens, and the errors AWS reports without an exception class of their own.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CloudFormationServiceException, type DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import { ElasticLoadBalancingV2ServiceException } from '@aws-sdk/client-elastic-load-balancing-v2';

/** The `$metadata` every SDK command output carries. */
export type ResponseMetadata = DescribeStacksCommandOutput['$metadata'];

/** The region every simulated ARN names. */
export const simulatedRegion = 'us-east-1';

/** The account every simulated ARN names. */
export const simulatedAccount = '111122223333';

/** Metadata of a successful response, as the SDK attaches it. */
export function responseMetadata(): ResponseMetadata {
  return { httpStatusCode: 200, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 };
}

/** Metadata of an error response (a 400 unless told). */
export function errorMetadata(httpStatusCode = 400): ResponseMetadata {
  return { httpStatusCode, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 };
}

/** `length` random lowercase hex digits. */
export function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

/** CloudFormation's `ValidationError`, which the SDK models as a plain service exception. */
export function cloudFormationValidationError(message: string): CloudFormationServiceException {
  return new CloudFormationServiceException({
    name: 'ValidationError',
    $fault: 'client',
    message,
    $metadata: errorMetadata(),
  });
}

/** Elastic Load Balancing's `ValidationError` (no class of its own either). */
export function loadBalancingValidationError(message: string): ElasticLoadBalancingV2ServiceException {
  return new ElasticLoadBalancingV2ServiceException({
    name: 'ValidationError',
    $fault: 'client',
    message,
    $metadata: errorMetadata(),
  });
}

/** An opaque page token for a list offset (the APIs treat tokens as opaque strings). */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64url');
}

/** The offset of a page token; undefined when the token is not one of ours. */
export function decodePageToken(token: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const offset = (parsed as { offset?: unknown }).offset;
    return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
}
