/**
 * Event-driven waits: a waiting step's task token, kept with the tenant's operation so that the
 * event CloudFormation or ECS emits when the step's stacks or services settle can resume it.
 *
 * - The token is written onto the tenant's record under the lock, in the one conditional write
 *   that proves the fence (a superseded execution stores nothing and stops there). A redrive or a
 *   retry starts the step again with a new token, which replaces the old one in the same way.
 * - An event names a stack or a service, not a tenant: a watch item per watched resource
 *   (`WATCH#stack#<name>`, `WATCH#service#<cluster>/<service>`) maps it to its tenant. It holds no
 *   token and changes nothing, so it needs no fence; a stale one points at a tenant whose wait no
 *   longer watches that resource, and the resumer ignores it. DynamoDB's TTL removes it.
 * - The token is a credential for resuming the task: it is removed from the record when the wait
 *   ends (resumed, or the next look of the loop), and never logged.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient } from '../aws/clients/dynamodb.ts';
import { isConditionFailure, rethrowAwsError } from '../aws/errors.ts';
import type { Fence } from './fence.ts';
import { tenantKey } from './keys.ts';
import type { Registry } from './tenants.ts';

/** What a wait watches: the stacks of a converge loop, or the services of a services loop. */
export type WaitWatch =
  | {
      readonly kind: 'stacks';
      readonly desired: 'present' | 'absent' | 'updated';
      readonly stackNames: readonly string[];
    }
  | {
      readonly kind: 'services';
      readonly clusterName: string;
      readonly serviceNames: readonly string[];
    };

/** The wait on a tenant's record. */
export interface TenantWait {
  readonly taskToken: string;
  readonly executionArn: string;
  readonly attempt: number;
  readonly watch: WaitWatch;
  /** The services loop's progress when the wait began (the resumer continues it). */
  readonly progress?: Readonly<Record<string, unknown>>;
  readonly since: string;
}

/** Seconds a watch item outlives its wait (DynamoDB's TTL deletes it, typically within two days). */
const watchItemSeconds = 2 * 86_400;

/** The watch items' keys of a wait. */
export function watchKeys(watch: WaitWatch): { pk: string; sk: string }[] {
  if (watch.kind === 'stacks') return watch.stackNames.map((name) => stackWatchKey(name));
  return watch.serviceNames.map((name) => serviceWatchKey(watch.clusterName, name));
}

export function stackWatchKey(stackName: string): { pk: string; sk: string } {
  return { pk: `WATCH#stack#${stackName}`, sk: 'WATCH' };
}

export function serviceWatchKey(clusterName: string, serviceName: string): { pk: string; sk: string } {
  return { pk: `WATCH#service#${clusterName}/${serviceName}`, sk: 'WATCH' };
}

/** True when the wait watches the resource an event named. */
export function watches(wait: TenantWait, key: { pk: string }): boolean {
  return watchKeys(wait.watch).some((candidate) => candidate.pk === key.pk);
}

/** Wait records on one table. */
export function createWaits(tableName: string, registry: Registry) {
  const db = () => dynamoDbDocumentClient();

  /**
   * Stores the step's token on the tenant's record, in the conditional write that proves the fence
   * (throws SupersededError when it does not hold), after writing the watch items.
   */
  async function store(
    tenantId: string,
    fence: Fence,
    wait: Omit<TenantWait, 'executionArn' | 'attempt' | 'since'>,
    now: Date,
  ): Promise<void> {
    const expiresAt = Math.floor(now.getTime() / 1000) + watchItemSeconds;
    try {
      for (const key of watchKeys(wait.watch)) {
        await db().send(
          new PutCommand({ TableName: tableName, Item: { ...key, tenantId, tombstoneExpiresAt: expiresAt } }),
        );
      }
    } catch (error) {
      rethrowAwsError(error, 'write wait watch items');
    }
    const record: TenantWait = {
      ...wait,
      executionArn: fence.executionArn,
      attempt: fence.attempt,
      since: now.toISOString(),
    };
    await registry.updateHoldingLock(
      tenantId,
      fence,
      { sets: ['#wait = :wait'], names: { '#wait': 'wait' }, values: { ':wait': record } },
      now.toISOString(),
    );
  }

  /** The tenant a watched resource belongs to, if a wait ever watched it. */
  async function tenantOf(key: { pk: string; sk: string }): Promise<string | undefined> {
    try {
      const result = await db().send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
      const tenantId = result.Item?.tenantId;
      return typeof tenantId === 'string' ? tenantId : undefined;
    } catch (error) {
      return rethrowAwsError(error, 'read wait watch item');
    }
  }

  /**
   * Removes the wait whose token is `taskToken` (and only that one: a newer wait stays). Not
   * fenced by the lock: it changes no resource, only drops a token that can no longer be used.
   */
  async function clear(tenantId: string, taskToken: string): Promise<void> {
    try {
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: tenantKey(tenantId),
          UpdateExpression: 'REMOVE #wait',
          ConditionExpression: '#wait.#token = :token',
          ExpressionAttributeNames: { '#wait': 'wait', '#token': 'taskToken' },
          ExpressionAttributeValues: { ':token': taskToken },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      rethrowAwsError(error, 'clear a tenant wait');
    }
  }

  return { store, tenantOf, clear };
}

export type Waits = ReturnType<typeof createWaits>;
