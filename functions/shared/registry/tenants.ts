/**
 * Tenant registry adapter (DynamoDB): one record per tenant holding its lifecycle status,
 * the lock of the operation in flight, what onboarding planned and created, and an audit trail
 * of completed operations. Records are never erased: offboarding marks them DELETED.
 *
 * Table keys: pk = `TENANT#<tenantId>`, sk = `TENANT` (route priorities share the table,
 * see route-priorities.ts). Every write is conditional; a failed condition is reported to the
 * caller, which decides (re-read, duplicate, superseded). Every write that needs the tenant's lock
 * carries the fence (fence.ts) in its condition.
 */
import type { TenantWait } from './waits.ts';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, rethrowAwsError } from '../aws/errors.ts';
import { dynamoDbDocumentClient } from '../aws/clients/dynamodb.ts';
import type { Operation } from '../../../events/contract.ts';
import { TenantIdConflictError } from '../step/errors.ts';
import { fenceCondition, superseded, type Fence, type LockedUpdate } from './fence.ts';
import { caseFoldKey, completedBy, completionKey, isExpired, tenantKey, tenantListKeys, withoutKeys } from './keys.ts';

export { caseFoldKey, completionKey, tenantKey } from './keys.ts';

export { fenceOf, superseded, type Fence, type LockedUpdate } from './fence.ts';
import type { IsolationModel } from '../config/tier-catalog.ts';
import type { RouteRegistration, StackSpec } from '../step/schemas.ts';

import { TenantStatus } from './tenant-status.ts';

export { TenantStatus } from './tenant-status.ts';

/** The status an operation leaves the tenant in when it completes. */
export const statusAfterOperation: Readonly<Record<Operation, TenantStatus>> = {
  onboarding: TenantStatus.active,
  offboarding: TenantStatus.deleted,
  deactivation: TenantStatus.suspended,
  activation: TenantStatus.active,
  update: TenantStatus.active,
};

/** Who holds a tenant: at most one lifecycle operation is in flight per tenant. */
export interface OperationLock {
  readonly operation: Operation;
  readonly registrationId: string;
  readonly executionArn: string;
  readonly acquiredAt: string;
  /**
   * The highest redrive attempt (`$$.Execution.RedriveCount`) of the holder that has written
   * under the lock. An earlier attempt of the same execution (a Lambda invocation still running
   * after its execution failed and was redriven) is refused. Absent in locks of the previous release.
   */
  readonly attempt?: number;
}

/** The last completed operation, so a retried step can tell its own completion from a newer operation's. */
interface CompletionRecord {
  /** {@link completionKey} of the operation. */
  readonly key: string;
  readonly executionArn: string;
  readonly at: string;
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

/** One side of a tier change: the tier and what the tenant has (from) or gets (to) on it. */
export interface TierChangeSide {
  readonly tier: string;
  readonly isolationModel: IsolationModel;
  readonly templateVersion?: string;
  readonly stacks: readonly Pick<StackSpec, 'stackName'>[];
}

/**
 * A tier change in flight. `building`: the new tier's resources are being built behind a staging
 * rule no client matches; the tenant serves on its old tier and the registry's plan and route are
 * the old ones. `switched`: the tenant's route condition is on the new tier's rule and the plan,
 * route and tenantConfig are the new tier's; what is left is removing the old tier. `retired`: the
 * old rule no longer has the tenant's condition (or is gone); what is left is the old stacks.
 */
export interface TierChangeRecord {
  /** The execution carrying it out (a new request adopts it, rewriting this). */
  readonly executionArn: string;
  readonly phase: 'building' | 'switched' | 'retired';
  readonly from: TierChangeSide & {
    /** The tenant's route before the change: its priority is released once the old rule is gone. */
    readonly route: { readonly listenerArn: string; readonly priority: number; readonly ruleArn?: string };
  };
  readonly to: TierChangeSide & {
    /** The new stacks as they are created (the staging route included in their parameters). */
    readonly stackSpecs: readonly StackSpec[];
  };
  /**
   * The temporary priority on the tenant's listener the new rule takes (it becomes the tenant's
   * priority at the switch), and the header value of the staging condition no client sends.
   */
  readonly staging: { readonly listenerArn: string; readonly priority: number; readonly value: string };
  /** A pool target: the rule the switch created to the pooled target group. */
  readonly newRuleArn?: string;
  readonly startedAt: string;
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
  readonly lastCompletion?: CompletionRecord;
  /**
   * Tombstones only (an offboarding of a tenant never onboarded here): epoch seconds after which the
   * record counts as absent. DynamoDB's TTL attribute, but TTL deletes late (typically within two
   * days) and expired items stay readable and writable until then, so every read and condition
   * compares it too: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ttl-expired-items.html
   */
  readonly tombstoneExpiresAt?: number;
  /** A fleet rollout leaves a pinned tenant on its template version (pins.ts). */
  readonly pinned?: boolean;
  /**
   * The tier change in flight (functions/change-tier), written under the lock and removed when the
   * change finishes: what to build, what to remove, and how far it got. A redrive resumes from it;
   * a new request finishes or abandons it first; offboarding deletes its stacks too.
   */
  readonly tierChange?: TierChangeRecord;
  /** The waiting step's task token and what it watches, while a stack or services loop waits (waits.ts). */
  readonly wait?: TenantWait;
  /** Optimistic-concurrency counter, incremented by every lock change. */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Registry operations on one table. */
export function createRegistry(tableName: string) {
  const db = () => dynamoDbDocumentClient();

  /** Strongly consistent read of a tenant record; an expired tombstone reads as absent. */
  async function getTenant(tenantId: string, now = new Date()): Promise<TenantRecord | undefined> {
    try {
      const result = await db().send(
        new GetCommand({ TableName: tableName, Key: tenantKey(tenantId), ConsistentRead: true }),
      );
      if (!result.Item) return undefined;
      const record = withoutKeys(result.Item) as unknown as TenantRecord;
      return isExpired(record, now) ? undefined : record;
    } catch (error) {
      return rethrowAwsError(error, 'GetItem tenant');
    }
  }

  /**
   * Takes the tenant's lock for an operation. `expectedVersion` undefined creates the record
   * (fails if a live one appeared meanwhile; an expired tombstone is replaced); otherwise the
   * record must still be at that version. Every write under a lock raises the version, so a
   * takeover decided on an older read loses to the holder's latest write.
   * `tombstoneExpiresAt` makes the record a tombstone (offboarding of a tenant never onboarded); any other
   * acquire removes it, so a tenant onboarded after a tombstone is kept for good.
   * Returns false when the condition failed: the caller re-reads and decides again.
   */
  async function acquireLock(
    tenantId: string,
    expectedVersion: number | undefined,
    lock: OperationLock,
    fields: {
      status: TenantStatus;
      tier?: string;
      tenantName?: string;
      lastRequestAt?: string;
      tombstoneExpiresAt?: number;
    },
  ): Promise<boolean> {
    const now = lock.acquiredAt;
    const nowSeconds = Math.floor(Date.parse(now) / 1000);
    try {
      if (expectedVersion === undefined) {
        // The tenant list's keys (tenant-pages.ts): written here, where the record is created, and only here.
        const item: TenantRecord & { pk: string; sk: string } & ReturnType<typeof tenantListKeys> = {
          ...tenantKey(tenantId),
          ...tenantListKeys(tenantId, now),
          tenantId,
          ...(fields.tenantName !== undefined ? { tenantName: fields.tenantName } : {}),
          ...(fields.tier !== undefined ? { tier: fields.tier } : {}),
          ...(fields.lastRequestAt !== undefined ? { lastRequestAt: fields.lastRequestAt } : {}),
          ...(fields.tombstoneExpiresAt !== undefined ? { tombstoneExpiresAt: fields.tombstoneExpiresAt } : {}),
          status: fields.status,
          lock,
          completed: {},
          version: 1,
          createdAt: now,
          updatedAt: now,
        };
        await db().send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk) OR #tombstoneExpiresAt <= :nowSeconds',
            ExpressionAttributeNames: { '#tombstoneExpiresAt': 'tombstoneExpiresAt' },
            ExpressionAttributeValues: { ':nowSeconds': nowSeconds },
          }),
        );
        return true;
      }
      const names: Record<string, string> = {
        '#lock': 'lock',
        '#status': 'status',
        '#version': 'version',
        '#updatedAt': 'updatedAt',
        '#tombstoneExpiresAt': 'tombstoneExpiresAt',
      };
      const values: Record<string, unknown> = {
        ':lock': lock,
        ':status': fields.status,
        ':expected': expectedVersion,
        ':one': 1,
        ':now': now,
      };
      const sets = ['#lock = :lock', '#status = :status', '#version = #version + :one', '#updatedAt = :now'];
      const optional = {
        tier: fields.tier,
        tenantName: fields.tenantName,
        lastRequestAt: fields.lastRequestAt,
        tombstoneExpiresAt: fields.tombstoneExpiresAt,
      };
      for (const [field, value] of Object.entries(optional)) {
        if (value === undefined) continue;
        names[`#${field}`] = field;
        values[`:${field}`] = value;
        sets.push(`#${field} = :${field}`);
      }
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: tenantKey(tenantId),
          UpdateExpression: `SET ${sets.join(', ')}${fields.tombstoneExpiresAt === undefined ? ' REMOVE #tombstoneExpiresAt' : ''}`,
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

  /**
   * Reserves the tenant id's lower-cased form for this tenant (idempotent for the same id).
   * @throws TenantIdConflictError when another tenant id with the same lower-cased form holds it.
   */
  async function claimCaseFold(tenantId: string, now: string): Promise<void> {
    try {
      await db().send(
        new PutCommand({
          TableName: tableName,
          Item: { ...caseFoldKey(tenantId), tenantId, claimedAt: now },
          ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
          ExpressionAttributeValues: { ':tenantId': tenantId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) rethrowAwsError(error, 'claim tenant id');
      throw new TenantIdConflictError(
        `tenant id ${tenantId} differs only in letter case from a tenant this orchestrator already has; load balancer routes ignore case, so tenant ids must be unique regardless of case`,
        { cause: error },
      );
    }
  }

  /**
   * Frees the lower-cased form of a tenant id once the tenant is deleted, so another tenant may use
   * it; only the claim of this very id is removed.
   */
  async function releaseCaseFold(tenantId: string): Promise<void> {
    try {
      await db().send(
        new DeleteCommand({
          TableName: tableName,
          Key: caseFoldKey(tenantId),
          ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
          ExpressionAttributeValues: { ':tenantId': tenantId },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      rethrowAwsError(error, 'release tenant id');
    }
  }

  /**
   * Updates the tenant record in the same conditional write that proves the fence holds its lock,
   * raising the lock's attempt to the fence's and the record's version. Returns the record as
   * written. Throws what `onRefused` returns (default {@link SupersededError}) when the condition fails.
   */
  async function updateHoldingLock(
    tenantId: string,
    fence: Fence,
    update: LockedUpdate,
    now: string,
    onRefused: (error: unknown) => Promise<TenantRecord> = async (error) => {
      throw superseded(tenantId, fence, error);
    },
  ): Promise<TenantRecord> {
    const fenced = fenceCondition(fence);
    const removes = update.removes ?? [];
    const sets = [...(update.sets ?? []), '#version = #version + :one', '#updatedAt = :now'];
    // The attempt is raised unless the lock itself goes away in this write.
    if (!removes.includes('#lock')) sets.push('#lock.#attempt = :fenceAttempt');
    try {
      const result = await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: tenantKey(tenantId),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression:
            update.condition === undefined ? fenced.expression : `${fenced.expression} AND ${update.condition}`,
          ExpressionAttributeNames: {
            ...fenced.names,
            '#version': 'version',
            '#updatedAt': 'updatedAt',
            ...update.names,
          },
          ExpressionAttributeValues: { ...fenced.values, ':one': 1, ':now': now, ...update.values },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return withoutKeys(result.Attributes ?? {}) as unknown as TenantRecord;
    } catch (error) {
      if (isConditionFailure(error)) return onRefused(error);
      return rethrowAwsError(error, 'update tenant record under its lock');
    }
  }

  /**
   * Proves the fence still holds the tenant's lock before a side effect outside the registry (a
   * stack, a rule, a slot), and returns the record. The write raises the version, so an operation
   * that read the record before it and decided to take the lock over fails its own conditional write.
   */
  async function holdLock(tenantId: string, fence: Fence, now: string): Promise<TenantRecord> {
    return updateHoldingLock(tenantId, fence, {}, now);
  }

  /** Saves what onboarding will create. Requires the fence to hold the lock. */
  async function savePlan(tenantId: string, fence: Fence, plan: PlannedResources, now: string): Promise<void> {
    await updateHoldingLock(
      tenantId,
      fence,
      { sets: ['#plan = :plan'], names: { '#plan': 'plan' }, values: { ':plan': plan } },
      now,
    );
  }

  /**
   * Ends the operation the fence holds: sets the final status, records the completion, releases
   * the lock. Idempotent: a retry after this execution already completed it is a no-op; after a
   * newer operation (or another execution of the same request) completed or took the tenant, it
   * throws {@link SupersededError}.
   */
  async function completeOperation(
    tenantId: string,
    lock: Pick<OperationLock, 'operation' | 'registrationId'> & { readonly fence: Fence },
    outcome: { status: TenantStatus; tenantConfig?: string; removeRoute?: boolean; templateVersion?: string },
    now: string,
  ): Promise<void> {
    const key = completionKey(lock.operation, lock.registrationId);
    const completion: CompletionRecord = { key, executionArn: lock.fence.executionArn, at: now };
    const names: Record<string, string> = {
      '#status': 'status',
      '#completed': 'completed',
      '#key': key,
      '#lastCompletion': 'lastCompletion',
      '#wait': 'wait',
    };
    const values: Record<string, unknown> = { ':status': outcome.status, ':completion': completion };
    const sets = ['#status = :status', '#completed.#key = :now', '#lastCompletion = :completion'];
    // A wait's token left by a loop whose resume was lost goes with the operation.
    const removes = ['#lock', '#wait'];
    if (outcome.tenantConfig !== undefined) {
      names['#tenantConfig'] = 'tenantConfig';
      values[':tenantConfig'] = outcome.tenantConfig;
      sets.push('#tenantConfig = :tenantConfig');
    }
    if (outcome.templateVersion !== undefined) {
      // A template version update: the plan records the version the tenant's stacks now have.
      names['#plan'] = 'plan';
      names['#templateVersion'] = 'templateVersion';
      values[':templateVersion'] = outcome.templateVersion;
      sets.push('#plan.#templateVersion = :templateVersion');
    }
    if (outcome.removeRoute) {
      // Offboarding: the route and any unfinished tier change (whose stacks and rules it deleted) go.
      names['#route'] = 'route';
      names['#tierChange'] = 'tierChange';
      removes.push('#route', '#tierChange');
    }
    await updateHoldingLock(tenantId, lock.fence, { sets, removes, names, values }, now, async (error) => {
      const current = await getTenant(tenantId);
      if (current !== undefined && completedBy(current, key, lock.fence.executionArn)) return current;
      throw superseded(tenantId, lock.fence, error);
    });
  }

  /**
   * Proves, in one conditional write, that the success reply of a completed operation is still
   * the answer: the operation completed, no operation has taken the tenant since, and no other
   * operation completed after it. Records when the reply was confirmed.
   * @throws SupersededError otherwise: a newer operation's reply answers the registration.
   */
  async function confirmReply(
    tenantId: string,
    completed: {
      readonly operation: Operation;
      readonly registrationId: string;
      readonly endStatus: TenantStatus;
      /**
       * Suspend and resume complete the same registration again and again: the completion must then
       * be this very execution's, or a late reply of an earlier suspension would pass for a later one's.
       */
      readonly byExecution?: boolean;
    },
    fence: Fence,
    now: string,
  ): Promise<void> {
    const key = completionKey(completed.operation, completed.registrationId);
    const byExecution = completed.byExecution === true;
    try {
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: tenantKey(tenantId),
          UpdateExpression: 'SET #repliedAt = :now',
          // Records of the previous release have no lastCompletion: the completion entry and the status decide then.
          ConditionExpression:
            'attribute_not_exists(#lock) AND attribute_exists(#completed.#key) AND #status = :endStatus AND ' +
            (byExecution
              ? '#lastCompletion.#lastKey = :key AND #lastCompletion.#lastExecution = :executionArn'
              : '(attribute_not_exists(#lastCompletion) OR #lastCompletion.#lastKey = :key)'),
          ExpressionAttributeNames: {
            '#repliedAt': 'repliedAt',
            '#lock': 'lock',
            '#completed': 'completed',
            '#key': key,
            '#status': 'status',
            '#lastCompletion': 'lastCompletion',
            '#lastKey': 'key',
            ...(byExecution ? { '#lastExecution': 'executionArn' } : {}),
          },
          ExpressionAttributeValues: {
            ':now': now,
            ':endStatus': completed.endStatus,
            ':key': key,
            ...(byExecution ? { ':executionArn': fence.executionArn } : {}),
          },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw superseded(tenantId, fence, error);
      rethrowAwsError(error, 'confirm tenant reply');
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
          ExpressionAttributeNames: {
            '#lastFailure': 'lastFailure',
            '#updatedAt': 'updatedAt',
            '#lock': 'lock',
            '#executionArn': 'executionArn',
          },
          ExpressionAttributeValues: { ':failure': failure, ':now': failure.at, ':executionArn': failure.executionArn },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      return rethrowAwsError(error, 'record tenant failure');
    }
  }

  return {
    getTenant,
    acquireLock,
    claimCaseFold,
    releaseCaseFold,
    updateHoldingLock,
    holdLock,
    savePlan,
    completeOperation,
    confirmReply,
    recordFailure,
  };
}

export type Registry = ReturnType<typeof createRegistry>;
