/**
 * What the accept step does with a request, given the tenant's registry record: the rules that
 * keep one lifecycle operation per tenant in flight and make a redelivered request a no-op.
 * Pure: the handler reads the record (and the lock holder's status) and acts on the decision.
 */
import type { Operation } from '../../events/contract.ts';
import { SupersededError, TenantAlreadyActiveError, TenantBusyError } from '../shared/step/errors.ts';
import { completionKey, TenantStatus, type OperationLock, type TenantRecord } from '../shared/registry/tenants.ts';
import type { TenantSnapshot, WorkflowRequest } from '../shared/step/schemas.ts';

/** The request fields the decision depends on. */
export type AcceptRequest = Pick<
  WorkflowRequest,
  'operation' | 'tenantId' | 'registrationId' | 'executionArn' | 'requestedAt'
>;

/** The status a tenant takes while an operation holds it. */
const statusDuringOperation: Record<Operation, TenantStatus> = {
  onboarding: TenantStatus.onboarding,
  offboarding: TenantStatus.offboarding,
};

/** The status an operation leaves the tenant in. */
const statusAfterOperation: Record<Operation, TenantStatus> = {
  onboarding: TenantStatus.active,
  offboarding: TenantStatus.deleted,
};

/** What the handler does with a request: write the lock, go on, end quietly, or throw. */
export type AcceptDecision =
  /**
   * Take the lock (create the record when `expectedVersion` is undefined). `takeover` names the
   * stale holder. `tombstone`: the record is (or stays) a tombstone, which expires; an offboarding
   * of a tenant never onboarded leaves one, so an older onboarding arriving later is refused.
   */
  | {
      readonly action: 'acquire';
      readonly status: TenantStatus;
      readonly expectedVersion?: number;
      readonly takeover?: OperationLock;
      readonly tombstone?: boolean;
    }
  /** This execution already holds the lock (a retry or redrive of the accept step): go on, proving it with a fenced write. */
  | { readonly action: 'proceed' }
  /** Another execution handles or handled this very request: end quietly, reply nothing. */
  | { readonly action: 'duplicate'; readonly reason: 'completed' | 'in-progress' }
  /** This request was carried out and the tenant is still in its end state: confirm with the success reply. */
  | { readonly action: 'confirm' }
  /** The request cannot go ahead now (busy) or at all; the handler throws the error. */
  | {
      readonly action: 'reject';
      readonly error: TenantAlreadyActiveError | TenantBusyError | SupersededError;
    };

/**
 * The execution whose status the decision needs: the lock holder, when another execution
 * holds the lock and the request has not already completed. Undefined when no lookup is needed.
 */
export function lockHolderToCheck(record: TenantRecord | undefined, request: AcceptRequest): string | undefined {
  if (record?.lock === undefined) return undefined;
  if (record.completed[completionKey(request.operation, request.registrationId)] !== undefined) return undefined;
  if (record.lock.executionArn === request.executionArn) return undefined;
  return record.lock.executionArn;
}

/**
 * Decides what to do with a request. `holderRunning` is whether the execution holding the lock
 * is still running (RUNNING or PENDING_REDRIVE); it only matters when another execution holds it.
 */
export function decideAccept(
  record: TenantRecord | undefined,
  request: AcceptRequest,
  holderRunning: boolean,
): AcceptDecision {
  const { operation, tenantId } = request;
  const status = statusDuringOperation[operation];
  if (record === undefined) {
    // Offboarding a tenant never onboarded here is a success with nothing to delete; its tombstone
    // remembers the request time, so an older onboarding that arrives later builds nothing.
    return operation === 'offboarding' ? { action: 'acquire', status, tombstone: true } : { action: 'acquire', status };
  }

  if (record.completed[completionKey(operation, request.registrationId)] !== undefined) {
    // The reply step may have failed after the operation completed. Sending the request again
    // then confirms it (the reply is idempotent), unless a later operation has changed the tenant.
    const stillInEndState = record.lock === undefined && record.status === statusAfterOperation[operation];
    return stillInEndState ? { action: 'confirm' } : { action: 'duplicate', reason: 'completed' };
  }

  const { lock } = record;
  if (lock?.executionArn === request.executionArn) return { action: 'proceed' };
  const tombstone = record.tombstoneExpiresAt !== undefined;
  // EventBridge times have one-second resolution: an onboarding in the same second as the
  // offboarding that left the tombstone cannot be shown to be newer, so it is refused too.
  if (
    isOlder(request.requestedAt, record.lastRequestAt) ||
    (tombstone && operation === 'onboarding' && !isNewer(request.requestedAt, record.lastRequestAt))
  ) {
    return {
      action: 'reject',
      error: new SupersededError(
        `${operation} request of ${request.requestedAt ?? 'unknown time'} for tenant ${tenantId} is not newer than the ${record.lastRequestAt} request already accepted; it would undo a later decision`,
      ),
    };
  }
  if (lock !== undefined) {
    if (holderRunning) {
      if (lock.operation === operation && lock.registrationId === request.registrationId) {
        return { action: 'duplicate', reason: 'in-progress' };
      }
      return { action: 'reject', error: busy(tenantId, lock) };
    }
    // The holder failed, timed out or was aborted: this request replays it or cleans up after it.
    return {
      action: 'acquire',
      status,
      expectedVersion: record.version,
      takeover: lock,
      ...tombstoneOf(record, operation),
    };
  }

  if (operation === 'onboarding' && record.status === TenantStatus.active) {
    return {
      action: 'reject',
      error: new TenantAlreadyActiveError(`tenant ${tenantId} is active; offboard it first`),
    };
  }
  // Offboarding a DELETED tenant also goes ahead: it converges on nothing and replies deleted.
  return { action: 'acquire', status, expectedVersion: record.version, ...tombstoneOf(record, operation) };
}

/** A tombstone stays one (with a fresh expiry) through another offboarding; an onboarding makes it a tenant for good. */
function tombstoneOf(record: TenantRecord, operation: Operation): { tombstone?: true } {
  return record.tombstoneExpiresAt !== undefined && operation === 'offboarding' ? { tombstone: true } : {};
}

/** True when `requestedAt` is strictly newer than `latest`; an unknown time on either side is not. */
export function isNewer(requestedAt: string | undefined, latest: string | undefined): boolean {
  if (requestedAt === undefined || latest === undefined) return latest === undefined;
  const request = Date.parse(requestedAt);
  const accepted = Date.parse(latest);
  return Number.isFinite(request) && Number.isFinite(accepted) && request > accepted;
}

/**
 * True when `requestedAt` is strictly older than `latest`. Requests arriving together are ordered
 * by their event time; equal or unknown times are not stale (they are served in arrival order).
 */
export function isOlder(requestedAt: string | undefined, latest: string | undefined): boolean {
  if (requestedAt === undefined || latest === undefined) return false;
  const request = Date.parse(requestedAt);
  const accepted = Date.parse(latest);
  return Number.isFinite(request) && Number.isFinite(accepted) && request < accepted;
}

/** The error when a concurrent writer kept winning the lock race; the workflow retries it. */
export function busy(
  tenantId: string,
  lock?: Pick<OperationLock, 'operation' | 'registrationId' | 'executionArn'>,
): TenantBusyError {
  if (lock === undefined) {
    return new TenantBusyError(`tenant ${tenantId} is busy: its registry record kept changing while taking the lock`);
  }
  return new TenantBusyError(
    `tenant ${tenantId} is busy: ${lock.operation} of registration ${lock.registrationId} is running in execution ${lock.executionArn}`,
  );
}

/** What offboarding must remove, as the registry recorded it at onboarding. */
export function tenantSnapshot(record: TenantRecord): TenantSnapshot {
  const tier = record.plan?.tier ?? record.tier;
  const isolationModel = record.plan?.isolationModel;
  return {
    ...(tier !== undefined ? { tier } : {}),
    ...(isolationModel !== undefined ? { isolationModel } : {}),
    stacks: (record.plan?.stacks ?? []).map((stack) => ({ stackName: stack.stackName })),
  };
}
