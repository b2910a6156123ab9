/**
 * The fleet and the convergence checks of the rollout's fault matrix (fault-matrix-rollout.test.ts):
 * three silo-services tenants, the rollout it runs (waves `1,100%`), the fault that halts its second
 * wave, and what the fleet must hold once a rollout converged, halted or was run again.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { onboardingEvent } from '../../cli/requests.ts';
import { FleetDetailType, RolloutWaveDetailSchema } from '../../events/fleet-events.ts';
import {
  batchExecutionName,
  type RolloutInput,
  type RolloutState,
  tenantExecutionName,
} from '../../functions/rollout/progress.ts';
import type { EmbeddedRuntime, InjectedFault } from '../../local/runtime/api.ts';

/** `complete`: every wave passes; `halt`: wave 2 halts on a refused stack update and is rolled back. */
export type RolloutPath = 'complete' | 'halt';

/** The fleet of a case: three tenants in the order the rollout takes them. */
export interface Fleet {
  readonly first: string;
  readonly second: string;
  readonly last: string;
}

/** The helpers, on the test file's runtime (opened before its first test, reset before each). */
export function rolloutMatrixFixture(shared: { readonly runtime: EmbeddedRuntime }) {
  const runtime = () => shared.runtime;
  /** How the case's rollout is expected to end once recovered. */
  const outcomeOf: Record<RolloutPath, RolloutState['outcome']> = { complete: 'completed', halt: 'halted' };

  /** Event times one second apart, in the past: the updates a rollout starts are stamped now, after them. */
  let clock = Date.now() - 3_600_000;
  const next = () => new Date((clock += 1000));

  /** Onboards three silo-services tenants on 1.0.0 and returns them in the rollout's order (the registry's). */
  async function onboardFleet(): Promise<Fleet> {
    // The rollout takes tenants oldest first (the tenant list's order): the order they are onboarded in.
    const onboarded: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const tenantId = `f${index}-${randomUUID().slice(0, 6)}`;
      onboarded.push(tenantId);
      const { execution } = await runtime().send(
        onboardingEvent(
          { tenantId, registrationId: randomUUID(), tenantName: `tenant ${tenantId}`, tier: 'advanced' },
          randomUUID(),
          next(),
        ),
        { wait: true },
      );
      expect(execution?.status).toBe('SUCCEEDED');
    }
    const [first, second, last] = onboarded;
    if (first === undefined || second === undefined || last === undefined) throw new Error('three tenants expected');
    return { first, second, last };
  }

  const rolloutInput = (): RolloutInput => ({
    rolloutId: `fm-${randomUUID().slice(0, 8)}`,
    model: 'silo-services',
    version: '1.1.0',
    waves: [{ count: 1 }, { percent: 100 }],
    concurrency: 2,
    maxFailures: { count: 0 },
    bakeSeconds: 60,
    alarmNames: ['tenant-5xx'],
  });

  /** The halt: the last tenant's stack update is refused in its own update executions. */
  const haltingFault = (fleet: Fleet): InjectedFault => ({
    service: 'CloudFormation',
    operation: 'UpdateStack',
    kind: 'client',
    tenantId: fleet.last,
  });

  /** The rollout's state at its end. */
  const outputOf = (rolloutId: string) => runtime().executionOutput(rolloutId) as RolloutState | undefined;

  /** The registry's template version of each tenant. */
  async function versions(): Promise<Record<string, string | undefined>> {
    return Object.fromEntries(
      (await runtime().tenants()).map((tenant) => [tenant.tenantId, tenant.plan?.templateVersion]),
    );
  }

  /** The names of the update executions a rollout starts on `path`, each once: its first attempts. */
  function expectedUpdates(rolloutId: string, path: RolloutPath, fleet: Fleet): string[] {
    const updates = [
      tenantExecutionName(rolloutId, fleet.first, 1, 'update', 1),
      tenantExecutionName(rolloutId, fleet.second, 2, 'update', 1),
      tenantExecutionName(rolloutId, fleet.last, 2, 'update', 1),
    ];
    return path === 'complete' ? updates : [...updates, tenantExecutionName(rolloutId, fleet.second, 2, 'rollback', 1)];
  }

  const expectedPages = (rolloutId: string, path: RolloutPath) => [
    batchExecutionName(rolloutId, 1, 1, 'update'),
    batchExecutionName(rolloutId, 2, 1, 'update'),
    ...(path === 'halt' ? [batchExecutionName(rolloutId, 2, 1, 'rollback')] : []),
  ];

  /** What every tenant holds once a rollout on `path` has converged. */
  const expectedVersions = (path: RolloutPath, fleet: Fleet): Record<string, string> =>
    path === 'complete'
      ? { [fleet.first]: '1.1.0', [fleet.second]: '1.1.0', [fleet.last]: '1.1.0' }
      : { [fleet.first]: '1.1.0', [fleet.second]: '1.0.0', [fleet.last]: '1.0.0' };

  /** The rollout's wave events, as `wave:outcome` in the order they were put. */
  const waveEvents = (rolloutId: string) =>
    runtime()
      .fleetEvents()
      .filter((event) => event.detailType === FleetDetailType.rolloutWaveCompleted)
      .map((event) => RolloutWaveDetailSchema.parse(event.detail))
      .filter((detail) => detail.rolloutId === rolloutId);

  /**
   * The fleet after the rollout `rolloutId` converged on `path`: versions, executions by name,
   * wave events (`reportedTwice`: the wave whose report step was retried after its PutEvents), locks.
   */
  async function expectConverged(
    rolloutId: string,
    path: RolloutPath,
    fleet: Fleet,
    reportedTwice?: number,
  ): Promise<void> {
    await runtime().drain();
    const executions = runtime().executions();
    expect(executions.filter((execution) => execution.status === 'RUNNING')).toEqual([]);
    expect(outputOf(rolloutId)?.outcome).toBe(outcomeOf[path]);
    expect(await versions()).toEqual(expectedVersions(path, fleet));

    // Every name the rollout's steps give, started once; no other attempt, no other page.
    const updates = executions
      .filter((execution) => execution.workflow === 'update')
      .map((execution) => execution.name);
    expect([...updates].sort()).toEqual(expectedUpdates(rolloutId, path, fleet).sort());
    const pages = executions
      .filter((execution) => execution.workflow === 'rollout-wave')
      .map((execution) => [execution.name, execution.status]);
    expect(pages.sort()).toEqual(
      expectedPages(rolloutId, path)
        .map((name) => [name, 'SUCCEEDED'])
        .sort(),
    );

    const events = waveEvents(rolloutId).map((event) => `${event.wave}:${event.outcome}`);
    const once = path === 'complete' ? ['1:completed', '2:completed'] : ['1:completed', '2:halted'];
    expect(events).toEqual(once.flatMap((event) => (event.startsWith(`${reportedTwice}:`) ? [event, event] : [event])));
    if (path === 'halt')
      expect(waveEvents(rolloutId).at(-1)).toMatchObject({
        reason: 'failures',
        tenants: { updated: 1, failed: 1 },
        failedTenants: [{ tenantId: fleet.last }],
        rollback: { rolledBack: 1, failed: 0 },
      });

    // The refused tenant's update failed: like any failed request, it keeps the tenant's lock (for a
    // redrive, or a newer request, to take over) and its stack was never updated.
    const refused = path === 'halt' ? fleet.last : undefined;
    const failedUpdate = runtime().execution(tenantExecutionName(rolloutId, fleet.last, 2, 'update', 1));
    if (refused !== undefined) expect(failedUpdate?.status).toBe('FAILED');
    await expectTenants(
      fleet,
      (tenantId) => (tenantId === refused ? ['UPDATING', failedUpdate?.executionArn] : ['ACTIVE', undefined]),
      (tenantId) => (tenantId === refused ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE'),
    );
  }

  /** Each tenant's registry status and lock holder, its stack's status, and no stack-operation slot held. */
  async function expectTenants(
    fleet: Fleet,
    statusAndLock: (tenantId: string) => [string, string | undefined],
    stackStatus: (tenantId: string) => string,
  ): Promise<void> {
    const tenantIds = [fleet.first, fleet.second, fleet.last];
    const items = await runtime().registryItems();
    const tenants = items.filter((item) => item.sk === 'TENANT');
    expect(
      tenants
        .map((item) => [
          String(item.tenantId),
          item.status,
          (item.lock as { executionArn?: string } | undefined)?.executionArn,
        ])
        .sort(),
    ).toEqual(tenantIds.map((tenantId) => [tenantId, ...statusAndLock(tenantId)]).sort());
    expect(items.filter((item) => String(item.pk).startsWith('ADMISSION#'))).toEqual([]);
    const stacks = runtime()
      .resources()
      .stacks.map((stack) => [stack.tags.tenantId, stack.status])
      .sort();
    expect(stacks).toEqual(tenantIds.map((tenantId) => [tenantId, stackStatus(tenantId)]).sort());
  }

  /** The update executions a rollout started (their names begin with the rollout's id and wave). */
  const updatesOf = (rolloutId: string) =>
    runtime()
      .executions()
      .filter(
        (execution) => execution.workflow === 'update' && execution.name.startsWith(`${rolloutId.slice(0, 24)}-w`),
      );

  /**
   * Running the same rollout again, the cause fixed: it updates exactly the tenants not yet on the
   * target, once each (wave 1 the first of them, wave 2 the rest), and leaves the whole fleet on the
   * target, every lock released.
   */
  async function expectResumed(fleet: Fleet): Promise<void> {
    runtime().clearFaults();
    // A failed page's updates run on to their end: a re-run started before they end plans around a
    // tenant one of them is still moving back, and leaves it there. So the case waits for them first.
    await runtime().drain();
    const before = await versions();
    const pending = [fleet.first, fleet.second, fleet.last].filter((tenantId) => before[tenantId] !== '1.1.0');
    const again = rolloutInput();

    const rerun = await runtime().startRollout(again, { wait: true });

    expect(rerun.status).toBe('SUCCEEDED');
    expect(outputOf(again.rolloutId)).toMatchObject({ outcome: 'completed', plan: { toUpdate: pending.length } });
    await runtime().drain();
    expect(
      runtime()
        .executions()
        .filter((execution) => execution.status === 'RUNNING'),
    ).toEqual([]);
    expect(
      updatesOf(again.rolloutId)
        .map((execution) => [execution.name, execution.status])
        .sort(),
    ).toEqual(
      pending
        .map((tenantId, index) => [
          tenantExecutionName(again.rolloutId, tenantId, index === 0 ? 1 : 2, 'update', 1),
          'SUCCEEDED',
        ])
        .sort(),
    );
    expect(Object.values(await versions())).toEqual(['1.1.0', '1.1.0', '1.1.0']);
    await expectTenants(
      fleet,
      () => ['ACTIVE', undefined],
      () => 'UPDATE_COMPLETE',
    );
  }

  return {
    onboardFleet,
    rolloutInput,
    haltingFault,
    outputOf,
    versions,
    expectedUpdates,
    updatesOf,
    expectConverged,
    expectTenants,
    expectResumed,
  };
}
