/**
 * Admission control for stack operations (DynamoDB): at most `limit` tenants may have a
 * CloudFormation create or delete in flight at once, so a burst of onboardings queues in the
 * workflows' poll loops instead of making CloudFormation's throttling the flow control.
 *
 * Each slot is an item in the registry table: pk = `ADMISSION#stack-operations`,
 * sk = `SLOT#<nnnn>` for n in 0..limit-1, holding `holder` (tenant id), `executionArn`,
 * `acquiredAt` and `expiresAt` (epoch seconds). `expiresAt` is a lease: a slot whose execution
 * died without releasing it is taken over once the lease has run out.
 *
 * No transactions (the local runtime's dynalite lacks them): a slot is taken by one conditional
 * Put (`attribute_not_exists(pk) OR expiresAt < :now`), which alone decides between two tenants
 * racing for it; the loser tries the next free slot. Release deletes only the tenant's own
 * items, so a slot someone else reclaimed meanwhile is left alone.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, rethrowAwsError } from '../aws/errors.ts';
import { queryAllItems } from './query-pages.ts';
import { dynamoDbDocumentClient } from '../aws/clients/dynamodb.ts';

/** Partition of the stack-operation slots in the registry table. */
const stackOperationsPartition = 'ADMISSION#stack-operations';

const slotPrefix = 'SLOT#';

/** How long a lease outlives the stack deadline: room for retries and the last look. */
const leaseMarginSeconds = 600;

/** The lease of a slot: the stack deadline plus {@link leaseMarginSeconds}. */
export function slotLeaseSeconds(stackTimeoutSeconds: number): number {
  return stackTimeoutSeconds + leaseMarginSeconds;
}

/** Key of slot `slot` (0-based); padded so the sort key orders numerically. */
export function slotKey(slot: number): { pk: string; sk: string } {
  return { pk: stackOperationsPartition, sk: `${slotPrefix}${String(slot).padStart(4, '0')}` };
}

/** How many slots there are and how long a lease lasts. */
export interface StackSlotPolicy {
  /** MAX_STACK_OPERATIONS: slots 0..limit-1 exist. */
  readonly limit: number;
  readonly leaseSeconds: number;
}

/** The slot a tenant holds after {@link StackSlots.acquire}. */
export interface HeldSlot {
  readonly slot: number;
  /** True when the tenant already held it (its lease was renewed). */
  readonly renewed: boolean;
  /** The tenant whose expired lease was taken over, if any. */
  readonly reclaimedFrom?: string;
}

interface SlotItem {
  readonly slot: number;
  readonly holder?: string;
  readonly expiresAt?: number;
}

function epochSeconds(now: Date): number {
  return Math.floor(now.getTime() / 1000);
}

/** Operations shared by the full adapter and the release-only one. */
function slotTable(tableName: string) {
  const db = () => dynamoDbDocumentClient();

  /** Every slot item (optionally only the tenant's), read consistently across pages. */
  async function querySlots(tenantId: string | undefined, operation: string): Promise<SlotItem[]> {
    let found: Record<string, unknown>[];
    try {
      found = await queryAllItems({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ...(tenantId !== undefined ? { FilterExpression: '#holder = :tenantId' } : {}),
        ProjectionExpression: 'sk, #holder, #expiresAt',
        ExpressionAttributeNames: { '#holder': 'holder', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: {
          ':pk': stackOperationsPartition,
          ':prefix': slotPrefix,
          ...(tenantId !== undefined ? { ':tenantId': tenantId } : {}),
        },
        ConsistentRead: true,
      });
    } catch (error) {
      return rethrowAwsError(error, operation);
    }
    const items: SlotItem[] = found.map((item) => ({
      slot: Number(String(item.sk).slice(slotPrefix.length)),
      ...(typeof item.holder === 'string' ? { holder: item.holder } : {}),
      ...(typeof item.expiresAt === 'number' ? { expiresAt: item.expiresAt } : {}),
    }));
    return items.sort((a, b) => a.slot - b.slot);
  }

  /**
   * Frees every slot the tenant holds; returns the slots freed. Each delete is conditional on
   * the tenant still holding it: a slot another tenant reclaimed meanwhile is not touched.
   */
  async function release(tenantId: string): Promise<number[]> {
    const held = await querySlots(tenantId, 'Query held stack operation slots');
    const released: number[] = [];
    for (const { slot } of held) {
      try {
        await db().send(
          new DeleteCommand({
            TableName: tableName,
            Key: slotKey(slot),
            ConditionExpression: '#holder = :tenantId',
            ExpressionAttributeNames: { '#holder': 'holder' },
            ExpressionAttributeValues: { ':tenantId': tenantId },
          }),
        );
        released.push(slot);
      } catch (error) {
        if (!isConditionFailure(error)) rethrowAwsError(error, 'release stack operation slot');
      }
    }
    return released;
  }

  return { db, querySlots, release };
}

/** Release only: for the failure reporter, which frees a failed execution's slot. */
export function createStackSlotRelease(tableName: string) {
  const { release } = slotTable(tableName);
  return { release };
}

/** Acquire and release stack-operation slots on the registry table. */
export function createStackSlots(tableName: string, policy: StackSlotPolicy) {
  const { db, querySlots, release } = slotTable(tableName);

  /** Renews the tenant's lease on a slot it holds; false when another tenant has reclaimed it. */
  async function renew(slot: number, tenantId: string, executionArn: string, expiresAt: number): Promise<boolean> {
    try {
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: slotKey(slot),
          UpdateExpression: 'SET #executionArn = :executionArn, #expiresAt = :expiresAt',
          ConditionExpression: '#holder = :tenantId',
          ExpressionAttributeNames: { '#holder': 'holder', '#executionArn': 'executionArn', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':executionArn': executionArn, ':expiresAt': expiresAt, ':tenantId': tenantId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      return rethrowAwsError(error, 'renew stack operation slot');
    }
  }

  /** Takes a free or expired slot; false when someone else took it first. */
  async function take(slot: number, tenantId: string, executionArn: string, now: Date): Promise<boolean> {
    const nowSeconds = epochSeconds(now);
    try {
      await db().send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...slotKey(slot),
            holder: tenantId,
            executionArn,
            acquiredAt: now.toISOString(),
            expiresAt: nowSeconds + policy.leaseSeconds,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt < :now',
          ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      return rethrowAwsError(error, 'take stack operation slot');
    }
  }

  /**
   * Makes sure the tenant holds a slot: keeps (and renews) one it holds already, else takes the
   * lowest free or expired one. Undefined when every slot is held: the tenant waits its turn.
   */
  async function acquire(tenantId: string, executionArn: string, now: Date): Promise<HeldSlot | undefined> {
    const nowSeconds = epochSeconds(now);
    const items = await querySlots(undefined, 'Query stack operation slots');
    const own = items.find((item) => item.holder === tenantId);
    if (own !== undefined && (await renew(own.slot, tenantId, executionArn, nowSeconds + policy.leaseSeconds))) {
      return { slot: own.slot, renewed: true };
    }
    const bySlot = new Map(items.map((item) => [item.slot, item]));
    for (let slot = 0; slot < policy.limit; slot += 1) {
      const item = bySlot.get(slot);
      const free = item === undefined || (item.expiresAt ?? 0) < nowSeconds;
      if (!free || !(await take(slot, tenantId, executionArn, now))) continue;
      const reclaimedFrom = item?.holder !== undefined && item.holder !== tenantId ? item.holder : undefined;
      return { slot, renewed: false, ...(reclaimedFrom !== undefined ? { reclaimedFrom } : {}) };
    }
    return undefined;
  }

  return { acquire, release };
}
