/**
 * Reconciliation on the local runtime: after real onboardings the registry and the simulated account
 * agree; each out-of-band change (a rule deleted, a stack deleted, a rule left for an offboarded
 * tenant) is found, and nothing is changed by looking.
 */
import { DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { readSample } from '../../events/samples.ts';
import { createTenantRule, deleteRule } from '../../functions/shared/aws/listener-rules.ts';
import { cloudFormationClient } from '../../functions/shared/aws/clients.ts';
import { describeStack } from '../../functions/shared/aws/stacks.ts';
import { readRouteListeners } from '../../functions/shared/config/environment.ts';
import { tenantRecord, useSharedTestRuntime, withDetail } from './runtime.fixture.ts';

const shared = useSharedTestRuntime();
const runtime = () => shared.runtime;

async function onboard(tenantId: string, tier: 'basic' | 'advanced') {
  const sample = readSample(tier === 'basic' ? 'onboarding-basic' : 'onboarding-advanced');
  const result = await runtime().send(
    withDetail(sample as { detail: Record<string, unknown> }, { tenantId, tenantRegistrationId: `r-${tenantId}` }),
    { wait: true },
  );
  expect(result.execution?.status).toBe('SUCCEEDED');
  return tenantRecord(runtime(), tenantId);
}

/** Each finding as `kind tenant`, sorted (the order of two claims depends on the priorities allocated). */
const findings = async () =>
  ((await runtime().reconcile?.()) ?? []).map((finding) => `${finding.kind} ${finding.tenantId ?? '-'}`).sort();

describe('reconcile', () => {
  it('finds nothing after real onboardings, then each out-of-band change', async () => {
    const pool = await onboard('rec-pool', 'basic');
    const silo = await onboard('rec-silo', 'advanced');
    expect(await findings()).toEqual([]);

    await deleteRule(pool?.route?.ruleArn ?? '');
    expect(await findings()).toEqual(['claim-without-rule rec-pool', 'missing-rule rec-pool']);

    const stackName = silo?.plan?.stacks[0]?.stackName ?? '';
    await cloudFormationClient().send(new DeleteStackCommand({ StackName: stackName }));
    // The rule goes with the stack once its delete completes: wait for that, however slow the machine.
    while ((await describeStack(stackName)) !== undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    // The silo tenant's rule went with its stack: the registry records its claim, not the rule's ARN.
    expect(await findings()).toEqual([
      'claim-without-rule rec-pool',
      'claim-without-rule rec-silo',
      'missing-rule rec-pool',
      'missing-stack rec-silo',
    ]);
  }, 60_000);

  it('finds a tenant rule left behind by an offboarded tenant, which nobody claims', async () => {
    await onboard('rec-gone', 'basic');
    await runtime().send(
      {
        source: 'sbt.control.plane',
        'detail-type': 'sbt_aws_offboardingRequest',
        detail: { tenantId: 'rec-gone', tenantRegistrationId: 'r-rec-gone' },
      },
      { wait: true },
    );
    const [listener] = readRouteListeners();
    const leftover = await createTenantRule({
      listenerArn: listener?.listenerArn ?? '',
      priority: 4000,
      targetGroupArn: listener?.pooledTargetGroupArn ?? '',
      route: { style: 'header', headerName: 'x-tenant-id', value: 'rec-gone' },
      tenantId: 'rec-gone',
      tier: 'basic',
    });
    expect(leftover.outcome).toBe('created');

    expect(await findings()).toEqual(['orphan-rule rec-gone', 'rule-without-claim rec-gone']);
    // Looking changes nothing.
    expect(await findings()).toEqual(['orphan-rule rec-gone', 'rule-without-claim rec-gone']);
  }, 60_000);

  it('finds a silo tenant scaled to zero outside its stack, and its rule deleted behind its stack', async () => {
    await onboard('rec-scaled', 'advanced');
    await onboard('rec-pool-2', 'basic');

    const scaled = (await runtime().driftTenant?.('rec-scaled', 'scale-to-zero')) ?? [];
    expect(scaled).toEqual([expect.stringMatching(/^scaled .*rec-scaled-web to 0 outside its stack$/)]);
    const found = (await runtime().reconcile?.()) ?? [];
    expect(found).toEqual([
      expect.objectContaining({
        kind: 'service-below-desired',
        tenantId: 'rec-scaled',
        detail: 'desired count 0 where its stack declares 1 (changed outside the stack)',
      }),
    ]);

    await runtime().driftTenant?.('rec-scaled', 'delete-rule');
    expect(await findings()).toEqual(['claim-without-rule rec-scaled', 'service-below-desired rec-scaled']);

    await expect(runtime().driftTenant?.('rec-pool-2', 'scale-to-zero')).rejects.toThrow(
      'tenant rec-pool-2 has no services of its own (a pool tenant shares the pooled ones)',
    );
    await expect(runtime().driftTenant?.('nobody', 'delete-rule')).rejects.toThrow('no live tenant nobody');
  }, 60_000);
});
