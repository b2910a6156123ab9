/**
 * A request can arrive several times, together or long after the first delivery completed: the
 * control plane sends it again (same registration, a new event id), or EventBridge, which delivers
 * at least once, delivers the same event again (same id). A new event id starts an execution;
 * exactly one provisions and replies. Copies that arrive while it runs end at
 * IgnoreDuplicateRequest; copies that arrive after it completed go straight to the idempotent
 * success-reply step, which confirms without replying again. The same event id starts nothing new:
 * the execution is named after it, and Step Functions does not start a name twice. None of them
 * touches a resource.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSample } from '../../events/samples.ts';
import type { LocalRuntime } from '../../local/runtime/api.ts';
import {
  cloudResourcesOf,
  kinds,
  lastState,
  openTestRuntime,
  registryLeftovers,
  tenantRecord,
} from './runtime.fixture.ts';

let runtime: LocalRuntime;
let dispose: () => Promise<void>;
beforeEach(async () => {
  ({ runtime, dispose } = await openTestRuntime());
});
afterEach(async () => {
  await dispose();
});

const copies = 5;

/** Where each execution of the runtime ended, counted by final state. */
function endings(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const execution of runtime.executions()) {
    const state = `${execution.status} at ${lastState(runtime, execution.executionArn) ?? '?'}`;
    counts[state] = (counts[state] ?? 0) + 1;
  }
  return counts;
}

/** The states an execution entered, in order. */
function statesEntered(executionArn: string): (string | undefined)[] {
  return runtime
    .history(executionArn)
    .filter((entry) => entry.type === 'StateEntered')
    .map((entry) => entry.state);
}

/** The request as the control plane sends it again: the same registration, a new event id (copy 0 is the request itself). */
function sentAgain(request: Record<string, unknown>, copy: number): Record<string, unknown> {
  return copy === 0 ? request : { ...request, id: `${String(request.id)}-again-${copy}` };
}

describe('a request delivered several times provisions once and replies once', () => {
  it.each([
    ['onboarding-advanced', 'silo-services'],
    ['onboarding-premium', 'silo-cluster'],
    ['onboarding-basic', 'pool'],
  ])('%s (%s): 5 copies at once, then 5 copies one after the other', async (sample) => {
    const request = readSample(sample);
    const tenantId = String(request.detail.tenantId);
    const expectedStacks = sample === 'onboarding-basic' ? 0 : 1;

    // Act 1: five copies of the request, none awaited before the next is put.
    const started = await Promise.all(
      Array.from({ length: copies }, (_, copy) => runtime.send(sentAgain(request, copy))),
    );
    await runtime.drain();

    expect(started.map((result) => result.workflow)).toEqual(Array(copies).fill('onboarding'));
    expect(new Set(started.map((result) => result.execution?.executionArn)).size).toBe(copies);
    expect(endings()).toEqual({ 'SUCCEEDED at TenantOnboarded': 1, 'SUCCEEDED at IgnoreDuplicateRequest': copies - 1 });
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
    const afterBurst = cloudResourcesOf(runtime, tenantId);
    expect(afterBurst.stacks).toHaveLength(expectedStacks);
    expect(afterBurst.stacks.every((stack) => stack.status === 'CREATE_COMPLETE')).toBe(true);
    expect(afterBurst.rules).toHaveLength(1);
    expect(await tenantRecord(runtime, tenantId)).toMatchObject({ status: 'ACTIVE' });
    expect((await tenantRecord(runtime, tenantId))?.lock).toBeUndefined();

    // Act 2: the same request again, five times, each after the previous one ended.
    for (let copy = copies; copy < 2 * copies; copy += 1) {
      const late = await runtime.send(sentAgain(request, copy), { wait: true });
      expect(late.execution?.status).toBe('SUCCEEDED');
      expect(statesEntered(late.execution!.executionArn)).toEqual([
        'AcceptOnboardingRequest',
        'IsDuplicateRequest',
        'SendProvisionSuccess',
        'TenantOnboarded',
      ]);
      expect(late.replies).toEqual([]);
    }

    expect(endings()).toEqual({
      'SUCCEEDED at TenantOnboarded': 1 + copies,
      'SUCCEEDED at IgnoreDuplicateRequest': copies - 1,
    });
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
    expect(cloudResourcesOf(runtime, tenantId)).toEqual(afterBurst);
    expect(runtime.resources().stacks).toHaveLength(expectedStacks);
    expect(runtime.resources().rules).toHaveLength(1);
    const leftovers = await registryLeftovers();
    expect(leftovers.priorities).toHaveLength(1);
    expect(leftovers.slots).toEqual([]);
    expect(await tenantRecord(runtime, tenantId)).toMatchObject({ status: 'ACTIVE' });

    // Act 3: EventBridge delivers the first event again: its execution has the event id as its name.
    const redelivered = await runtime.send(request, { wait: true });

    expect(redelivered).toMatchObject({
      admission: 'duplicate',
      execution: { name: request.id, status: 'SUCCEEDED' },
      replies: [],
    });
    expect(endings()).toEqual({
      'SUCCEEDED at TenantOnboarded': 1 + copies,
      'SUCCEEDED at IgnoreDuplicateRequest': copies - 1,
    });
  });

  it('the same event delivered 5 times at once starts one execution: Step Functions recognises its name', async () => {
    const request = { ...readSample('onboarding-basic'), id: 'redelivered-event-1' };

    const deliveries = await Promise.all(Array.from({ length: copies }, () => runtime.send(request)));
    await runtime.drain();

    // Same name and same input while it runs: StartExecution answers with the running execution.
    expect(new Set(deliveries.map((delivery) => delivery.execution?.executionArn))).toEqual(
      new Set([deliveries[0]?.execution?.executionArn]),
    );
    expect(runtime.executions().map((execution) => [execution.name, execution.status])).toEqual([
      ['redelivered-event-1', 'SUCCEEDED'],
    ]);
    expect(endings()).toEqual({ 'SUCCEEDED at TenantOnboarded': 1 });
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
  });

  it('an offboarding delivered 5 times at once deletes once and replies once', async () => {
    const onboarding = readSample('onboarding-premium');
    const tenantId = String(onboarding.detail.tenantId);
    await runtime.send(onboarding, { wait: true });
    const offboarding = readSample('offboarding-premium');

    await Promise.all(Array.from({ length: copies }, (_, copy) => runtime.send(sentAgain(offboarding, copy))));
    await runtime.drain();
    const late = await runtime.send(sentAgain(offboarding, copies), { wait: true });
    const redelivered = await runtime.send(offboarding, { wait: true });

    const offboardings = runtime.executions().filter((execution) => execution.workflow === 'offboarding');
    expect(offboardings.map((execution) => execution.status)).toEqual(Array(copies + 1).fill('SUCCEEDED'));
    const together = offboardings.slice(0, copies).map((execution) => lastState(runtime, execution.executionArn));
    expect(together.sort()).toEqual([...Array(copies - 1).fill('IgnoreDuplicateRequest'), 'TenantOffboarded']);
    expect(statesEntered(late.execution!.executionArn)).toEqual([
      'AcceptOffboardingRequest',
      'IsDuplicateRequest',
      'SendDeprovisionSuccess',
      'TenantOffboarded',
    ]);
    expect(late.replies).toEqual([]);
    expect(redelivered).toMatchObject({ admission: 'duplicate', execution: { name: offboarding.id }, replies: [] });
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionSuccess', 'sbt_aws_deprovisionSuccess']);
    expect(cloudResourcesOf(runtime, tenantId)).toEqual({ stacks: [], rules: [], services: [] });
    expect(await registryLeftovers()).toEqual({ priorities: [], slots: [] });
    expect(await tenantRecord(runtime, tenantId)).toMatchObject({ status: 'DELETED' });
  });
});
