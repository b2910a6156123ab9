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

/** A third of each tier: tenants 0, 3, 6... are basic (pooled, no stack), the other nine have one stack each. */
const tenants = 14;
const tiers = ['basic', 'advanced', 'premium'] as const;
const stackTenants = tenants - Math.ceil(tenants / tiers.length);
/**
 * The admission limit under test, well below the natural peak: without it all nine stacks are
 * created at once (the burst arrives together and creations last a second), so a limit that is not
 * enforced, or enforced loosely, shows as a peak above it.
 */
const maxStackOperations = 3;
/** Three listeners of five rules: the fourteen routes fill two and part of the third. */
const routeListeners = { count: 3, capacity: 5 } as const;

// The converge-stacks handler reads it once, at its first import; the runtime keeps orchestrator settings the caller set.
process.env.MAX_STACK_OPERATIONS = String(maxStackOperations);
// Queued loops count their (logical) wait seconds against the queue deadline: three rounds of
// one-second creations polled every 50 ms pass the default. This test is about admission, not the queue
// deadline (tested in test/unit/functions/converge-stacks/handler-slots.test.ts).
process.env.STACK_QUEUE_TIMEOUT_SECONDS = '86400';

/**
 * A creation lasts a second, far longer than the burst takes to reach CreateTenantStacks, so every
 * execution asks for a slot while the first ones still hold theirs.
 */
const timings = { createMs: 1000, deleteMs: 20, startLooks: 0, waitMs: 50 } as const;

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

/** When each stack's creation began and ended, from its CREATE_IN_PROGRESS and CREATE_COMPLETE events. */
async function creations(stackNames: readonly string[]): Promise<Map<string, { started: number; ended: number }>> {
  const spans = new Map<string, { started: number; ended: number }>();
  for (const stackName of stackNames) {
    const events = await stackLevelEvents(stackName);
    const started = events.find((event) => event.ResourceStatus === 'CREATE_IN_PROGRESS')?.Timestamp;
    const ended = events.find((event) => event.ResourceStatus === 'CREATE_COMPLETE')?.Timestamp;
    if (started === undefined || ended === undefined)
      throw new Error(`${stackName} has no complete creation in its events`);
    spans.set(stackName, { started: started.getTime(), ended: ended.getTime() });
  }
  return spans;
}

/**
 * The most stacks that were being created at the same moment: exact, where sampling resources()
 * during the run could miss a peak.
 */
function mostAtOnce(spans: Iterable<{ started: number; ended: number }>): number {
  const changes: { at: number; delta: number }[] = [];
  for (const { started, ended } of spans) changes.push({ at: started, delta: 1 }, { at: ended, delta: -1 });
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

/**
 * Whether an execution queued for a slot: its stack's creation began only after CreateTenantStacks
 * had returned (a later CheckTenantStacks got the slot and issued it). An order of events, not a
 * time window: a stack issued by CreateTenantStacks begins before that state exits.
 */
function queued(runtime: LocalRuntime, executionArn: string, stackStarted: number): boolean {
  const exited = runtime
    .history(executionArn)
    .find((entry) => entry.type === 'StateExited' && entry.state === 'CreateTenantStacks')?.at;
  if (exited === undefined) throw new Error(`${executionArn} never left CreateTenantStacks`);
  return stackStarted > exited;
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
  it(`all end ACTIVE with one reply each; exactly ${maxStackOperations} stacks are created at once and the rest queue; routes fill the listeners`, async () => {
    await Promise.all(Array.from({ length: tenants }, (_, n) => runtime.send(onboarding(n))));
    await runtime.drain();

    const executions = runtime.executions();
    expect(executions.filter((execution) => execution.status !== 'SUCCEEDED')).toEqual([]);
    const replies = runtime.replies();
    expect(kinds(replies)).toEqual(Array(tenants).fill('sbt_aws_provisionSuccess'));
    expect(new Set(replies.map((reply) => reply.detail.tenantRegistrationId)).size).toBe(tenants);
    const registered = await runtime.tenants();
    expect(registered).toHaveLength(tenants);
    expect(registered.filter((tenant) => tenant.status !== 'ACTIVE' || tenant.lock !== undefined)).toEqual([]);
    const { stacks, rules } = runtime.resources();
    expect(stacks).toHaveLength(stackTenants);
    expect(stacks.filter((stack) => stack.status !== 'CREATE_COMPLETE')).toEqual([]);
    // Admission control: the limit is reached and never passed, and the tenants beyond it waited for a slot.
    const spans = await creations(stacks.map((stack) => stack.stackName));
    expect(mostAtOnce(spans.values())).toBe(maxStackOperations);
    const waited = stacks.filter((stack) => {
      const execution = executions.find((candidate) => candidate.tenantId === stack.tags.tenantId);
      const span = spans.get(stack.stackName);
      if (execution === undefined || span === undefined) throw new Error(`${stack.stackName} has no execution`);
      return queued(runtime, execution.executionArn, span.started);
    });
    expect(waited.length).toBeGreaterThanOrEqual(stackTenants - maxStackOperations);
    // Routes: one rule per tenant, listeners filled in order, none over its capacity.
    expect(rules).toHaveLength(tenants);
    const perListener = Object.values(Object.groupBy(rules, (rule) => rule.listenerArn)).map(
      (group) => group?.length ?? 0,
    );
    expect(perListener.sort((a, b) => b - a)).toEqual([
      routeListeners.capacity,
      routeListeners.capacity,
      tenants - 2 * routeListeners.capacity,
    ]);
    const leftovers = await registryLeftovers();
    expect(leftovers.priorities).toHaveLength(tenants);
    expect(leftovers.slots).toEqual([]);
  });
});

describe('a burst Lambda throttles', () => {
  it('retries a step throttled ten times in a row with its own retrier, and the onboarding succeeds', async () => {
    // Lambda refuses every invocation of the step ten times (the function at its concurrency limit):
    // more than the six retries the transient retrier allows, within the throttling retrier's ten.
    const throttles = 10;
    runtime.injectFault({ step: 'PlanTenantResources', kind: 'throttled', times: throttles });
    try {
      const { execution } = await runtime.send(onboarding(tenants), { wait: true });

      expect(execution?.status).toBe('SUCCEEDED');
      const retried = runtime
        .history(execution?.executionArn ?? '')
        .filter((entry) => entry.type === 'StateRetried' && entry.state === 'PlanTenantResources');
      expect(retried).toHaveLength(throttles);
    } finally {
      runtime.clearFaults();
    }
  });
});
