import { describe, expect, it } from 'vitest';
import { findDrift, type ReconcileSnapshot } from '../../../../functions/reconcile/findings.ts';
import { declaredDesiredCount } from '../../../../functions/reconcile/snapshot.ts';
import type { TenantRecord } from '../../../../functions/shared/registry/tenants.ts';

const listener = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/lb/1/2';
const ours = (tenantId: string) => ({ 'managed-by': 'tenant-orchestrator', tenantId });

function tenant(tenantId: string, fields: Partial<TenantRecord> = {}): TenantRecord {
  return {
    tenantId,
    status: 'ACTIVE',
    completed: {},
    version: 2,
    createdAt: '2026-12-01T00:00:00Z',
    updatedAt: '2026-12-01T00:00:00Z',
    ...fields,
  };
}

const silo = tenant('silo', {
  plan: { tier: 'advanced', isolationModel: 'silo-services', stacks: [{ stackName: 'tenant-silo' }] },
  route: { style: 'host', value: 'silo.example.com', listenerArn: listener, priority: 2, ruleArn: 'rule-silo' },
});
const pool = tenant('pool', {
  plan: { tier: 'basic', isolationModel: 'pool', stacks: [] },
  route: {
    style: 'header',
    value: 'pool',
    headerName: 'x-tenant-id',
    listenerArn: listener,
    priority: 1,
    ruleArn: 'rule-pool',
  },
});

/** A snapshot where the registry and the account agree. */
function agreeing(): ReconcileSnapshot {
  return {
    tenants: [silo, pool],
    claims: [
      { listenerArn: listener, priority: 1, owner: 'tenant', tenantId: 'pool' },
      { listenerArn: listener, priority: 2, owner: 'tenant', tenantId: 'silo' },
      { listenerArn: listener, priority: 3, owner: 'foreign' },
    ],
    rules: [
      { listenerArn: listener, ruleArn: 'rule-pool', priority: 1, tags: ours('pool') },
      { listenerArn: listener, ruleArn: 'rule-silo', priority: 2, tags: ours('silo') },
      { listenerArn: listener, ruleArn: 'rule-foreign', priority: 3, tags: {} },
    ],
    stacks: [
      { stackName: 'tenant-silo', status: 'UPDATE_COMPLETE', tags: ours('silo'), outputs: {} },
      { stackName: 'tenant-other-app', status: 'CREATE_COMPLETE', tags: {}, outputs: {} },
    ],
    services: [
      {
        stackName: 'tenant-silo',
        clusterName: 'shared',
        serviceName: 'silo-web',
        found: true,
        desiredCount: 2,
        runningCount: 2,
      },
    ],
  };
}

const kinds = (snapshot: ReconcileSnapshot) =>
  findDrift(snapshot).map((finding) => `${finding.kind} ${finding.resource}`);

describe('findDrift', () => {
  it('finds nothing when the registry and the account agree (foreign rules and other stacks are not ours)', () => {
    expect(findDrift(agreeing())).toEqual([]);
  });

  it('finds a missing rule, and the claim no rule holds', () => {
    const snapshot = agreeing();
    const found = kinds({ ...snapshot, rules: snapshot.rules.filter((rule) => rule.ruleArn !== 'rule-pool') });

    expect(found).toEqual([`claim-without-rule ${listener} 1`, 'missing-rule rule-pool']);
  });

  it('finds a missing or rolled-back stack, a missing service and one below its desired count', () => {
    const snapshot = agreeing();
    expect(kinds({ ...snapshot, stacks: [] })).toEqual(['missing-stack tenant-silo']);
    expect(
      findDrift({ ...snapshot, stacks: [{ ...snapshot.stacks[0]!, status: 'ROLLBACK_COMPLETE' }] })[0]?.detail,
    ).toBe('the stack is ROLLBACK_COMPLETE');
    const service = snapshot.services[0]!;
    expect(kinds({ ...snapshot, services: [{ ...service, found: false }] })).toEqual([
      'missing-service shared/silo-web',
    ]);
    expect(findDrift({ ...snapshot, services: [{ ...service, runningCount: 1 }] })).toEqual([
      {
        kind: 'service-below-desired',
        tenantId: 'silo',
        resource: 'shared/silo-web',
        detail: '1 of 2 tasks running',
      },
    ]);
  });

  it('finds the rule and stack of an offboarded or unknown tenant, and the rule nobody claimed', () => {
    const snapshot = agreeing();
    const found = kinds({
      ...snapshot,
      tenants: [silo, { ...pool, status: 'DELETED' }],
      claims: snapshot.claims.filter((claim) => claim.tenantId !== 'pool'),
      stacks: [
        ...snapshot.stacks,
        { stackName: 'tenant-ghost', status: 'CREATE_COMPLETE', tags: ours('ghost'), outputs: {} },
      ],
    });

    expect(found).toEqual(['orphan-rule rule-pool', 'orphan-stack tenant-ghost', 'rule-without-claim rule-pool']);
  });

  it("finds a claim held by another tenant's rule", () => {
    const snapshot = agreeing();
    const rules = snapshot.rules.map((rule) => (rule.ruleArn === 'rule-pool' ? { ...rule, tags: ours('silo') } : rule));

    expect(kinds({ ...snapshot, rules })).toContain(`claim-rule-mismatch ${listener} 1`);
  });

  it('leaves a tenant with an operation in flight alone, whatever its resources look like', () => {
    const snapshot = agreeing();
    const lock = { operation: 'offboarding' as const, registrationId: 'r', executionArn: 'e', acquiredAt: 'now' };

    expect(
      findDrift({
        ...snapshot,
        tenants: [{ ...silo, lock }, pool],
        stacks: snapshot.stacks.filter((stack) => stack.stackName !== 'tenant-silo'),
        rules: snapshot.rules.filter((rule) => rule.ruleArn !== 'rule-silo'),
      }),
    ).toEqual([]);
  });

  it('judges only ACTIVE tenants for missing resources (one still onboarding has none yet)', () => {
    const snapshot = agreeing();

    expect(
      findDrift({ ...snapshot, tenants: [{ ...silo, status: 'ONBOARDING' }, pool], stacks: [], services: [] }),
    ).toEqual([]);
  });

  it('finds a service whose desired count was lowered outside its stack', () => {
    const snapshot = agreeing();
    const service = { ...snapshot.services[0]!, desiredCount: 0, runningCount: 0, declaredDesiredCount: 2 };

    expect(findDrift({ ...snapshot, services: [service] })).toEqual([
      {
        kind: 'service-below-desired',
        tenantId: 'silo',
        resource: 'shared/silo-web',
        detail: 'desired count 0 where its stack declares 2 (changed outside the stack)',
      },
    ]);
  });
});

describe('declaredDesiredCount', () => {
  const parameters = {
    Service0Name: 'web',
    Service0DesiredCount: '2',
    Service1Name: 'api',
    Service1DesiredCount: '1',
    TenantSuspended: 'false',
  };

  it("reads the slot whose name ends the service's name, and 0 while the tenant is suspended", () => {
    expect(declaredDesiredCount(parameters, 'tenant-acme-web')).toBe(2);
    expect(declaredDesiredCount(parameters, 'tenant-acme-api')).toBe(1);
    expect(declaredDesiredCount(parameters, 'tenant-acme-worker')).toBeUndefined();
    expect(declaredDesiredCount({ ...parameters, TenantSuspended: 'true' }, 'tenant-acme-web')).toBe(0);
  });
});
