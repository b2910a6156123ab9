import { describe, expect, it } from 'vitest';
import {
  decideAccept,
  isNewer,
  isOlder,
  lockHolderToCheck,
  tenantSnapshot,
  type AcceptRequest,
} from '../../../../functions/accept-request/decide.ts';
import {
  SupersededError,
  TenantAlreadyActiveError,
  TenantBusyError,
} from '../../../../functions/shared/step/errors.ts';
import { TenantStatus, type OperationLock, type TenantRecord } from '../../../../functions/shared/registry/tenants.ts';

const tenantId = '2f1c9d3e-6a44-4b7a-9a51-0c7d1e2f3a4b';
const thisExecution = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:this';
const otherExecution = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:other';

const onboarding: AcceptRequest = {
  operation: 'onboarding',
  tenantId,
  registrationId: 'reg-1',
  executionArn: thisExecution,
};
const offboarding: AcceptRequest = {
  operation: 'offboarding',
  tenantId,
  registrationId: 'reg-2',
  executionArn: thisExecution,
};

function record(overrides: Partial<TenantRecord> = {}): TenantRecord {
  return {
    tenantId,
    status: 'ACTIVE',
    completed: {},
    version: 7,
    createdAt: '2026-11-20T09:00:00.000Z',
    updatedAt: '2026-11-20T09:30:00.000Z',
    ...overrides,
  };
}

function lock(overrides: Partial<OperationLock> = {}): OperationLock {
  return {
    operation: 'onboarding',
    registrationId: 'reg-1',
    executionArn: otherExecution,
    acquiredAt: '2026-11-20T09:59:00.000Z',
    ...overrides,
  };
}

describe('decideAccept', () => {
  describe('no record', () => {
    it('onboarding acquires by creating the record', () => {
      expect(decideAccept(undefined, onboarding, false)).toEqual({ action: 'acquire', status: 'ONBOARDING' });
    });

    it('offboarding acquires by creating a tombstone: nothing to delete, but an older onboarding arriving later must build nothing', () => {
      expect(decideAccept(undefined, offboarding, false)).toEqual({
        action: 'acquire',
        status: 'OFFBOARDING',
        tombstone: true,
      });
    });
  });

  describe('request already completed', () => {
    it('onboarding of a completed registration of a still-active tenant is confirmed (the reply may have been lost)', () => {
      const done = record({ completed: { 'onboarding#reg-1': '2026-11-20T09:30:00.000Z' } });

      expect(decideAccept(done, onboarding, false)).toEqual({ action: 'confirm' });
    });

    it('onboarding of a completed registration of a tenant since offboarded is a plain duplicate', () => {
      const done = record({ status: 'DELETED', completed: { 'onboarding#reg-1': '2026-11-20T09:30:00.000Z' } });

      expect(decideAccept(done, onboarding, false)).toEqual({ action: 'duplicate', reason: 'completed' });
    });

    it('is a duplicate even when another operation holds the lock now', () => {
      const done = record({
        status: 'OFFBOARDING',
        completed: { 'onboarding#reg-1': '2026-11-20T09:30:00.000Z' },
        lock: lock({ operation: 'offboarding', registrationId: 'reg-2' }),
      });

      expect(decideAccept(done, onboarding, true)).toEqual({ action: 'duplicate', reason: 'completed' });
    });

    it('offboarding of a completed registration of a deleted tenant is confirmed', () => {
      const done = record({ status: 'DELETED', completed: { 'offboarding#reg-2': '2026-11-20T09:30:00.000Z' } });

      expect(decideAccept(done, offboarding, false)).toEqual({ action: 'confirm' });
    });

    it('completion of another operation of the same registration id does not count', () => {
      const done = record({ status: 'DELETED', completed: { 'onboarding#reg-2': '2026-11-20T09:30:00.000Z' } });

      expect(decideAccept(done, offboarding, false)).toEqual({
        action: 'acquire',
        status: 'OFFBOARDING',
        expectedVersion: 7,
      });
    });
  });

  describe('lock held by this execution', () => {
    it('proceeds without writing (a retry of the accept step)', () => {
      const held = record({ status: 'ONBOARDING', lock: lock({ executionArn: thisExecution }) });

      expect(decideAccept(held, onboarding, false)).toEqual({ action: 'proceed' });
    });
  });

  describe('lock held by another execution', () => {
    it('running, same operation and registration: duplicate (a redelivered event)', () => {
      const held = record({ status: 'ONBOARDING', lock: lock() });

      expect(decideAccept(held, onboarding, true)).toEqual({ action: 'duplicate', reason: 'in-progress' });
    });

    it('running, same registration but another operation: busy', () => {
      const held = record({ status: 'ONBOARDING', lock: lock({ registrationId: 'reg-2' }) });

      const decision = decideAccept(held, offboarding, true);

      expect(decision.action === 'reject' && decision.error).toBeInstanceOf(TenantBusyError);
    });

    it('running, another registration: busy, naming the holder operation, registration and execution', () => {
      const held = record({ status: 'OFFBOARDING', lock: lock({ operation: 'offboarding', registrationId: 'reg-9' }) });

      const decision = decideAccept(held, onboarding, true);

      expect(decision.action).toBe('reject');
      expect(decision.action === 'reject' && decision.error).toBeInstanceOf(TenantBusyError);
      expect(decision.action === 'reject' && decision.error.message).toBe(
        `tenant ${tenantId} is busy: offboarding of registration reg-9 is running in execution ${otherExecution}`,
      );
    });

    it('not running, same request: takes over (a replay)', () => {
      const held = record({ status: 'ONBOARDING', lock: lock() });

      expect(decideAccept(held, onboarding, false)).toEqual({
        action: 'acquire',
        status: 'ONBOARDING',
        expectedVersion: 7,
        takeover: lock(),
      });
    });

    it('not running, another operation: takes over (cleanup of a failed operation)', () => {
      const held = record({ status: 'ONBOARDING', lock: lock() });

      expect(decideAccept(held, offboarding, false)).toEqual({
        action: 'acquire',
        status: 'OFFBOARDING',
        expectedVersion: 7,
        takeover: lock(),
      });
    });
  });

  describe('no lock', () => {
    it('onboarding an ACTIVE tenant is rejected', () => {
      const decision = decideAccept(record({ status: 'ACTIVE' }), onboarding, false);

      expect(decision.action === 'reject' && decision.error).toBeInstanceOf(TenantAlreadyActiveError);
      expect(decision.action === 'reject' && decision.error.message).toBe(
        `tenant ${tenantId} is active; offboard it first`,
      );
    });

    it.each(['ONBOARDING', 'OFFBOARDING', 'DELETED'] as const)('onboarding a %s tenant acquires', (status) => {
      expect(decideAccept(record({ status }), onboarding, false)).toEqual({
        action: 'acquire',
        status: 'ONBOARDING',
        expectedVersion: 7,
      });
    });

    it.each(['ONBOARDING', 'ACTIVE', 'OFFBOARDING', 'DELETED'] as const)(
      'offboarding a %s tenant acquires',
      (status) => {
        expect(decideAccept(record({ status }), offboarding, false)).toEqual({
          action: 'acquire',
          status: 'OFFBOARDING',
          expectedVersion: 7,
        });
      },
    );
  });
});

describe('lockHolderToCheck', () => {
  it('is the other holder when one holds the lock', () => {
    expect(lockHolderToCheck(record({ lock: lock() }), onboarding)).toBe(otherExecution);
  });

  it.each([
    ['no record', undefined],
    ['no lock', record()],
    ['this execution holds the lock', record({ lock: lock({ executionArn: thisExecution }) })],
    [
      'the request already completed',
      record({ lock: lock(), completed: { 'onboarding#reg-1': '2026-11-20T09:30:00.000Z' } }),
    ],
  ])('is undefined when %s', (_case, current) => {
    expect(lockHolderToCheck(current, onboarding)).toBeUndefined();
  });
});

describe('tenantSnapshot', () => {
  it('reports the planned tier, isolation model and stack names only', () => {
    const planned = record({
      tier: 'basic',
      plan: {
        tier: 'premium',
        isolationModel: 'silo-cluster',
        templateVersion: '1.0.0',
        stacks: [{ stackName: 'tenant-abc' }],
      },
    });

    expect(tenantSnapshot(planned)).toEqual({
      tier: 'premium',
      isolationModel: 'silo-cluster',
      stacks: [{ stackName: 'tenant-abc' }],
    });
  });

  it('falls back to the record tier and no stacks when nothing was planned', () => {
    expect(tenantSnapshot(record({ tier: 'basic' }))).toEqual({ tier: 'basic', stacks: [] });
  });
});

describe('requests arriving out of order', () => {
  const accepted = '2026-11-20T10:00:05Z';
  const base = {
    tenantId: 't-1',
    registrationId: 'r-2',
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:x:new',
  };
  const deletedRecord = {
    tenantId: 't-1',
    status: TenantStatus.deleted,
    completed: { 'offboarding#r-1': accepted },
    version: 3,
    createdAt: accepted,
    updatedAt: accepted,
    lastRequestAt: accepted,
  } as const;

  it('rejects a request older than the latest accepted one as superseded, naming both times', () => {
    const decision = decideAccept(
      deletedRecord,
      { ...base, operation: 'onboarding', requestedAt: '2026-11-20T10:00:01Z' },
      false,
    );

    expect(decision.action).toBe('reject');
    expect(decision.action === 'reject' && decision.error).toBeInstanceOf(SupersededError);
    expect(decision.action === 'reject' && decision.error.name).toBe('Superseded');
    expect(decision.action === 'reject' && decision.error.message).toContain('2026-11-20T10:00:01Z');
    expect(decision.action === 'reject' && decision.error.message).toContain('2026-11-20T10:00:05Z');
  });

  it('serves a request of the same or a later time, or of unknown time, in arrival order', () => {
    for (const requestedAt of [accepted, '2026-11-20T10:00:06Z', undefined]) {
      const decision = decideAccept(
        deletedRecord,
        { ...base, operation: 'onboarding', ...(requestedAt ? { requestedAt } : {}) },
        false,
      );
      expect(decision.action).toBe('acquire');
    }
  });

  it('isNewer is strict, compares instants, and never holds for an unparsable or unknown request time', () => {
    expect(isNewer('2026-11-20T10:00:06Z', '2026-11-20T10:00:05Z')).toBe(true);
    expect(isNewer('2026-11-20T10:00:05Z', '2026-11-20T10:00:05Z')).toBe(false);
    expect(isNewer('2026-11-20T11:00:06+01:00', '2026-11-20T10:00:05Z')).toBe(true);
    expect(isNewer('not a time', '2026-11-20T10:00:05Z')).toBe(false);
    expect(isNewer(undefined, '2026-11-20T10:00:05Z')).toBe(false);
    expect(isNewer('2026-11-20T10:00:05Z', undefined)).toBe(true);
  });

  it('isOlder compares instants, not strings, and ignores unparsable times', () => {
    expect(isOlder('2026-11-20T11:00:00+01:00', '2026-11-20T10:00:01Z')).toBe(true);
    expect(isOlder('not a time', '2026-11-20T10:00:01Z')).toBe(false);
    expect(isOlder('2026-11-20T10:00:00Z', undefined)).toBe(false);
  });
});

describe('tombstones (the record an offboarding of an unknown tenant leaves)', () => {
  const offboardedAt = '2026-11-20T10:00:05Z';
  const base = { tenantId, registrationId: 'reg-new', executionArn: thisExecution };
  const tombstone = record({
    status: 'DELETED',
    completed: { 'offboarding#reg-2': '2026-11-20T10:00:07.000Z' },
    lastRequestAt: offboardedAt,
    tombstoneExpiresAt: 1_796_464_805,
  });

  it.each([
    ['older than', '2026-11-20T10:00:04Z'],
    // Event times have one-second resolution: the same second cannot be shown to be later.
    ['in the same second as', offboardedAt],
    ['of unknown time after', undefined],
  ])('refuses an onboarding %s the offboarding that left the tombstone as Superseded', (_case, requestedAt) => {
    const decision = decideAccept(
      tombstone,
      { ...base, operation: 'onboarding', ...(requestedAt !== undefined ? { requestedAt } : {}) },
      false,
    );

    expect(decision.action).toBe('reject');
    expect(decision.action === 'reject' && decision.error).toBeInstanceOf(SupersededError);
  });

  it("draws the line at the tombstone's second: an onboarding strictly newer acquires and makes the record a tenant for good", () => {
    const sameSecond = decideAccept(tombstone, { ...base, operation: 'onboarding', requestedAt: offboardedAt }, false);
    const nextSecond = decideAccept(
      tombstone,
      { ...base, operation: 'onboarding', requestedAt: '2026-11-20T10:00:06Z' },
      false,
    );

    expect(sameSecond.action === 'reject' && sameSecond.error).toBeInstanceOf(SupersededError);
    // No `tombstone`: the handler removes the expiry, so the onboarded tenant's record never expires.
    expect(nextSecond).toEqual({ action: 'acquire', status: 'ONBOARDING', expectedVersion: 7 });
  });

  it('keeps the record a tombstone through a second offboarding', () => {
    const decision = decideAccept(
      tombstone,
      { ...base, operation: 'offboarding', requestedAt: '2026-11-20T10:00:06Z' },
      false,
    );

    expect(decision).toEqual({ action: 'acquire', status: 'OFFBOARDING', expectedVersion: 7, tombstone: true });
  });

  it('keeps it a tombstone when a second offboarding takes over from a failed first one', () => {
    const failed = record({
      ...tombstone,
      status: 'OFFBOARDING',
      completed: {},
      lock: lock({ operation: 'offboarding', registrationId: 'reg-2' }),
    });

    const decision = decideAccept(
      failed,
      { ...base, operation: 'offboarding', requestedAt: '2026-11-20T10:00:06Z' },
      false,
    );

    expect(decision).toEqual({
      action: 'acquire',
      status: 'OFFBOARDING',
      expectedVersion: 7,
      takeover: lock({ operation: 'offboarding', registrationId: 'reg-2' }),
      tombstone: true,
    });
  });

  it('refuses an onboarding in the same second only after a tombstone, not after the offboarding of a tenant onboarded for real', () => {
    const deleted = record({ ...tombstone, tombstoneExpiresAt: undefined });

    expect(
      decideAccept(tombstone, { ...base, operation: 'onboarding', requestedAt: offboardedAt }, false),
    ).toMatchObject({ action: 'reject' });
    expect(decideAccept(deleted, { ...base, operation: 'onboarding', requestedAt: offboardedAt }, false)).toMatchObject(
      { action: 'acquire' },
    );
  });
});
