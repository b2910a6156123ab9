/**
 * What a fleet rollout leaves alone, on the embedded runtime (real ASL and handlers): tenants with a
 * tier change in flight are listed as skipped (`tier-change`) and never updated while the others
 * are, whichever side of its switch the change failed on; and a registry whose tenant list is not
 * marked complete (records of an earlier release not yet backfilled) is refused at the plan, not
 * rolled out in part.
 */
import { randomUUID } from 'node:crypto';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { onboardingEvent, tenantUpdateEvent } from '../../cli/requests.ts';
import type { RolloutInput, RolloutState } from '../../functions/rollout/progress.ts';
import { dynamoDbDocumentClient } from '../../functions/shared/aws/clients.ts';
import { readRegistryTableName } from '../../functions/shared/config/environment.ts';
import { tenantListReadyKey } from '../../functions/shared/registry/keys.ts';
import { tenantRecord, useSharedTestRuntime } from './runtime.fixture.ts';

const shared = useSharedTestRuntime();

/** Event times one second apart, in the past: the updates a rollout starts are stamped now, after them. */
let clock = Date.now() - 3_600_000;
const next = () => new Date((clock += 1000));

async function onboardAdvanced(): Promise<{ tenantId: string; registrationId: string }> {
  const tenantId = `s${randomUUID().slice(0, 6)}`;
  const registrationId = randomUUID();
  const execution = await shared.run(
    onboardingEvent(
      { tenantId, registrationId, tenantName: `tenant ${tenantId}`, tier: 'advanced' },
      randomUUID(),
      next(),
    ),
  );
  expect(execution.status).toBe('SUCCEEDED');
  return { tenantId, registrationId };
}

/** Moves an advanced tenant to premium; the caller has arranged for it to fail. */
async function failedTierChange(tenant: { tenantId: string; registrationId: string }): Promise<void> {
  const execution = await shared.run(
    tenantUpdateEvent(tenant.tenantId, tenant.registrationId, { tier: 'premium' }, randomUUID(), next()),
  );
  expect(execution.status).toBe('FAILED');
}

function rolloutInput(overrides: Partial<RolloutInput> = {}): RolloutInput {
  return {
    rolloutId: `ro-${randomUUID().slice(0, 8)}`,
    model: 'silo-services',
    version: '1.1.0',
    waves: [{ count: 1 }, { percent: 100 }],
    concurrency: 2,
    maxFailures: { count: 0 },
    bakeSeconds: 0,
    alarmNames: [],
    ...overrides,
  };
}

/** The update executions this rollout started for `tenantId` (their names start with the rollout id). */
const rolloutUpdatesOf = (rolloutId: string, tenantId: string) =>
  shared.runtime
    .executions()
    .filter(
      (execution) =>
        execution.workflow === 'update' && execution.tenantId === tenantId && execution.name.startsWith(rolloutId),
    );

describe('a rollout and tenants with a tier change in flight', () => {
  it('lists them as skipped (tier-change) and leaves them as they are, failed before or after the switch, while it updates the others', async () => {
    const [first, beforeSwitch, afterSwitch, last] = [
      await onboardAdvanced(),
      await onboardAdvanced(),
      await onboardAdvanced(),
      await onboardAdvanced(),
    ] as const;
    // Before the switch: the new tier's stack fails; the tenant still serves (and is planned) on silo-services.
    shared.runtime.failNextStackCreate(
      `tenant-${beforeSwitch.tenantId}-b`,
      'Resource handler returned message: "Injected"',
    );
    await failedTierChange(beforeSwitch);
    // After the switch: the old tier's stack will not go; the tenant is planned on silo-cluster now.
    shared.runtime.failNextStackDelete(new RegExp(`^tenant-${afterSwitch.tenantId}$`), 'Injected: resource busy');
    await failedTierChange(afterSwitch);
    const kept = {
      before: await tenantRecord(shared.runtime, beforeSwitch.tenantId),
      after: await tenantRecord(shared.runtime, afterSwitch.tenantId),
    };
    expect(kept.before).toMatchObject({ plan: { isolationModel: 'silo-services' }, tierChange: { phase: 'building' } });
    expect(kept.after).toMatchObject({ plan: { isolationModel: 'silo-cluster' }, tierChange: { phase: 'retired' } });
    const input = rolloutInput();

    const execution = await shared.runtime.startRollout(input, { wait: true });

    expect(execution, `${execution.failedState}: ${execution.error}`).toMatchObject({ status: 'SUCCEEDED' });
    const output = shared.runtime.executionOutput(execution.executionArn) as RolloutState;
    expect(output.outcome).toBe('completed');
    expect(output.plan).toMatchObject({ toUpdate: 2, skipped: 2 });
    expect(output.plan?.skippedListed).toEqual(
      expect.arrayContaining([
        { tenantId: beforeSwitch.tenantId, reason: 'tier-change' },
        { tenantId: afterSwitch.tenantId, reason: 'tier-change' },
      ]),
    );
    expect(output.results?.map((wave) => [wave.updated, wave.failed])).toEqual([
      [1, 0],
      [1, 0],
    ]);
    for (const updated of [first, last])
      expect((await tenantRecord(shared.runtime, updated.tenantId))?.plan?.templateVersion).toBe('1.1.0');
    for (const [tenant, record] of [
      [beforeSwitch, kept.before],
      [afterSwitch, kept.after],
    ] as const) {
      expect(rolloutUpdatesOf(input.rolloutId, tenant.tenantId)).toEqual([]);
      const now = await tenantRecord(shared.runtime, tenant.tenantId);
      expect(now?.plan).toEqual(record?.plan);
      expect(now?.tierChange).toEqual(record?.tierChange);
      expect(now?.version).toBe(record?.version);
    }
  });
});

describe('a registry whose tenant list is not marked complete', () => {
  it('is refused at the plan, naming the command that completes it, before any tenant is touched', async () => {
    const tenant = await onboardAdvanced();
    await dynamoDbDocumentClient().send(
      new DeleteCommand({ TableName: readRegistryTableName(), Key: tenantListReadyKey }),
    );

    const execution = await shared.runtime.startRollout(rolloutInput(), { wait: true });

    expect(execution).toMatchObject({ status: 'FAILED', failedState: 'PlanRollout', error: 'ConfigurationError' });
    expect(execution.cause).toContain('index-tenants --aws');
    expect((await tenantRecord(shared.runtime, tenant.tenantId))?.plan?.templateVersion).toBe('1.0.0');
  });
});
