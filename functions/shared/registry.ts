/**
 * Tenant registry adapter (DynamoDB): one record per tenant holding its lifecycle status,
 * the lock of the operation in flight, what onboarding planned and created, and an audit trail
 * of completed operations. Records are never erased: offboarding marks them DELETED.
 *
 * Table keys: pk = `TENANT#<tenantId>`, sk = `TENANT` (route priorities share the table,
 * see registry-routes.ts). Every write is conditional; a failed condition is reported to the
 * caller, which decides (re-read, duplicate, lock lost).
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, rethrowAwsError } from './aws-errors.ts';
import { dynamoDbDocumentClient } from './aws-clients/dynamodb.ts';
import type { Operation } from '../../events/contract.ts';
import { LockLostError } from './errors.ts';
import type { IsolationModel } from './tier-catalog.ts';
import type { RouteRegistration, StackSpec } from './steps.ts';

export const TenantStatus = {
  onboarding: 'ONBOARDING',
  active: 'ACTIVE',
  offboarding: 'OFFBOARDING',
  deleted: 'DELETED',
} as const;
export type TenantStatus = (typeof TenantStatus)[keyof typeof TenantStatus];

/** Who holds a tenant: at most one lifecycle operation is in flight per tenant. */
export interface OperationLock {
  readonly operation: Operation;
  readonly registrationId: string;
  readonly executionArn: string;
  readonly acquiredAt: string;
}

/** The last failure an operation reported, for operators (`tenants` listing, audit). */
export interface FailureRecord {
  readonly executionArn: string;
  readonly failedStep: string;
  readonly errorName: string;
  readonly failureReason: string;
  readonly at: string;
}

/** What onboarding planned, kept so offboarding removes exactly that. */
export interface PlannedResources {
  readonly tier: string;
  readonly isolationModel: IsolationModel;
  readonly templateVersion?: string;
  /** Stack names only: enough to delete them. */
  readonly stacks: readonly Pick<StackSpec, 'stackName'>[];
}

export interface TenantRecord {
  readonly tenantId: string;
  readonly tenantName?: string;
  readonly tier?: string;
  readonly status: TenantStatus;
  readonly lock?: OperationLock;
  /** `<operation>#<registrationId>` -> completion time, for every operation that finished. */
  readonly completed: Readonly<Record<string, string>>;
  readonly plan?: PlannedResources;
  /** The tenant's listener rule; `ruleArn` is absent between claiming a priority and creating the rule. */
  readonly route?: Omit<RouteRegistration, 'ruleArn' | 'stackParameters'> & { readonly ruleArn?: string };
  readonly tenantConfig?: string;
  readonly lastFailure?: FailureRecord;
  /** Event time of the latest request accepted for this tenant; an older request is stale. */
  readonly lastRequestAt?: string;
  /** Optimistic-concurrency counter, incremented by every lock change. */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Key of a completed operation in {@link TenantRecord.completed}. */
export function completionKey(operation: Operation, registrationId: string): string {
  return `${operation}#${registrationId}`;
}

export function tenantKey(tenantId: string): { pk: string; sk: string } {
  return { pk: `TENANT#${tenantId}`, sk: 'TENANT' };
}


/** Registry operations on one table. */
export function createRegistry(tableName: string) {
  const db = () => dynamoDbDocumentClient();

  /** Strongly consistent read of a tenant record. */
  async function getTenant(tenantId: string): Promise<TenantRecord | undefined> {
    try {
      const result = await db().send(new GetCommand({ TableName: tableName, Key: tenantKey(tenantId), ConsistentRead: true }));
      if (!result.Item) return undefined;
      const { pk: _pk, sk: _sk, ...record } = result.Item;
      return record as TenantRecord;
    } catch (error) {
      return rethrowAwsError(error, 'GetItem tenant');
    }
  }

  /**
   * Takes the tenant's lock for an operation. `expectedVersion` undefined creates the record
   * (fails if one appeared meanwhile); otherwise the record must still be at that version.
   * Returns false when the condition failed: the caller re-reads and decides again.
   */
  async function acquireLock(
    tenantId: string,
    expectedVersion: number | undefined,
    lock: OperationLock,
    fields: { status: TenantStatus; tier?: string; tenantName?: string; lastRequestAt?: string },
  ): Promise<boolean> {
    const now = lock.acquiredAt;
    try {
      if (expectedVersion === undefined) {
        const item: TenantRecord & { pk: string; sk: string } = {
          ...tenantKey(tenantId),
          tenantId,
          ...(fields.tenantName !== undefined ? { tenantName: fields.tenantName } : {}),
          ...(fields.tier !== undefined ? { tier: fields.tier } : {}),
          ...(fields.lastRequestAt !== undefined ? { lastRequestAt: fields.lastRequestAt } : {}),
          status: fields.status,
          lock,
          completed: {},
          version: 1,
          createdAt: now,
          updatedAt: now,
        };
        await db().send(
          new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
        );
        return true;
      }
      const names: Record<string, string> = { '#lock': 'lock', '#status': 'status', '#version': 'version', '#updatedAt': 'updatedAt' };
      const values: Record<string, unknown> = { ':lock': lock, ':status': fields.status, ':expected': expectedVersion, ':one': 1, ':now': now };
      const sets = ['#lock = :lock', '#status = :status', '#version = #version + :one', '#updatedAt = :now'];
      if (fields.tier !== undefined) {
        names['#tier'] = 'tier';
        values[':tier'] = fields.tier;
        sets.push('#tier = :tier');
      }
      if (fields.tenantName !== undefined) {
        names['#tenantName'] = 'tenantName';
        values[':tenantName'] = fields.tenantName;
        sets.push('#tenantName = :tenantName');
      }
      if (fields.lastRequestAt !== undefined) {
        names['#lastRequestAt'] = 'lastRequestAt';
        values[':lastRequestAt'] = fields.lastRequestAt;
        sets.push('#lastRequestAt = :lastRequestAt');
      }
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: tenantKey(tenantId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      return rethrowAwsError(error, 'acquire tenant lock');
    }
  }

  /** Saves what onboarding will create. Requires this execution to hold the lock. */
  async function savePlan(tenantId: string, executionArn: string, plan: PlannedResources, now: string): Promise<void> {
    try {
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: tenantKey(tenantId),
          UpdateExpression: 'SET #plan = :plan, #updatedAt = :now',
          ConditionExpression: '#lock.#executionArn = :executionArn',
          ExpressionAttributeNames: { '#plan': 'plan', '#updatedAt': 'updatedAt', '#lock': 'lock', '#executionArn': 'executionArn' },
          ExpressionAttributeValues: { ':plan': plan, ':now': now, ':executionArn': executionArn },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw lockLost(tenantId, executionArn, error);
      rethrowAwsError(error, 'save tenant plan');
    }
  }

  /**
   * Ends the operation this execution holds: sets the final status, records the completion,
   * releases the lock. Idempotent: a re-run after it already completed is a no-op.
   */
  async function completeOperation(
    tenantId: string,
    lock: Pick<OperationLock, 'operation' | 'registrationId' | 'executionArn'>,
    outcome: { status: TenantStatus; tenantConfig?: string; removeRoute?: boolean },
    now: string,
  ): Promise<void> {
    const key = completionKey(lock.operation, lock.registrationId);
    const names: Record<string, string> = {
      '#status': 'status', '#completed': 'completed', '#key': key, '#lock': 'lock', '#executionArn': 'executionArn',
      '#version': 'version', '#updatedAt': 'updatedAt',
    };
    const values: Record<string, unknown> = { ':status': outcome.status, ':now': now, ':executionArn': lock.executionArn, ':one': 1 };
    const sets = ['#status = :status', '#completed.#key = :now', '#version = #version + :one', '#updatedAt = :now'];
    const removes = ['#lock'];
    if (outcome.tenantConfig !== undefined) {
      names['#tenantConfig'] = 'tenantConfig';
      values[':tenantConfig'] = outcome.tenantConfig;
      sets.push('#tenantConfig = :tenantConfig');
    }
    if (outcome.removeRoute) {
      names['#route'] = 'route';
      removes.push('#route');
    }
    try {
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: tenantKey(tenantId),
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
          ConditionExpression: '#lock.#executionArn = :executionArn',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) rethrowAwsError(error, 'complete tenant operation');
      const current = await getTenant(tenantId);
      // Completed already (this run's earlier attempt, or a takeover of the same request): done, even
      // if another operation has locked the tenant since; failing here would report a finished operation failed.
      if (current?.completed[key] !== undefined) return;
      throw lockLost(tenantId, lock.executionArn, error);
    }
  }

  /**
   * Notes a failure on the record for operators. Only while the failed execution still holds
   * the lock; returns false otherwise (e.g. the failure came after the operation completed).
   */
  async function recordFailure(tenantId: string, failure: FailureRecord): Promise<boolean> {
    try {
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: tenantKey(tenantId),
          UpdateExpression: 'SET #lastFailure = :failure, #updatedAt = :now',
          ConditionExpression: '#lock.#executionArn = :executionArn',
          ExpressionAttributeNames: { '#lastFailure': 'lastFailure', '#updatedAt': 'updatedAt', '#lock': 'lock', '#executionArn': 'executionArn' },
          ExpressionAttributeValues: { ':failure': failure, ':now': failure.at, ':executionArn': failure.executionArn },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      return rethrowAwsError(error, 'record tenant failure');
    }
  }

  return { getTenant, acquireLock, savePlan, completeOperation, recordFailure };
}

export type Registry = ReturnType<typeof createRegistry>;

function lockLost(tenantId: string, executionArn: string, cause: unknown): LockLostError {
  return new LockLostError(
    `Execution ${executionArn} no longer holds the lock of tenant ${tenantId}; another operation took it over`,
    { cause },
  );
}
