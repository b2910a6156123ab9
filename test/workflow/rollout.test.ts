/**
 * The fleet rollout (statemachines/rollout.asl.json and rollout-wave.asl.json) on the embedded
 * runtime: the real ASL and handlers, each tenant's update run by the real update workflow. A
 * complete rollout in three waves, a halt on a failed tenant with the wave rolled back and a
 * re-run that resumes, a pinned tenant skipped, a busy tenant waiting its turn, a gate failure on
 * an alarm in ALARM, and the wave events on the bus.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { onboardingEvent } from '../../cli/requests.ts';
import { FleetDetailType, RolloutWaveDetailSchema } from '../../events/fleet-events.ts';
import type { RolloutInput, RolloutState } from '../../functions/rollout/progress.ts';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient } from '../../functions/shared/aws/clients.ts';
import { readRegistryTableName } from '../../functions/shared/config/environment.ts';
import { tenantKey } from '../../functions/shared/registry/keys.ts';
import { localExecutionArn } from '../../local/workflow-runner.ts';
import { useSharedTestRuntime } from './runtime.fixture.ts';

const shared = useSharedTestRuntime();

/**
 * Event times one second apart, in the past: requests are ordered by their time, and the updates a
 * rollout starts are stamped now, so they must come after the onboardings.
 */
let clock = Date.now() - 3_600_000;
const next = () => new Date((clock += 1000));

/** Onboards `count` advanced (silo-services) tenants on 1.0.0, in order. */
async function onboardAdvanced(count: number): Promise<string[]> {
  const tenantIds: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const tenantId = `r${index}-${randomUUID().slice(0, 6)}`;
    const execution = await shared.run(
      onboardingEvent(
        { tenantId, registrationId: randomUUID(), tenantName: `tenant ${tenantId}`, tier: 'advanced' },
        randomUUID(),
        next(),
      ),
    );
    expect(execution.status).toBe('SUCCEEDED');
    tenantIds.push(tenantId);
  }
  return tenantIds;
}

function rolloutInput(overrides: Partial<RolloutInput> = {}): RolloutInput {
  return {
    rolloutId: `ro-${randomUUID().slice(0, 8)}`,
    model: 'silo-services',
    version: '1.1.0',
    waves: [{ count: 1 }, { percent: 50 }, { percent: 100 }],
    concurrency: 2,
    maxFailures: { count: 0 },
    bakeSeconds: 60,
    alarmNames: ['tenant-5xx'],
    ...overrides,
  };
}

async function rollout(input: RolloutInput) {
  const execution = await shared.runtime.startRollout(input, { wait: true });
  expect(execution, `${execution.failedState}: ${execution.error}: ${execution.cause}`).toMatchObject({
    status: 'SUCCEEDED',
  });
  return { execution, output: shared.runtime.executionOutput(execution.executionArn) as RolloutState | undefined };
}

async function versions(): Promise<Record<string, string | undefined>> {
  return Object.fromEntries(
    (await shared.runtime.tenants()).map((tenant) => [tenant.tenantId, tenant.plan?.templateVersion]),
  );
}

const waveEvents = (rolloutId: string) =>
  shared.runtime
    .fleetEvents()
    .filter((event) => event.detailType === FleetDetailType.rolloutWaveCompleted)
    .map((event) => RolloutWaveDetailSchema.parse(event.detail))
    .filter((detail) => detail.rolloutId === rolloutId);

/** Sets (or clears) a tenant's operation lock in the registry, as a running operation holds it. */
async function setLock(tenantId: string, lock: Record<string, unknown> | undefined): Promise<void> {
  await dynamoDbDocumentClient().send(
    new UpdateCommand({
      TableName: readRegistryTableName(),
      Key: tenantKey(tenantId),
      ...(lock === undefined
        ? { UpdateExpression: 'REMOVE #lock SET #status = :active', ExpressionAttributeValues: { ':active': 'ACTIVE' } }
        : {
            UpdateExpression: 'SET #lock = :lock, #status = :updating',
            ExpressionAttributeValues: { ':lock': lock, ':updating': 'UPDATING' },
          }),
      ExpressionAttributeNames: { '#lock': 'lock', '#status': 'status' },
    }),
  );
}

/** Polls `find` every millisecond until it finds something; a test deadline of 10 s. */
async function waitFor<T>(find: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('not found before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** The tenants in the order a rollout takes them: the tenant list's, oldest first (the dry run's too). */
async function rolloutOrder(): Promise<string[]> {
  return (await shared.runtime.tenants()).map((tenant) => tenant.tenantId);
}

/** The rollout's child executions (pages of waves, and rollbacks). */
const children = (rolloutId: string) =>
  shared.runtime
    .executions()
    .filter((execution) => execution.workflow === 'rollout-wave' && execution.name.startsWith(`${rolloutId}-`));

describe('a rollout', () => {
  it('moves every tenant in three waves, one page per wave, and puts each wave on the bus', async () => {
    const tenantIds = await onboardAdvanced(5);
    const input = rolloutInput();

    const { execution, output } = await rollout(input);

    expect(execution.status).toBe('SUCCEEDED');
    expect(output?.outcome).toBe('completed');
    expect(output?.plan?.waveSizes).toEqual([1, 2, 2]);
    expect(output?.results?.map((wave) => [wave.wave, wave.outcome, wave.updated])).toEqual([
      [1, 'completed', 1],
      [2, 'completed', 2],
      [3, 'completed', 2],
    ]);
    const after = await versions();
    for (const tenantId of tenantIds) expect(after[tenantId]).toBe('1.1.0');
    expect(children(input.rolloutId).map((child) => child.name)).toEqual([
      `${input.rolloutId}-w1-b1`,
      `${input.rolloutId}-w2-b1`,
      `${input.rolloutId}-w3-b1`,
    ]);
    const events = waveEvents(input.rolloutId);
    expect(events.map((event) => [event.wave, event.outcome, event.tenants.updated, event.gate?.healthy])).toEqual([
      [1, 'completed', 1, true],
      [2, 'completed', 2, true],
      [3, 'completed', 2, true],
    ]);
    expect(JSON.stringify(shared.runtime.fleetEvents())).not.toMatch(/@/);
  });

  it('halts on a failed tenant, rolls the wave back to the version each had, and resumes when run again', async () => {
    const tenantIds = await onboardAdvanced(4);
    // Waves of 1, 2 and 1 tenants (1,75%,100%): the second wave's second tenant fails.
    const [first, updatedInWave2, failing, last] = await rolloutOrder();
    shared.runtime.injectFault({
      service: 'CloudFormation',
      operation: 'UpdateStack',
      kind: 'client',
      tenantId: failing!,
    });
    const input = rolloutInput({ waves: [{ count: 1 }, { percent: 75 }, { percent: 100 }], concurrency: 1 });

    const { output } = await rollout(input);

    expect(output?.outcome).toBe('halted');
    expect(output?.results?.map((wave) => [wave.wave, wave.outcome, wave.reason ?? null])).toEqual([
      [1, 'completed', null],
      [2, 'halted', 'failures'],
    ]);
    const halted = await versions();
    expect(halted[first!]).toBe('1.1.0');
    expect(halted[updatedInWave2!]).toBe('1.0.0');
    expect(halted[failing!]).toBe('1.0.0');
    expect(halted[last!]).toBe('1.0.0');
    const event = waveEvents(input.rolloutId).find((detail) => detail.wave === 2);
    expect(event).toMatchObject({
      outcome: 'halted',
      reason: 'failures',
      tenants: { updated: 1, failed: 1 },
      failedTenants: [{ tenantId: failing }],
      rollback: { rolledBack: 1, failed: 0 },
    });
    expect(children(input.rolloutId).map((child) => child.name)).toContain(`${input.rolloutId}-w2-b1-rollback`);

    shared.runtime.clearFaults();
    const again = rolloutInput({ waves: [{ count: 1 }, { percent: 100 }] });
    const resumed = await rollout(again);

    expect(resumed.output?.outcome).toBe('completed');
    expect(resumed.output?.plan).toMatchObject({ toUpdate: 3, alreadyOnTarget: 1 });
    const after = await versions();
    for (const tenantId of tenantIds) expect(after[tenantId]).toBe('1.1.0');
  });

  it('skips a pinned tenant and lists it', async () => {
    const tenantIds = await onboardAdvanced(3);
    await shared.runtime.pinTenant(tenantIds[1]!, true);
    const input = rolloutInput({ waves: [{ percent: 100 }] });

    const { output } = await rollout(input);

    expect(output?.outcome).toBe('completed');
    expect(output?.plan).toMatchObject({
      toUpdate: 2,
      skipped: 1,
      skippedListed: [{ tenantId: tenantIds[1], reason: 'pinned' }],
    });
    const after = await versions();
    expect([after[tenantIds[0]!], after[tenantIds[1]!], after[tenantIds[2]!]]).toEqual(['1.1.0', '1.0.0', '1.1.0']);
  });

  it('lets a tenant busy with another operation finish it, then updates it', async () => {
    const [busy] = await onboardAdvanced(1);
    const input = rolloutInput({ waves: [{ percent: 100 }] });
    // Another update holds the tenant's lock (its holder runs: the rollout itself is a running execution).
    await setLock(busy!, {
      operation: 'update',
      registrationId: 'another-registration',
      executionArn: localExecutionArn('rollout', input.rolloutId),
      acquiredAt: new Date().toISOString(),
      attempt: 0,
    });

    const running = rollout(input);
    const ours = await waitFor(() =>
      shared.runtime
        .executions()
        .find(
          (execution) =>
            execution.workflow === 'update' &&
            shared.runtime
              .history(execution.executionArn)
              .some((entry) => entry.type === 'StateRetried' && entry.state === 'AcceptUpdateRequest'),
        ),
    );
    await setLock(busy!, undefined);
    const { output } = await running;

    expect(shared.runtime.execution(ours.executionArn)?.status).toBe('SUCCEEDED');
    expect(output?.outcome).toBe('completed');
    expect(output?.results?.[0]).toMatchObject({ updated: 1, failed: 0 });
    expect((await versions())[busy!]).toBe('1.1.0');
  });

  it('halts when a named alarm is in ALARM at the gate, and rolls the wave back', async () => {
    const tenantIds = await onboardAdvanced(2);
    const [first] = await rolloutOrder();
    shared.runtime.setAlarmState('tenant-5xx', 'ALARM');
    const input = rolloutInput({ waves: [{ count: 1 }, { percent: 100 }] });

    const { output } = await rollout(input);

    expect(output?.outcome).toBe('halted');
    expect(output?.results).toEqual([
      expect.objectContaining({ wave: 1, outcome: 'halted', reason: 'gate', rolledBack: 1 }),
    ]);
    const after = await versions();
    expect([after[tenantIds[0]!], after[tenantIds[1]!]]).toEqual(['1.0.0', '1.0.0']);
    // The first wave's tenant was updated, then rolled back by an update of its own.
    const updates = shared.runtime
      .executions()
      .filter((execution) => execution.workflow === 'update' && execution.tenantId === first);
    expect(updates.map((execution) => execution.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(waveEvents(input.rolloutId)).toEqual([
      expect.objectContaining({
        outcome: 'halted',
        reason: 'gate',
        gate: expect.objectContaining({ healthy: false, alarmsInAlarm: ['tenant-5xx'] }),
      }),
    ]);
  });
});

/** The rollout's Task states on the path of a rollout that completes, parent first. */
const parentTasks = [
  'PlanRollout',
  'TakeWaveBatch',
  'StartWaveBatch',
  'CheckWaveBatch',
  'GateWave',
  'ReportWaveCompleted',
];
const childTasks = ['StartTenantUpdate', 'CheckTenantUpdate'];

describe("faults on the rollout's Task states", () => {
  it.each([...parentTasks, ...childTasks])(
    '%s: Lambda throttling is retried and the rollout completes',
    async (state) => {
      const tenantIds = await onboardAdvanced(2);
      shared.runtime.injectFault({ step: state, kind: 'throttled', times: 2 });
      const input = rolloutInput({ waves: [{ count: 1 }, { percent: 100 }] });

      const { output } = await rollout(input);

      expect(output?.outcome).toBe('completed');
      const after = await versions();
      for (const tenantId of tenantIds) expect(after[tenantId]).toBe('1.1.0');
    },
  );

  it.each(parentTasks)(
    '%s: a step that fails stops the rollout there; a redrive converges without starting anything twice',
    async (state) => {
      const tenantIds = await onboardAdvanced(2);
      shared.runtime.injectFault({ step: state, times: 1 });
      const input = rolloutInput({ waves: [{ count: 1 }, { percent: 100 }] });

      const failed = await shared.runtime.startRollout(input, { wait: true });
      expect(failed).toMatchObject({ status: 'FAILED', failedState: state });
      const redriven = await shared.runtime.redrive(failed.executionArn, { wait: true });

      expect(redriven.status).toBe('SUCCEEDED');
      expect((shared.runtime.executionOutput(failed.executionArn) as RolloutState).outcome).toBe('completed');
      const after = await versions();
      for (const tenantId of tenantIds) expect(after[tenantId]).toBe('1.1.0');
      const updates = shared.runtime.executions().filter((execution) => execution.workflow === 'update');
      expect(updates).toHaveLength(2);
      expect(children(input.rolloutId).map((child) => child.name)).toEqual([
        `${input.rolloutId}-w1-b1`,
        `${input.rolloutId}-w2-b1`,
      ]);
    },
  );

  it.each(childTasks)(
    '%s: a page that fails as a whole stops the rollout (RolloutBatchFailed); running it again resumes',
    async (state) => {
      const tenantIds = await onboardAdvanced(2);
      shared.runtime.injectFault({ step: state, times: 1 });
      const input = rolloutInput({ waves: [{ percent: 100 }] });

      const failed = await shared.runtime.startRollout(input, { wait: true });
      expect(failed).toMatchObject({ status: 'FAILED', failedState: 'CheckWaveBatch', error: 'RolloutBatchFailed' });

      const { output } = await rollout(rolloutInput({ waves: [{ percent: 100 }] }));
      expect(output?.outcome).toBe('completed');
      const after = await versions();
      for (const tenantId of tenantIds) expect(after[tenantId]).toBe('1.1.0');
    },
  );
});
