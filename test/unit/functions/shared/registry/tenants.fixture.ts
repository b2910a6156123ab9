/**
 * The fenced registry writes as the steps send them, spelled out so a test states the exact SDK
 * input. Every write made under a tenant's lock carries the fence's condition (this execution, at
 * this redrive attempt or a later one), raises the record's version, and asks for the record as
 * written; the update expression itself is written out by each caller.
 */

/** The proof a step carries: its execution and its redrive attempt. */
export interface TestFence {
  readonly executionArn: string;
  readonly attempt: number;
}

/** The condition that the fence holds the lock: same execution, and the lock's attempt not above the fence's. */
export const fenceConditionExpression =
  '(#lock.#executionArn = :fenceArn AND (attribute_not_exists(#lock.#attempt) OR #lock.#attempt <= :fenceAttempt))';

/** holdLock's update: nothing but the version, the time and the lock's attempt. */
const lockHoldExpression = 'SET #version = #version + :one, #updatedAt = :now, #lock.#attempt = :fenceAttempt';

/** Matches holdLock's UpdateCommand (and no other write), for `ddb.on(UpdateCommand, lockHoldMatch)`. */
export const lockHoldMatch = { UpdateExpression: lockHoldExpression };

/** The exact UpdateCommand input of a write under the tenant's lock. */
export function fencedUpdate(
  target: { readonly tableName: string; readonly tenantId: string },
  fence: TestFence,
  now: string,
  update: {
    readonly expression: string;
    readonly condition?: string;
    readonly names?: Record<string, string>;
    readonly values?: Record<string, unknown>;
  },
) {
  return {
    TableName: target.tableName,
    Key: { pk: `TENANT#${target.tenantId}`, sk: 'TENANT' },
    UpdateExpression: update.expression,
    ConditionExpression:
      update.condition === undefined ? fenceConditionExpression : `${fenceConditionExpression} AND ${update.condition}`,
    ExpressionAttributeNames: {
      '#lock': 'lock',
      '#executionArn': 'executionArn',
      '#attempt': 'attempt',
      '#version': 'version',
      '#updatedAt': 'updatedAt',
      ...update.names,
    },
    ExpressionAttributeValues: {
      ':fenceArn': fence.executionArn,
      ':fenceAttempt': fence.attempt,
      ':one': 1,
      ':now': now,
      ...update.values,
    },
    ReturnValues: 'ALL_NEW',
  };
}

/** The exact UpdateCommand input of holdLock. */
export function lockHold(
  target: { readonly tableName: string; readonly tenantId: string },
  fence: TestFence,
  now: string,
) {
  return fencedUpdate(target, fence, now, { expression: lockHoldExpression });
}
