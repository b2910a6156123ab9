import { describe, expect, it } from 'vitest';
import {
  decideFailureReply,
  isSupersededAttempt,
  type FailedExecution,
} from '../../../../functions/report-failure/supersession.ts';
import type { OperationLock, TenantRecord } from '../../../../functions/shared/registry/tenants.ts';

const failedExecution = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:failed';
const otherExecution = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:other';

/** The failed execution: registration reg-1, requested at 10:00, started at 10:00:05. */
const failed: FailedExecution = {
  executionArn: failedExecution,
  registrationId: 'reg-1',
  requestedAt: '2026-11-20T10:00:00Z',
  startedAt: '2026-11-20T10:00:05.000Z',
};

function record(overrides: Partial<TenantRecord> = {}): TenantRecord {
  return {
    tenantId: 't1',
    status: 'ONBOARDING',
    completed: {},
    lastRequestAt: '2026-11-20T10:00:00Z',
    version: 3,
    createdAt: '2026-11-20T09:00:00.000Z',
    updatedAt: '2026-11-20T10:00:06.000Z',
    ...overrides,
  };
}

function lock(overrides: Partial<OperationLock> = {}): OperationLock {
  return {
    operation: 'onboarding',
    registrationId: 'reg-1',
    executionArn: failedExecution,
    acquiredAt: '2026-11-20T10:00:06.000Z',
    ...overrides,
  };
}

describe('decideFailureReply', () => {
  it('replies when the execution completed the registration itself and failed at the success reply', () => {
    const completed = { 'onboarding#reg-1': '2026-11-20T10:03:00.000Z' };
    const own = record({
      status: 'ACTIVE',
      completed,
      lastCompletion: { key: 'onboarding#reg-1', executionArn: failedExecution, at: '2026-11-20T10:03:00.000Z' },
    });
    const others = record({
      status: 'ACTIVE',
      completed,
      lastCompletion: { key: 'onboarding#reg-1', executionArn: otherExecution, at: '2026-11-20T10:03:00.000Z' },
    });

    expect(decideFailureReply(own, failed)).toEqual({ reply: true, holdsLock: false });
    expect(decideFailureReply(others, failed)).toEqual({
      reply: false,
      superseded: 'registration-completed',
      by: 'onboarding#reg-1',
    });
  });

  it('replies, noting the failure, while the execution holds the lock', () => {
    expect(decideFailureReply(record({ lock: lock() }), failed)).toEqual({ reply: true, holdsLock: true });
  });

  it('replies while holding the lock even when the record says a later request came (the lock decides)', () => {
    const decision = decideFailureReply(record({ lock: lock(), lastRequestAt: '2026-11-20T11:00:00Z' }), failed);

    expect(decision).toEqual({ reply: true, holdsLock: true });
  });

  it('does not reply when another execution holds the lock for the same registration', () => {
    const decision = decideFailureReply(record({ lock: lock({ executionArn: otherExecution }) }), failed);

    expect(decision).toEqual({ reply: false, superseded: 'lock-held-for-registration', by: otherExecution });
  });

  it.each(['onboarding', 'offboarding'])(
    'does not reply when the registration completed (%s) after the execution started',
    (operation) => {
      const decision = decideFailureReply(
        record({ status: 'ACTIVE', completed: { [`${operation}#reg-1`]: '2026-11-20T10:05:00.000Z' } }),
        failed,
      );

      expect(decision).toEqual({ reply: false, superseded: 'registration-completed', by: `${operation}#reg-1` });
    },
  );

  it('replies when the registration completed before the execution started (an earlier run, not an answer to this one)', () => {
    const decision = decideFailureReply(
      record({ completed: { 'onboarding#reg-1': '2026-11-20T09:00:00.000Z' } }),
      failed,
    );

    expect(decision).toEqual({ reply: true, holdsLock: false });
  });

  it('does not reply when a request later than this one was accepted for the tenant', () => {
    const decision = decideFailureReply(
      record({
        lock: lock({ registrationId: 'reg-2', executionArn: otherExecution }),
        lastRequestAt: '2026-11-20T10:00:01Z',
      }),
      failed,
    );

    expect(decision).toEqual({ reply: false, superseded: 'later-request-accepted' });
  });

  it('replies to a request refused while another registration holds the tenant (tenant busy too long)', () => {
    const decision = decideFailureReply(
      record({
        lock: lock({ registrationId: 'reg-2', executionArn: otherExecution }),
        lastRequestAt: '2026-11-20T09:59:00Z',
      }),
      failed,
    );

    expect(decision).toEqual({ reply: true, holdsLock: false });
  });

  it('replies when there is no record (a request refused before it took the lock: invalid, unknown tier)', () => {
    expect(decideFailureReply(undefined, failed)).toEqual({ reply: true, holdsLock: false });
  });

  it("other registrations' completions decide nothing", () => {
    const decision = decideFailureReply(
      record({
        completed: { 'onboarding#reg-10': '2026-11-20T10:05:00.000Z', 'offboarding#reg': '2026-11-20T10:05:00.000Z' },
      }),
      failed,
    );

    expect(decision).toEqual({ reply: true, holdsLock: false });
  });

  it('unknown or malformed times decide nothing (the failure is replied)', () => {
    const noTimes: FailedExecution = { executionArn: failedExecution, registrationId: 'reg-1' };
    const later = record({
      completed: { 'onboarding#reg-1': '2026-11-20T10:05:00.000Z' },
      lastRequestAt: '2026-11-20T11:00:00Z',
    });

    expect(decideFailureReply(later, noTimes)).toEqual({ reply: true, holdsLock: false });
    expect(decideFailureReply(record({ lastRequestAt: 'not a time' }), failed)).toEqual({
      reply: true,
      holdsLock: false,
    });
  });

  it('a request at the same time as the accepted one is not superseded by it', () => {
    expect(decideFailureReply(record({ lastRequestAt: failed.requestedAt }), failed)).toEqual({
      reply: true,
      holdsLock: false,
    });
  });
});

describe('isSupersededAttempt', () => {
  it.each(['RUNNING', 'PENDING_REDRIVE', 'SUCCEEDED'] as const)(
    'a failure is superseded when the execution is %s now',
    (status) => {
      expect(isSupersededAttempt({ status, redriveCount: 0 }, { redriveCount: 0 })).toBe(true);
    },
  );

  it('a failure of an earlier attempt is superseded by the later attempt, even one that failed too', () => {
    expect(isSupersededAttempt({ status: 'FAILED', redriveCount: 2 }, { redriveCount: 1 })).toBe(true);
  });

  it.each(['FAILED', 'TIMED_OUT', 'ABORTED'] as const)(
    'the current attempt that ended %s is not superseded',
    (status) => {
      expect(isSupersededAttempt({ status, redriveCount: 1 }, { redriveCount: 1 })).toBe(false);
    },
  );

  it('an unknown attempt is compared by status only', () => {
    expect(isSupersededAttempt({ status: 'FAILED', redriveCount: 3 }, { redriveCount: null })).toBe(false);
    expect(isSupersededAttempt({ status: 'FAILED' }, { redriveCount: 0 })).toBe(false);
  });
});
