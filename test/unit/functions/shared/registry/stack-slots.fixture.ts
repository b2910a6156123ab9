/** Slot items and the exact DynamoDB inputs of the stack-slot adapter, shared by its tests and the converge-stacks ones. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

export const tableName = 'tenant-registry'; // TENANT_REGISTRY_TABLE in test/setup-env.ts
export const partition = 'ADMISSION#stack-operations';
export const now = new Date('2026-11-20T10:00:00.000Z');
export const nowSeconds = Math.floor(now.getTime() / 1000);
/** STACK_TIMEOUT_SECONDS (3600 in test/setup-env.ts) + 600. */
export const leaseSeconds = 4200;

const sortKey = (slot: number) => `SLOT#${String(slot).padStart(4, '0')}`;

/** A slot item as the adapter's Query projects it. */
export function slotItem(slot: number, holder: string, expiresAt = nowSeconds + 1000) {
  return { sk: sortKey(slot), holder, expiresAt };
}

/** The Query reading every slot (no tenant) or the tenant's own (release). */
export function slotsQuery(tenantId?: string, startKey?: Record<string, unknown>) {
  return {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ...(tenantId !== undefined ? { FilterExpression: '#holder = :tenantId' } : {}),
    ProjectionExpression: 'sk, #holder, #expiresAt',
    ExpressionAttributeNames: { '#holder': 'holder', '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: {
      ':pk': partition,
      ':prefix': 'SLOT#',
      ...(tenantId !== undefined ? { ':tenantId': tenantId } : {}),
    },
    ConsistentRead: true,
    ExclusiveStartKey: startKey,
  };
}

/** The conditional Put taking a free or expired slot. */
export function slotPut(slot: number, tenantId: string, executionArn: string, at: Date = now) {
  const seconds = Math.floor(at.getTime() / 1000);
  return {
    TableName: tableName,
    Item: {
      pk: partition,
      sk: sortKey(slot),
      holder: tenantId,
      executionArn,
      acquiredAt: at.toISOString(),
      expiresAt: seconds + leaseSeconds,
    },
    ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt < :now',
    ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: { ':now': seconds },
  };
}

/** The Update renewing the lease of a slot the tenant holds. */
export function slotRenewal(slot: number, tenantId: string, executionArn: string, at: Date = now) {
  return {
    TableName: tableName,
    Key: { pk: partition, sk: sortKey(slot) },
    UpdateExpression: 'SET #executionArn = :executionArn, #expiresAt = :expiresAt',
    ConditionExpression: '#holder = :tenantId',
    ExpressionAttributeNames: { '#holder': 'holder', '#executionArn': 'executionArn', '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: {
      ':executionArn': executionArn,
      ':expiresAt': Math.floor(at.getTime() / 1000) + leaseSeconds,
      ':tenantId': tenantId,
    },
  };
}

/** The Delete freeing a slot only while the tenant holds it. */
export function slotDelete(slot: number, tenantId: string) {
  return {
    TableName: tableName,
    Key: { pk: partition, sk: sortKey(slot) },
    ConditionExpression: '#holder = :tenantId',
    ExpressionAttributeNames: { '#holder': 'holder' },
    ExpressionAttributeValues: { ':tenantId': tenantId },
  };
}

export function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

export function throttled(): Error {
  return Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}
