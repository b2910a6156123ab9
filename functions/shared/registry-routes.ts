/**
 * Route priorities in the tenant registry (DynamoDB). A listener rule's priority must be unique
 * per listener, so each taken priority is an item (pk = `LISTENER#<listenerArn>`,
 * sk = `PRIORITY#<nnnnn>`) written with a condition: two tenants can never claim the same one,
 * whatever the timing. The claim and the tenant's `route` attribute are written in one
 * transaction, so a crash between them cannot leak a priority.
 */
import { DeleteCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsErrorName, rethrowAwsError } from './aws-errors.ts';
import { dynamoDbDocumentClient } from './aws-clients.ts';
import { LockLostError, TransientAwsError } from './errors.ts';
import { tenantKey, type TenantRecord } from './registry.ts';

/** Highest priority an ALB listener rule may have. */
export const maxRulePriority = 50_000;

export function priorityKey(listenerArn: string, priority: number): { pk: string; sk: string } {
  return { pk: `LISTENER#${listenerArn}`, sk: `PRIORITY#${String(priority).padStart(5, '0')}` };
}

export type ClaimResult = 'claimed' | 'priority-taken' | 'tenant-has-route';

type PendingRoute = NonNullable<TenantRecord['route']>;

interface CancellationReason {
  Code?: string;
}

function cancellationCodes(error: unknown): string[] {
  const reasons = (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
}

/** Cancellation reasons that say "try again later", not "your condition is false". */
const transientCancellationCodes = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/**
 * A transaction cancelled for a transient reason (a concurrent transaction on the same item,
 * which is exactly what two tenants claiming one priority can cause, or throttling) becomes
 * TransientAwsError; the SDK reports it as a 400 client error, so rethrowAwsError alone would not.
 */
function rethrowCancellation(error: unknown, operation: string): never {
  const codes = cancellationCodes(error);
  if (codes.some((code) => transientCancellationCodes.has(code))) {
    throw new TransientAwsError(`${operation} was cancelled transiently (${codes.join(', ')})`, { cause: error });
  }
  return rethrowAwsError(error, operation);
}

/** Route-priority operations on the registry table. */
export function createRouteRegistry(tableName: string) {
  const db = () => dynamoDbDocumentClient();

  /** Every priority taken on a listener (by tenants, or reserved because a foreign rule holds it), ascending. */
  async function takenPriorities(listenerArn: string): Promise<number[]> {
    const priorities: number[] = [];
    let startKey: Record<string, unknown> | undefined;
    try {
      do {
        const page = await db().send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': `LISTENER#${listenerArn}`, ':prefix': 'PRIORITY#' },
            ProjectionExpression: 'sk',
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) priorities.push(Number(String(item.sk).slice('PRIORITY#'.length)));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      return rethrowAwsError(error, 'Query route priorities');
    }
    return priorities.sort((a, b) => a - b);
  }

  /**
   * Claims `route.priority` on `route.listenerArn` for the tenant and records the route on the
   * tenant, atomically. Requires this execution to hold the tenant's lock.
   */
  async function claimPriority(tenantId: string, executionArn: string, route: PendingRoute, now: string): Promise<ClaimResult> {
    try {
      await db().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tableName,
                Item: { ...priorityKey(route.listenerArn, route.priority), owner: 'tenant', tenantId, allocatedAt: now },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: tenantKey(tenantId),
                UpdateExpression: 'SET #route = :route, #updatedAt = :now',
                ConditionExpression: '#lock.#executionArn = :executionArn AND attribute_not_exists(#route)',
                ExpressionAttributeNames: { '#route': 'route', '#updatedAt': 'updatedAt', '#lock': 'lock', '#executionArn': 'executionArn' },
                ExpressionAttributeValues: { ':route': route, ':now': now, ':executionArn': executionArn },
              },
            },
          ],
        }),
      );
      return 'claimed';
    } catch (error) {
      if (awsErrorName(error) !== 'TransactionCanceledException') return rethrowAwsError(error, 'claim route priority');
      const [priorityCode, tenantCode] = cancellationCodes(error);
      if (tenantCode === 'ConditionalCheckFailed') return 'tenant-has-route';
      if (priorityCode === 'ConditionalCheckFailed') return 'priority-taken';
      return rethrowCancellation(error, 'claim route priority');
    }
  }

  /** Marks a priority that a rule we do not own already holds, so it is never offered again. */
  async function reserveForeignPriority(listenerArn: string, priority: number, now: string): Promise<void> {
    try {
      await db().send(
        new PutCommand({
          TableName: tableName,
          Item: { ...priorityKey(listenerArn, priority), owner: 'foreign', allocatedAt: now },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') return;
      rethrowAwsError(error, 'reserve foreign route priority');
    }
  }

  /** Records the created rule on the tenant's route. Requires the lock. */
  async function recordRuleArn(tenantId: string, executionArn: string, ruleArn: string, now: string): Promise<void> {
    try {
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: tenantKey(tenantId),
          UpdateExpression: 'SET #route.#ruleArn = :ruleArn, #updatedAt = :now',
          ConditionExpression: '#lock.#executionArn = :executionArn AND attribute_exists(#route)',
          ExpressionAttributeNames: { '#route': 'route', '#ruleArn': 'ruleArn', '#updatedAt': 'updatedAt', '#lock': 'lock', '#executionArn': 'executionArn' },
          ExpressionAttributeValues: { ':ruleArn': ruleArn, ':now': now, ':executionArn': executionArn },
        }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') {
        throw new LockLostError(`Execution ${executionArn} no longer holds the lock of tenant ${tenantId}`, { cause: error });
      }
      rethrowAwsError(error, 'record route rule');
    }
  }

  /**
   * Frees the tenant's priority and removes its route, atomically. Idempotent: a priority
   * already freed is fine. Requires the lock.
   */
  async function releaseRoute(tenantId: string, executionArn: string, route: Pick<PendingRoute, 'listenerArn' | 'priority'>, now: string): Promise<void> {
    try {
      await db().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: tableName,
                Key: priorityKey(route.listenerArn, route.priority),
                ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
                ExpressionAttributeValues: { ':tenantId': tenantId },
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: tenantKey(tenantId),
                UpdateExpression: 'REMOVE #route SET #updatedAt = :now',
                ConditionExpression: '#lock.#executionArn = :executionArn',
                ExpressionAttributeNames: { '#route': 'route', '#updatedAt': 'updatedAt', '#lock': 'lock', '#executionArn': 'executionArn' },
                ExpressionAttributeValues: { ':now': now, ':executionArn': executionArn },
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (awsErrorName(error) !== 'TransactionCanceledException') return rethrowAwsError(error, 'release route priority');
      const [priorityCode, tenantCode] = cancellationCodes(error);
      if (tenantCode === 'ConditionalCheckFailed') {
        throw new LockLostError(`Execution ${executionArn} no longer holds the lock of tenant ${tenantId}`, { cause: error });
      }
      if (priorityCode === 'ConditionalCheckFailed') {
        // The priority item belongs to another tenant: ours was already freed and reused. Only drop our route.
        try {
          await db().send(
            new UpdateCommand({
              TableName: tableName,
              Key: tenantKey(tenantId),
              UpdateExpression: 'REMOVE #route SET #updatedAt = :now',
              ConditionExpression: '#lock.#executionArn = :executionArn',
              ExpressionAttributeNames: { '#route': 'route', '#updatedAt': 'updatedAt', '#lock': 'lock', '#executionArn': 'executionArn' },
              ExpressionAttributeValues: { ':now': now, ':executionArn': executionArn },
            }),
          );
        } catch (updateError) {
          if (awsErrorName(updateError) === 'ConditionalCheckFailedException') {
            throw new LockLostError(`Execution ${executionArn} no longer holds the lock of tenant ${tenantId}`, { cause: updateError });
          }
          rethrowAwsError(updateError, 'remove tenant route');
        }
        return;
      }
      rethrowCancellation(error, 'release route priority');
    }
  }

  /** Frees a priority claimed by nobody's route any more (used when a claim must be undone). */
  async function deletePriority(listenerArn: string, priority: number, tenantId: string): Promise<void> {
    try {
      await db().send(
        new DeleteCommand({
          TableName: tableName,
          Key: priorityKey(listenerArn, priority),
          ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
          ExpressionAttributeValues: { ':tenantId': tenantId },
        }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') return;
      rethrowAwsError(error, 'delete route priority');
    }
  }

  return { takenPriorities, claimPriority, reserveForeignPriority, recordRuleArn, releaseRoute, deletePriority };
}

export type RouteRegistry = ReturnType<typeof createRouteRegistry>;
