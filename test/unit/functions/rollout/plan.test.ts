import { describe, expect, it } from 'vitest';
import {
  parseFailureThreshold,
  parseWaves,
  planRollout,
  RolloutOptionError,
  toleratedFailures,
  waveEnds,
  type RolloutOptions,
} from '../../../../functions/rollout/plan.ts';
import type { TenantRecord, TenantStatus } from '../../../../functions/shared/registry/tenants.ts';

function tenant(
  index: number,
  fields: { model?: string; version?: string; tier?: string; status?: TenantStatus; pinned?: boolean } = {},
): TenantRecord {
  const model = fields.model ?? 'silo-services';
  return {
    tenantId: `t-${String(index).padStart(3, '0')}`,
    status: fields.status ?? 'ACTIVE',
    completed: {},
    plan: {
      tier: fields.tier ?? 'advanced',
      isolationModel: model as 'silo-services',
      ...(fields.version === null ? {} : { templateVersion: fields.version ?? '1.0.0' }),
      stacks: [],
    },
    ...(fields.pinned === true ? { pinned: true } : {}),
    version: 1,
    createdAt: `2026-12-01T00:00:${String(index % 60).padStart(2, '0')}.${String(index).padStart(3, '0')}Z`,
    updatedAt: '2026-12-01T00:00:00.000Z',
  };
}

function options(overrides: Partial<RolloutOptions> = {}): RolloutOptions {
  return {
    model: 'silo-services',
    version: '1.1.0',
    waves: parseWaves('1,10%,100%'),
    concurrency: 5,
    maxFailures: { count: 0 },
    bakeSeconds: 300,
    ...overrides,
  };
}

describe('waves', () => {
  it('are cumulative shares rounded up, at least one tenant each, ending with everyone', () => {
    expect(waveEnds(parseWaves('1,10%,100%'), 50)).toEqual([1, 5, 50]);
    expect(waveEnds(parseWaves('1,10%,100%'), 3)).toEqual([1, 2, 3]);
    expect(waveEnds(parseWaves('1,10%,100%'), 1)).toEqual([1]);
    expect(waveEnds(parseWaves('1,10%,100%'), 0)).toEqual([]);
    expect(waveEnds(parseWaves('25%'), 10)).toEqual([3, 10]);
    expect(waveEnds(parseWaves('5,2'), 10)).toEqual([5, 6, 10]);
  });

  it('refuse entries that are neither counts nor shares, and overlong lists before parsing', () => {
    for (const text of ['0', '0%', '101%', '1.5', '-1', 'ten', '', '1,,2'])
      expect(() => parseWaves(text), text).toThrow(RolloutOptionError);
    expect(() => parseWaves('1,'.repeat(150))).toThrow(/longer than 200/);
    expect(() => parseWaves(Array.from({ length: 21 }, () => '1').join(','))).toThrow(/at most 20/);
  });

  it('tolerate a number or a share of failures, rounded down', () => {
    expect(toleratedFailures(parseFailureThreshold('2'), 10)).toBe(2);
    expect(toleratedFailures(parseFailureThreshold('10%'), 25)).toBe(2);
    expect(toleratedFailures(parseFailureThreshold('10%'), 9)).toBe(0);
    expect(() => parseFailureThreshold('two')).toThrow(RolloutOptionError);
  });
});

describe('planRollout', () => {
  it('orders tenants oldest first into the waves and leaves other models out', () => {
    const records = [
      ...Array.from({ length: 20 }, (_, index) => tenant(index)),
      tenant(100, { model: 'silo-cluster', tier: 'premium' }),
    ];
    const plan = planRollout(records, options());
    expect(plan.waves.map((wave) => wave.tenantIds.length)).toEqual([1, 1, 18]);
    expect(plan.waves[0]?.tenantIds).toEqual(['t-000']);
    expect(plan.waves.flatMap((wave) => wave.tenantIds)).not.toContain('t-100');
  });

  it('skips pinned, suspended, offboarding and never-onboarded tenants, and leaves those on the target alone', () => {
    const records = [
      tenant(1),
      tenant(2, { pinned: true }),
      tenant(3, { status: 'SUSPENDED' }),
      tenant(4, { status: 'OFFBOARDING' }),
      tenant(5, { version: null as unknown as string, status: 'ONBOARDING' }),
      tenant(6, { version: '1.1.0' }),
      tenant(7, { status: 'DELETED' }),
      tenant(8, { status: 'ONBOARDING' }),
    ];
    const plan = planRollout(records, options());
    expect(plan.skipped).toEqual([
      { tenantId: 't-002', reason: 'pinned' },
      { tenantId: 't-003', reason: 'suspended' },
      { tenantId: 't-004', reason: 'offboarding' },
      { tenantId: 't-005', reason: 'not-onboarded' },
    ]);
    expect(plan.alreadyOnTarget).toEqual(['t-006']);
    expect(plan.waves.flatMap((wave) => wave.tenantIds)).toEqual(['t-001', 't-008']);
  });

  it('skips a tenant with a tier change in flight, on either side of the change, and lists it with its reason', () => {
    const change = (from: string, to: string) => ({
      executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:tenant-update:x',
      phase: 'building' as const,
      from: {
        tier: 'basic',
        isolationModel: from as 'pool',
        stacks: [],
        route: { listenerArn: 'l', priority: 7 },
      },
      to: { tier: 'advanced', isolationModel: to as 'silo-services', stacks: [], stackSpecs: [] },
      staging: { listenerArn: 'l', priority: 8, value: 'v' },
      startedAt: '2026-12-01T00:00:00.000Z',
    });
    const records: TenantRecord[] = [
      tenant(1),
      // Moving into the model (still planned on the pool while it builds): skipped, as it will be of the model.
      {
        ...tenant(2, { model: 'pool', tier: 'basic', version: null as unknown as string, status: 'UPDATING' }),
        tierChange: change('pool', 'silo-services'),
      },
      // Moving out of it, after its switch failed to finish: its record keeps the change for a redrive.
      { ...tenant(3, { status: 'UPDATING', pinned: true }), tierChange: change('silo-services', 'pool') },
      // A change between two other models: not part of this rollout at all.
      { ...tenant(4, { model: 'pool' }), tierChange: change('pool', 'silo-cluster') },
    ];

    const plan = planRollout(records, options());

    expect(plan.skipped).toEqual([
      { tenantId: 't-002', reason: 'tier-change' },
      { tenantId: 't-003', reason: 'tier-change' },
    ]);
    expect(plan.waves.flatMap((wave) => wave.tenantIds)).toEqual(['t-001']);
    expect(planRollout(records, options({ tenantIds: ['t-002'] })).skipped).toEqual([
      { tenantId: 't-002', reason: 'tier-change' },
    ]);
  });

  it('orders tenants as the tenant list does: oldest first, then by id byte by byte', () => {
    const createdAt = '2026-12-01T00:00:00.000Z';
    const records = ['b', 'B', 'a'].map((tenantId) => ({ ...tenant(1), tenantId, createdAt }));
    records.push({ ...tenant(1), tenantId: 'z', createdAt: '2026-11-30T00:00:00.000Z' });

    expect(planRollout(records, options({ waves: parseWaves('100%') })).waves[0]?.tenantIds).toEqual([
      'z',
      'B',
      'a',
      'b',
    ]);
  });

  it('re-planned after a halted first wave, leaves the updated tenants out (the rollout resumes)', () => {
    const records = Array.from({ length: 10 }, (_, index) => tenant(index, index === 0 ? { version: '1.1.0' } : {}));
    const plan = planRollout(records, options());
    expect(plan.alreadyOnTarget).toEqual(['t-000']);
    expect(plan.waves[0]?.tenantIds).toEqual(['t-001']);
  });

  it('selects by tier and by id, and refuses ids that are not live tenants of the model', () => {
    const records = [tenant(1, { tier: 'advanced' }), tenant(2, { tier: 'gold' }), tenant(3, { status: 'DELETED' })];
    expect(planRollout(records, options({ tier: 'gold' })).waves.flatMap((wave) => wave.tenantIds)).toEqual(['t-002']);
    expect(planRollout(records, options({ tenantIds: ['t-001'] })).waves).toEqual([
      { wave: 1, tenantIds: ['t-001'], toleratedFailures: 0 },
    ]);
    expect(() => planRollout(records, options({ tenantIds: ['t-001', 't-003', 'nope'] }))).toThrow(
      /2 tenant\(s\) that are not live silo-services tenants: t-003, nope/,
    );
  });

  it('refuses concurrency and bake outside their limits', () => {
    expect(() => planRollout([], options({ concurrency: 0 }))).toThrow(/--concurrency/);
    expect(() => planRollout([], options({ concurrency: 41 }))).toThrow(/--concurrency/);
    expect(() => planRollout([], options({ bakeSeconds: -1 }))).toThrow(/--bake/);
    expect(planRollout([], options()).waves).toEqual([]);
  });
});
