import { describe, expect, it } from 'vitest';
import {
  decideAccept,
  lockHolderToCheck,
  tenantSnapshot,
  type AcceptRequest,
} from '../../../../functions/accept-request/decide.ts';
import {
  SupersededError,
  TenantAlreadyActiveError,
  TenantBusyError,
  TenantNotOnboardedError,
} from '../../../../functions/shared/step/errors.ts';
import type { OperationLock, TenantRecord } from '../../../../functions/shared/registry/tenants.ts';

const tenantId = 't-1';
const thisExecution = 'arn:aws:states:us-east-1:111122223333:execution:tenant-suspension:this';
const otherExecution = 'arn:aws:states:us-east-1:111122223333:execution:tenant-suspension:other';

const suspend: AcceptRequest = {
  operation: 'deactivation',
  tenantId,
  registrationId: 'reg-1',
  executionArn: thisExecution,
  requestedAt: '2026-11-20T10:00:00Z',
};
const resume: AcceptRequest = { ...suspend, operation: 'activation' };

function record(overrides: Partial<TenantRecord> = {}): TenantRecord {
  return {
    tenantId,
    status: 'ACTIVE',
    completed: { 'onboarding#reg-1': '2026-11-20T09:30:00.000Z' },
    version: 7,
    createdAt: '2026-11-20T09:00:00.000Z',
    updatedAt: '2026-11-20T09:30:00.000Z',
    lastRequestAt: '2026-11-20T09:00:00Z',
    ...overrides,
  };
}

function lock(overrides: Partial<OperationLock> = {}): OperationLock {
  return {
    operation: 'deactivation',
    registrationId: 'reg-1',
    executionArn: otherExecution,
    acquiredAt: '2026-11-20T09:59:00.000Z',
    ...overrides,
  };
}

function refusal(decision: ReturnType<typeof decideAccept>): Error | undefined {
  return decision.action === 'reject' ? decision.error : undefined;
}

describe('decideAccept: suspend (deactivation) and resume (activation)', () => {
  it('suspends an active tenant and resumes a suspended one, taking the lock', () => {
    expect(decideAccept(record(), suspend, false)).toEqual({
      action: 'acquire',
      status: 'SUSPENDING',
      expectedVersion: 7,
    });
    expect(decideAccept(record({ status: 'SUSPENDED' }), resume, false)).toEqual({
      action: 'acquire',
      status: 'RESUMING',
      expectedVersion: 7,
    });
  });

  it('takes the lock but changes nothing for a tenant already in the state asked for', () => {
    expect(decideAccept(record({ status: 'SUSPENDED' }), suspend, false)).toEqual({
      action: 'unchanged',
      status: 'SUSPENDING',
      expectedVersion: 7,
    });
    expect(decideAccept(record(), resume, false)).toEqual({
      action: 'unchanged',
      status: 'RESUMING',
      expectedVersion: 7,
    });
  });

  it('refuses an unknown tenant, writing nothing', () => {
    const error = refusal(decideAccept(undefined, suspend, false));

    expect(error).toBeInstanceOf(TenantNotOnboardedError);
    expect(error?.message).toBe('tenant t-1 is not onboarded here');
  });

  it('refuses an offboarded tenant, and a tombstone (an offboarding of a tenant never onboarded)', () => {
    expect(refusal(decideAccept(record({ status: 'DELETED' }), resume, false))?.message).toBe(
      'tenant t-1 was offboarded',
    );
    expect(
      refusal(decideAccept(record({ status: 'DELETED', tombstoneExpiresAt: 1_900_000_000 }), suspend, false))?.message,
    ).toBe('tenant t-1 is not onboarded here');
  });

  it('refuses a tenant whose onboarding failed (the failed holder is not taken over)', () => {
    const failed = record({ status: 'ONBOARDING', lock: lock({ operation: 'onboarding' }) });

    const error = refusal(decideAccept(failed, suspend, false));

    expect(error).toBeInstanceOf(TenantNotOnboardedError);
    expect(error?.message).toBe('tenant t-1 is not onboarded: its onboarding did not complete');
  });

  it('refuses a tenant whose offboarding failed', () => {
    const failed = record({ status: 'OFFBOARDING', lock: lock({ operation: 'offboarding' }) });

    expect(refusal(decideAccept(failed, resume, false))?.message).toBe(
      'tenant t-1 is being offboarded: its offboarding did not complete',
    );
  });

  it('is busy while another operation runs, and a duplicate while the same request runs', () => {
    const offboarding = record({ status: 'OFFBOARDING', lock: lock({ operation: 'offboarding' }) });
    const suspending = record({ status: 'SUSPENDING', lock: lock() });

    expect(refusal(decideAccept(offboarding, suspend, true))).toBeInstanceOf(TenantBusyError);
    expect(refusal(decideAccept(suspending, resume, true))).toBeInstanceOf(TenantBusyError);
    expect(decideAccept(suspending, suspend, true)).toEqual({ action: 'duplicate', reason: 'in-progress' });
  });

  it('takes over a failed suspend or resume, whichever is asked now', () => {
    const failed = record({ status: 'SUSPENDING', lock: lock() });

    expect(decideAccept(failed, resume, false)).toEqual({
      action: 'acquire',
      status: 'RESUMING',
      expectedVersion: 7,
      takeover: lock(),
    });
  });

  it('supersedes a request older than the one already accepted', () => {
    const later = record({ status: 'SUSPENDED', lastRequestAt: '2026-11-20T11:00:00Z' });

    expect(refusal(decideAccept(later, resume, false))).toBeInstanceOf(SupersededError);
  });

  it('suspends again under the same registration after a resume: the earlier completion is no duplicate', () => {
    const resumed = record({
      completed: { 'deactivation#reg-1': '2026-11-20T09:40:00.000Z', 'activation#reg-1': '2026-11-20T09:50:00.000Z' },
    });

    expect(decideAccept(resumed, suspend, false)).toEqual({
      action: 'acquire',
      status: 'SUSPENDING',
      expectedVersion: 7,
    });
  });

  it('looks up the lock holder even when the registration completed a suspension before', () => {
    const held = record({ completed: { 'deactivation#reg-1': '2026-11-20T09:40:00.000Z' }, lock: lock() });

    expect(lockHolderToCheck(held, suspend)).toBe(otherExecution);
  });

  it('proceeds when this execution holds the lock (a retry of the accept step)', () => {
    expect(
      decideAccept(record({ status: 'SUSPENDING', lock: lock({ executionArn: thisExecution }) }), suspend, false),
    ).toEqual({
      action: 'proceed',
    });
  });
});

describe('decideAccept: onboarding a tenant that is onboarded but suspended', () => {
  const onboarding: AcceptRequest = { ...suspend, operation: 'onboarding', registrationId: 'reg-2' };

  it('refuses a suspended tenant like an active one', () => {
    expect(refusal(decideAccept(record({ status: 'SUSPENDED' }), onboarding, false))).toBeInstanceOf(
      TenantAlreadyActiveError,
    );
  });

  it('never takes over a failed suspension', () => {
    const failed = record({ status: 'SUSPENDING', lock: lock() });

    expect(refusal(decideAccept(failed, onboarding, false))).toBeInstanceOf(TenantAlreadyActiveError);
  });
});

describe('tenantSnapshot for suspend and resume', () => {
  it('carries the recorded rule and forward target group (pool), which offboarding does not need', () => {
    const pool = record({
      plan: { tier: 'basic', isolationModel: 'pool', stacks: [] },
      route: {
        listenerArn: 'arn:listener',
        priority: 3,
        ruleArn: 'arn:rule',
        targetGroupArn: 'arn:tg',
        style: 'host',
        value: 't-1.example.com',
      },
    });

    expect(tenantSnapshot(pool, 'deactivation')).toEqual({
      tier: 'basic',
      isolationModel: 'pool',
      stacks: [],
      route: { ruleArn: 'arn:rule', targetGroupArn: 'arn:tg' },
    });
    expect(tenantSnapshot(pool, 'offboarding')).toEqual({ tier: 'basic', isolationModel: 'pool', stacks: [] });
  });
});
