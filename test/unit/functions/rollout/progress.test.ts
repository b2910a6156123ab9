import { describe, expect, it } from 'vitest';
import { RolloutWaveDetailSchema } from '../../../../events/fleet-events.ts';
import {
  afterWave,
  batchExecutionName,
  countBatch,
  countRollback,
  nextBatchSize,
  pollWaitSeconds,
  type RolloutState,
  startWave,
  tenantExecutionName,
  tenantsPerBatch,
  waveEventDetail,
} from '../../../../functions/rollout/progress.ts';
import { onboardingRegistrationOf, rolloutUpdateInput } from '../../../../functions/rollout/update-request.ts';
import { admitRequest } from '../../../../functions/admit-request/admission.ts';
import { defaultContractConfig as defaults } from '../../../../events/contract.ts';

const defaultContractConfig = { ...defaults, eventBusName: 'saas-bus' };

const plan = { waveSizes: [1, 30, 4], toUpdate: 35, alreadyOnTarget: 0, skipped: 0, skippedListed: [] };
const rollout: RolloutState['rollout'] = {
  rolloutId: 'ro-1',
  model: 'silo-services',
  version: '1.1.0',
  waves: [{ count: 1 }, { percent: 100 }],
  concurrency: 5,
  maxFailures: { percent: 10 },
  bakeSeconds: 60,
  alarmNames: [],
};

describe('waves and batches', () => {
  it('takes a wave page by page, never more than a page, and stops at its size', () => {
    const wave = startWave(plan, rollout.maxFailures, 2);
    expect(wave).toMatchObject({ wave: 2, size: 30, tolerated: 3, taken: 0, halt: false });
    expect(nextBatchSize(wave)).toBe(tenantsPerBatch);
    expect(nextBatchSize({ ...wave, taken: 25 })).toBe(5);
    expect(nextBatchSize({ ...wave, taken: 30 })).toBe(0);
    expect(nextBatchSize({ ...wave, exhausted: true })).toBe(0);
  });

  it('counts outcomes, lists failures (capped) and halts past the tolerated count', () => {
    const wave = startWave(plan, { count: 1 }, 2);
    const once = countBatch(wave, [
      { tenantId: 'a', outcome: 'updated', previousVersion: '1.0.0' },
      { tenantId: 'b', outcome: 'failed', error: 'StackUpdateFailed' },
      { tenantId: 'c', outcome: 'skipped', reason: 'pinned' },
    ]);
    expect(once).toMatchObject({ updated: 1, failed: 1, skipped: 1, halt: false });
    const twice = countBatch(once, [{ tenantId: 'd', outcome: 'failed' }]);
    expect(twice).toMatchObject({
      failed: 2,
      halt: true,
      failedTenants: [{ tenantId: 'b' }, { tenantId: 'd', error: 'unknown' }],
    });
    const many = countBatch(
      wave,
      Array.from({ length: 40 }, (_, index) => ({ tenantId: `t${index}`, outcome: 'failed' as const })),
    );
    expect(many.failed).toBe(40);
    expect(many.failedTenants).toHaveLength(20);
  });

  it('counts a rollback: back on the version (or already there) is rolled back', () => {
    const counted = countRollback(
      { nextBatch: 1, running: true, rolledBack: 0, failed: 0, failedTenants: [], done: false },
      [
        { tenantId: 'a', outcome: 'updated' },
        { tenantId: 'b', outcome: 'unchanged' },
        { tenantId: 'c', outcome: 'failed', error: 'TenantBusy' },
      ],
    );
    expect(counted).toMatchObject({
      rolledBack: 2,
      failed: 1,
      failedTenants: [{ tenantId: 'c', error: 'TenantBusy' }],
    });
  });

  it('moves to the next wave from where the pages stopped, and ends after the last or a halt', () => {
    const wave = {
      ...startWave(plan, rollout.maxFailures, 1),
      cursor: {
        pk: 'TENANT#x',
        sk: 'TENANT',
        tenantListPartition: 'TENANT',
        tenantListOrder: '2026-12-01T00:00:00.000Z#x',
      },
      updated: 1,
    };
    const next = afterWave({ rollout, plan, wave, results: [] }, 'completed');
    expect(next).toMatchObject({ next: 'wave', wave: { wave: 2, size: 30, cursor: { pk: 'TENANT#x' } } });
    expect(next.results).toEqual([expect.objectContaining({ wave: 1, outcome: 'completed', updated: 1 })]);
    expect(afterWave({ rollout, plan, wave: { ...wave, wave: 3 } }, 'completed')).toMatchObject({
      next: 'complete',
      outcome: 'completed',
    });
    expect(afterWave({ rollout, plan, wave }, 'halted', 'gate')).toMatchObject({ next: 'halted', outcome: 'halted' });
  });
});

describe('names, waits and events', () => {
  it('names executions the same on every retry, within Step Functions limits, apart for long ids', () => {
    expect(batchExecutionName('ro-1', 2, 3, 'update')).toBe('ro-1-w2-b3');
    expect(batchExecutionName('ro-1', 2, 3, 'rollback')).toBe('ro-1-w2-b3-rollback');
    const long = 'x'.repeat(63);
    const name = tenantExecutionName('rollout-abcdef123456', long, 1, 'update', 1);
    expect(name).toBe(tenantExecutionName('rollout-abcdef123456', long, 1, 'update', 1));
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(tenantExecutionName('r', `${long}a`, 1, 'update', 1)).not.toBe(
      tenantExecutionName('r', `${long}b`, 1, 'update', 1),
    );
    expect(tenantExecutionName('r', 't', 1, 'update', 1)).not.toBe(tenantExecutionName('r', 't', 1, 'update', 2));
    expect(tenantExecutionName('r', 't', 1, 'update', 1)).not.toBe(tenantExecutionName('r', 't', 1, 'rollback', 1));
  });

  it('waits 30 s after starting, doubling to 15 minutes', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(pollWaitSeconds)).toEqual([30, 60, 120, 240, 480, 900, 900]);
  });

  it('describes a wave in the event schema, with ids and counts only', () => {
    const wave = countBatch(startWave(plan, { count: 0 }, 1), [{ tenantId: 'a', outcome: 'failed', error: 'X' }]);
    const detail = waveEventDetail(
      {
        rollout,
        plan,
        wave,
        rollback: { nextBatch: 2, running: false, rolledBack: 0, failed: 0, failedTenants: [], done: true },
      },
      wave,
      'halted',
      'failures',
    );
    expect(RolloutWaveDetailSchema.parse(detail)).toMatchObject({
      rolloutId: 'ro-1',
      wave: 1,
      waves: 3,
      outcome: 'halted',
      reason: 'failures',
      tenants: { failed: 1 },
      rollback: { rolledBack: 0 },
    });
    expect(detail.gate).toBeUndefined();
  });
});

describe('the update request of a rollout', () => {
  it('is what the admission function would start for the same tenantUpdateRequest', () => {
    const now = new Date('2026-12-05T10:00:00.123Z');
    const input = rolloutUpdateInput(
      defaultContractConfig,
      { tenantId: 't-1', registrationId: 'reg-1', templateVersion: '1.1.0' },
      'ro-1-w1a1-t-1-abc',
      now,
    );
    const admitted = admitRequest(
      {
        version: '0',
        id: 'ro-1-w1a1-t-1-abc',
        source: defaultContractConfig.controlPlaneSource,
        'detail-type': 'sbt_aws_tenantUpdateRequest',
        time: '2026-12-05T10:00:00Z',
        resources: [],
        detail: { tenantId: 't-1', tenantRegistrationId: 'reg-1', templateVersion: '1.1.0' },
      },
      defaultContractConfig,
    );
    expect(admitted.action === 'start' ? admitted.input : undefined).toEqual(input);
    expect(onboardingRegistrationOf({ completed: { 'onboarding#reg-9': 'x', 'update#reg-9': 'y' } })).toBe('reg-9');
    expect(onboardingRegistrationOf({ completed: {} })).toBeUndefined();
  });
});
