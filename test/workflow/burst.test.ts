/**
 * A burst of onboardings arriving at once. Admission control keeps the stack operations in
 * flight under MAX_STACK_OPERATIONS (the rest queue in their poll loops), routes spread across
 * the configured listeners, and every tenant ends ACTIVE with one reply.
 */
import { DescribeStackEventsCommand, type StackEvent } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSample } from '../../events/samples.ts';
import { cloudFormationClient } from '../../functions/shared/aws/clients.ts';
import type { LocalRuntime } from '../../local/runtime/api.ts';
import { kinds, openTestRuntime, registryLeftovers } from './runtime.fixture.ts';

const tenants = 500;
const maxStackOperations = 10;
const routeListeners = { count: 6, capacity: 99 } as const;

// The converge-stacks handler reads it once, at its first import; the runtime keeps orchestrator settings the caller set.
process.env.MAX_STACK_OPERATIONS = String(maxStackOperations);
// 334 silo tenants through 10 slots queue for hours of the loops' (logical) wait seconds; this test is
// about admission, not the queue deadline (tested in test/unit/functions/converge-stacks/handler-slots.test.ts).
process.env.STACK_QUEUE_TIMEOUT_SECONDS = '86400';

/** Creations last long enough to overlap while the burst keeps the process busy. */
const timings = { createMs: 100, deleteMs: 20, startMs: 10, waitMs: 20 } as const;
const tiers = ['basic', 'advanced', 'premium'] as const;

function onboarding(n: number) {
  const sample = readSample(`onboarding-${tiers[n % tiers.length]!}`);
  const suffix = String(n).padStart(4, '0');
  return {
    ...sample,
    id: `burst-event-${suffix}`,
    detail: {
      ...sample.detail,
      tenantId: `burst-${suffix}`,
      tenantRegistrationId: `burst-registration-${suffix}`,
      tenantName: `Burst ${suffix}`,
    },
  };
}

/** A stack's own events (not its resources'), oldest first, as CloudFormation reports them. */
async function stackLevelEvents(stackName: string): Promise<StackEvent[]> {
  const events: StackEvent[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cloudFormationClient().send(new DescribeStackEventsCommand({ StackName: stackName, NextToken }));
    events.push(
      ...(page.StackEvents ?? []).filter(
        (event) => event.LogicalResourceId === stackName && event.ResourceType === 'AWS::CloudFormation::Stack',
      ),
    );
    NextToken = page.NextToken;
  } while (NextToken !== undefined);
  return events.reverse();
}

/**
 * The most stacks that were being created at the same moment, from each stack's CREATE_IN_PROGRESS
 * and CREATE_COMPLETE times: exact, where sampling resources() during the run could miss a peak.
 */
async function mostCreatingAtOnce(stackNames: readonly string[]): Promise<number> {
  const changes: { at: number; delta: number }[] = [];
  for (const stackName of stackNames) {
    const events = await stackLevelEvents(stackName);
    const started = events.find((event) => event.ResourceStatus === 'CREATE_IN_PROGRESS')?.Timestamp;
    const ended = events.find((event) => event.ResourceStatus === 'CREATE_COMPLETE')?.Timestamp;
    if (started === undefined || ended === undefined)
      throw new Error(`${stackName} has no complete creation in its events`);
    changes.push({ at: started.getTime(), delta: 1 }, { at: ended.getTime(), delta: -1 });
  }
  // At the same instant, a creation that ends frees its slot before the next one can start.
  changes.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let creating = 0;
  let most = 0;
  for (const change of changes) {
    creating += change.delta;
    most = Math.max(most, creating);
  }
  return most;
}

let runtime: LocalRuntime;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ runtime, dispose } = await openTestRuntime({ timings, routeListeners }));
});
afterAll(async () => {
  await dispose();
});

describe(`${tenants} onboardings at once, a third of each tier`, () => {
  it('all end ACTIVE with one reply each; stack operations stay under the limit; routes fill the listeners', {
    timeout: 240_000,
  }, async () => {
    await Promise.all(Array.from({ length: tenants }, (_, n) => runtime.send(onboarding(n))));
    await runtime.drain();

    expect(runtime.executions().filter((execution) => execution.status !== 'SUCCEEDED')).toEqual([]);
    const replies = runtime.replies();
    expect(kinds(replies)).toEqual(Array(tenants).fill('sbt_aws_provisionSuccess'));
    expect(new Set(replies.map((reply) => reply.detail.tenantRegistrationId)).size).toBe(tenants);
    const registered = await runtime.tenants();
    expect(registered).toHaveLength(tenants);
    expect(registered.filter((tenant) => tenant.status !== 'ACTIVE' || tenant.lock !== undefined)).toEqual([]);
    const { stacks, rules } = runtime.resources();
    // Admission control: never more stacks being created at once than MAX_STACK_OPERATIONS.
    const mostCreating = await mostCreatingAtOnce(stacks.map((stack) => stack.stackName));
    expect(mostCreating).toBeGreaterThan(1);
    expect(mostCreating).toBeLessThanOrEqual(maxStackOperations);
    // Tenants 0, 3, 6... are basic (pooled, no stack); the others have one stack each.
    expect(stacks).toHaveLength(tenants - Math.ceil(tenants / tiers.length));
    expect(stacks.filter((stack) => stack.status !== 'CREATE_COMPLETE')).toEqual([]);
    // Routes: one rule per tenant, listeners filled in order, none over its capacity.
    expect(rules).toHaveLength(tenants);
    const perListener = Object.values(Object.groupBy(rules, (rule) => rule.listenerArn)).map(
      (group) => group?.length ?? 0,
    );
    expect(perListener.sort((a, b) => b - a)).toEqual([99, 99, 99, 99, 99, tenants - 5 * 99]);
    const leftovers = await registryLeftovers();
    expect(leftovers.priorities).toHaveLength(tenants);
    expect(leftovers.slots).toEqual([]);
  });
});
