/**
 * Pinning a tenant: an operator's mark that a fleet rollout leaves the tenant on the template
 * version it has (issue 11's rollout skips pinned tenants). A flag on the tenant's registry record,
 * not a change to anything the tenant runs, so it takes no lock: a rollout reads it again under the
 * tenant's lock before it updates the tenant. Only a live tenant (a record that is not DELETED) can
 * be pinned or unpinned; the write's condition proves it, without reading first. The command line
 * hands in its own client for a deployed stack (`pin --aws`).
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient } from '../aws/clients/dynamodb.ts';
import { isConditionFailure, rethrowAwsError } from '../aws/errors.ts';
import { tenantKey } from './keys.ts';
import { TenantStatus } from './tenants.ts';

/** What a pin or unpin did. */
export type PinOutcome =
  /** The flag now has the value asked for (it may have had it already). */
  | 'done'
  /** No tenant has this id. */
  | 'unknown-tenant'
  /** The tenant was offboarded. */
  | 'deleted-tenant';

/** Sets or clears the tenant's `pinned` flag. */
export async function setTenantPinned(
  tableName: string,
  tenantId: string,
  pinned: boolean,
  now: Date,
  db: Pick<DynamoDBDocumentClient, 'send'> = dynamoDbDocumentClient(),
): Promise<PinOutcome> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: tenantKey(tenantId),
        UpdateExpression: 'SET #pinned = :pinned, #updatedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND #status <> :deleted',
        ExpressionAttributeNames: { '#pinned': 'pinned', '#updatedAt': 'updatedAt', '#status': 'status' },
        ExpressionAttributeValues: { ':pinned': pinned, ':now': now.toISOString(), ':deleted': TenantStatus.deleted },
      }),
    );
    return 'done';
  } catch (error) {
    if (!isConditionFailure(error)) return rethrowAwsError(error, pinned ? 'pin tenant' : 'unpin tenant');
  }
  // Refused: only now read why, to say it (the write itself decided).
  try {
    const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: tenantKey(tenantId) }));
    return Item === undefined ? 'unknown-tenant' : 'deleted-tenant';
  } catch (error) {
    return rethrowAwsError(error, 'GetItem tenant');
  }
}
