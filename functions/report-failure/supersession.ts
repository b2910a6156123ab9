/**
 * Whether a failed execution still deserves a failure reply, given the tenant's registry record:
 * a later decision about the same registration (another execution running it, a completion, a
 * newer request accepted for the tenant) must not be contradicted by an older failure, which the
 * failure reporter or the sweep may only see minutes later. Pure: the reporter reads the record.
 */
import { Operation } from '../../events/contract.ts';
import type { ExecutionStatus } from '../shared/aws/executions.ts';
import { completionKey, type TenantRecord } from '../shared/registry/tenants.ts';
import { reportedStatuses } from './failure.ts';

/** The failed execution, as the decision needs it. */
export interface FailedExecution {
  readonly executionArn: string;
  /** The registration its request was for. */
  readonly registrationId: string;
  /** The request's event time (ISO 8601), when it had one. */
  readonly requestedAt?: string;
  /** When the execution started (ISO 8601). */
  readonly startedAt?: string;
}

/** Why a failure is not replied to. */
export const SupersededBecause = {
  /** The execution was redriven since: that attempt runs, succeeded, or is the one to report. */
  redriven: 'redriven',
  /** Another execution holds the tenant's lock for the same registration (a replay, a re-sent request). */
  lockHeldForRegistration: 'lock-held-for-registration',
  /** The registration completed (either operation) after this execution started. */
  registrationCompleted: 'registration-completed',
  /** The tenant accepted a request with a later event time than this execution's request. */
  laterRequestAccepted: 'later-request-accepted',
} as const;
export type SupersededBecause = (typeof SupersededBecause)[keyof typeof SupersededBecause];

export type FailureReplyDecision =
  /** Reply. `holdsLock`: the execution still holds the tenant's lock, so the failure is noted on the record. */
  | { readonly reply: true; readonly holdsLock: boolean }
  /** A later decision already answers the registration: send nothing. */
  | { readonly reply: false; readonly superseded: SupersededBecause; readonly by?: string };

/**
 * True when the failure being reported is not the execution's current state: the execution is
 * RUNNING, PENDING_REDRIVE or SUCCEEDED now (only a redrive gets a stopped execution there), or
 * it is in a later attempt (`redriveCount`) than the one reported. Status events are delivered
 * best effort and possibly out of order, and a redrive reuses the ARN
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html), so a failure
 * event can arrive after a redrive already succeeded. An unknown reported attempt compares as
 * current: the execution's present failure is then the one replied to.
 */
export function isSupersededAttempt(
  current: { readonly status: ExecutionStatus; readonly redriveCount?: number },
  reported: { readonly redriveCount?: number | null },
): boolean {
  if (!(reportedStatuses as readonly string[]).includes(current.status)) return true;
  const reportedAttempt = reported.redriveCount ?? undefined;
  return reportedAttempt !== undefined && current.redriveCount !== undefined && reportedAttempt < current.redriveCount;
}

/**
 * Decides whether the failure of `execution` is replied to.
 *
 * Reply when the execution still holds the tenant's lock, or completed its operation last and failed
 * at the success reply. Otherwise, do not reply when
 * (a) another execution holds the lock for the same registration, (b) the registration has a
 * completion later than the execution's start, or (c) the record's last accepted request is later
 * than the execution's request. Otherwise reply: e.g. a request refused before it ever took the
 * lock (invalid input, unknown tier, tenant busy for too long), or no record at all.
 */
export function decideFailureReply(record: TenantRecord | undefined, execution: FailedExecution): FailureReplyDecision {
  if (record === undefined) return { reply: true, holdsLock: false };
  const { lock } = record;
  if (lock?.executionArn === execution.executionArn) return { reply: true, holdsLock: true };
  if (lock !== undefined && lock.registrationId === execution.registrationId) {
    return { reply: false, superseded: SupersededBecause.lockHeldForRegistration, by: lock.executionArn };
  }
  // The execution completed its operation and then failed, at the success reply: its reply never
  // went out, so the failure reply tells the operator to redrive it (the redrive sends the success).
  if (lock === undefined && record.lastCompletion?.executionArn === execution.executionArn)
    return { reply: true, holdsLock: false };
  for (const operation of Object.values(Operation)) {
    const completedAt = record.completed[completionKey(operation, execution.registrationId)];
    if (isLater(completedAt, execution.startedAt)) {
      return {
        reply: false,
        superseded: SupersededBecause.registrationCompleted,
        by: completionKey(operation, execution.registrationId),
      };
    }
  }
  if (isLater(record.lastRequestAt, execution.requestedAt)) {
    return { reply: false, superseded: SupersededBecause.laterRequestAccepted };
  }
  return { reply: true, holdsLock: false };
}

/** True when both times parse and `time` is strictly later than `reference`; an unknown time decides nothing. */
function isLater(time: string | undefined, reference: string | undefined): boolean {
  if (time === undefined || reference === undefined) return false;
  const at = Date.parse(time);
  const since = Date.parse(reference);
  return Number.isFinite(at) && Number.isFinite(since) && at > since;
}
