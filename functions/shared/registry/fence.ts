/**
 * The fence: the proof a step carries that it may change a tenant (its execution and redrive
 * attempt), and the DynamoDB condition that checks it in the same write that makes the change.
 */
import { SupersededError } from '../step/errors.ts';

/**
 * The proof a step carries that it may change the tenant: its execution and redrive attempt.
 * Every write that needs the lock is conditioned on it (see {@link fenceCondition}).
 */
export interface Fence {
  readonly executionArn: string;
  readonly attempt: number;
}

/** The fence of a step: its request's execution and the attempt the workflow passed (absent before redrives existed: 0). */
export function fenceOf(request: { readonly executionArn: string }, redriveCount: number | undefined): Fence {
  return { executionArn: request.executionArn, attempt: redriveCount ?? 0 };
}

/**
 * The condition that proves the fence holds the tenant's lock (this execution, and no later
 * attempt of it has written), with its names and values. The registry's locked updates also raise
 * the lock's attempt to the fence's in the same write, so an earlier attempt is refused from then on.
 */
export function fenceCondition(fence: Fence): {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  return {
    expression:
      '(#lock.#executionArn = :fenceArn AND (attribute_not_exists(#lock.#attempt) OR #lock.#attempt <= :fenceAttempt))',
    names: { '#lock': 'lock', '#executionArn': 'executionArn', '#attempt': 'attempt' },
    values: { ':fenceArn': fence.executionArn, ':fenceAttempt': fence.attempt },
  };
}

/**
 * {@link fenceCondition} read from a record in hand: true when the fence holds the lock (for
 * deciding what to do after that condition failed, never instead of it).
 */
export function holdsLock(
  record: { readonly lock?: { readonly executionArn: string; readonly attempt?: number } } | undefined,
  fence: Fence,
): boolean {
  return record?.lock?.executionArn === fence.executionArn && (record.lock.attempt ?? 0) <= fence.attempt;
}

/** The error a step throws when its fence no longer holds the tenant. */
export function superseded(tenantId: string, fence: Fence, cause?: unknown): SupersededError {
  return new SupersededError(
    `Execution ${fence.executionArn} (attempt ${fence.attempt}) no longer holds the lock of tenant ${tenantId}: a newer operation or attempt took it over`,
    cause === undefined ? undefined : { cause },
  );
}

/** An update of the tenant record made while holding its lock: what to set and remove besides the fence's own fields. */
export interface LockedUpdate {
  readonly sets?: readonly string[];
  readonly removes?: readonly string[];
  readonly names?: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, unknown>>;
  /** Conditions beyond the fence, ANDed with it. */
  readonly condition?: string;
}
