/**
 * Event-driven waits (issue 13): the stack and services loops wait in a `.waitForTaskToken` Task
 * whose token the resumer answers on CloudFormation's and ECS's events, with a slow fallback look.
 * Here the fallback is 60 s of real time unless a test shortens it, so a wait that ends in
 * milliseconds was ended by an event; the local cloud's events can be delayed, duplicated,
 * reordered or dropped.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readSample } from '../../events/samples.ts';
import type { EmbeddedRuntime, ExecutionSummary } from '../../local/runtime/api.ts';
import { enteredStates, kinds, openTestRuntime } from './runtime.fixture.ts';

/** Stacks take 300 ms, services start 200 ms after their stack; only an event ends a wait in time. */
const timings = { createMs: 300, deleteMs: 300, startMs: 200, waitMs: 5, awaitMs: 60_000 } as const;

let runtime: EmbeddedRuntime;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ runtime, dispose } = await openTestRuntime({ timings }));
});
beforeEach(async () => {
  await runtime.reset();
  runtime.clearFaults();
  runtime.configureCloudEvents?.({});
});
afterAll(async () => {
  await dispose();
});

async function onboard(sample: string): Promise<ExecutionSummary> {
  const { execution } = await runtime.send(readSample(sample), { wait: true });
  if (execution === undefined) throw new Error('the request started no execution');
  return execution;
}

const explain = (execution: ExecutionSummary) =>
  `${execution.failedState ?? ''} ${execution.error ?? ''} ${execution.cause ?? ''}`;

/** How many times the state's fallback look fired (its States.Timeout was caught). */
function fallbackLooks(executionArn: string, state: string): number {
  return runtime
    .history(executionArn)
    .filter((entry) => entry.type === 'StateFailed' && entry.state === state && entry.error === 'States.Timeout')
    .length;
}

describe('the events end the waits', () => {
  it('a premium onboarding waits once for its stack and once for its services, in 15 transitions', async () => {
    const execution = await onboard('onboarding-premium');

    expect(execution.status, explain(execution)).toBe('SUCCEEDED');
    const states = enteredStates(runtime, execution.executionArn);
    expect(states.filter((state) => state === 'WaitForTenantStacks')).toHaveLength(1);
    expect(states.filter((state) => state === 'WaitForTenantServices')).toHaveLength(1);
    expect(states).not.toContain('RecheckTenantServices');
    expect(states.length).toBeLessThanOrEqual(15);
    expect(fallbackLooks(execution.executionArn, 'WaitForTenantStacks')).toBe(0);
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
    // The token left the registry with the wait.
    expect((await runtime.tenants()).every((tenant) => tenant.wait === undefined)).toBe(true);
  });

  it('an offboarding waits for the stack deletion event', async () => {
    expect((await onboard('onboarding-premium')).status).toBe('SUCCEEDED');
    const { execution } = await runtime.send(readSample('offboarding-premium'), { wait: true });

    expect(execution?.status).toBe('SUCCEEDED');
    expect(fallbackLooks(execution?.executionArn ?? '', 'WaitForStackDeletion')).toBe(0);
    expect(runtime.resources().stacks.filter((stack) => stack.status !== 'DELETE_COMPLETE')).toEqual([]);
  });

  it('late, duplicated and reordered events end each wait once: one stack, one reply', async () => {
    runtime.configureCloudEvents?.({ delayMs: 40, duplicate: true, reorder: true });

    const execution = await onboard('onboarding-premium');

    expect(execution.status, explain(execution)).toBe('SUCCEEDED');
    const states = enteredStates(runtime, execution.executionArn);
    expect(states.filter((state) => state === 'CheckTenantStacks')).toHaveLength(1);
    expect(runtime.resources().stacks).toHaveLength(1);
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
    // Every event held back or delayed has arrived, twice, a few looks later.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const counts = runtime.cloudEventCounts?.();
    expect(counts?.emitted).toBeGreaterThan(0);
    expect(counts?.delivered).toBe(2 * (counts?.emitted ?? 0));
  });
});

describe('a lost event costs time, never correctness', () => {
  it('with every event dropped, the fallback looks finish the onboarding', async () => {
    // One runtime per process: this one replaces the shared one for the test.
    await dispose();
    // A fallback look 10 minutes away lasts 10 × 10 ms here; the stack takes 300 ms.
    const dropping = await openTestRuntime({ timings: { ...timings, awaitMs: 10 }, cloudEvents: { dropShare: 1 } });
    try {
      const { execution } = await dropping.runtime.send(readSample('onboarding-premium'), { wait: true });
      if (execution === undefined) throw new Error('the request started no execution');

      expect(execution.status, explain(execution)).toBe('SUCCEEDED');
      const fallbacks = dropping.runtime
        .history(execution.executionArn)
        .filter((entry) => entry.type === 'StateFailed' && entry.error === 'States.Timeout');
      expect(fallbacks.length).toBeGreaterThan(0);
      expect(dropping.runtime.cloudEventCounts?.()).toMatchObject({ delivered: 0 });
      expect(dropping.runtime.resources().stacks).toHaveLength(1);
      expect(kinds(dropping.runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
    } finally {
      await dropping.dispose();
      ({ runtime, dispose } = await openTestRuntime({ timings }));
    }
  });
});

describe('a retry or a redrive in the middle of a wait starts it again with a new token', () => {
  it('a Lambda timeout after the token was stored: the retry stores a new one, which the event answers', async () => {
    runtime.injectFault({ step: 'WaitForTenantStacks', kind: 'timeout-after', times: 1 });

    const execution = await onboard('onboarding-premium');

    expect(execution.status, explain(execution)).toBe('SUCCEEDED');
    expect(runtime.resources().stacks).toHaveLength(1);
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
  });

  it('a redrive after the wait failed: the stack completed meanwhile, and the new attempt finds it at its first look', async () => {
    runtime.injectFault({ step: 'WaitForTenantStacks', kind: 'error', times: 1 });
    const failed = await onboard('onboarding-premium');
    expect(failed).toMatchObject({ status: 'FAILED', failedState: 'WaitForTenantStacks' });
    // The stack completes, and its event finds no live token.
    await new Promise((resolve) => setTimeout(resolve, timings.createMs + 100));

    const redriven = await runtime.redrive(failed.executionArn, { wait: true });

    expect(redriven.status, explain(redriven)).toBe('SUCCEEDED');
    expect(redriven.redriveCount).toBe(1);
    expect(runtime.resources().stacks).toHaveLength(1);
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionFailure', 'sbt_aws_provisionSuccess']);
  });
});
