/**
 * Route capacity: tenant routes fill the configured listeners in order and, once every listener
 * is full, an onboarding fails at RegisterTenantRoute with a reply that says so and names the fix,
 * having created nothing and left no claim behind. (Its own file: the handlers read
 * ROUTE_LISTENERS once per process, and this needs a small capacity.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSample } from '../../events/samples.ts';
import type { LocalRuntime } from '../../local/runtime/api.ts';
import {
  cloudResourcesOf,
  kinds,
  openTestRuntime,
  registrationData,
  registryLeftovers,
  tenantRecord,
} from './runtime.fixture.ts';

const listenerCount = 3;
const capacity = 2;
const tiers = ['basic', 'advanced', 'premium'] as const;

function onboarding(n: number) {
  const sample = readSample(`onboarding-${tiers[n % tiers.length]!}`);
  return {
    ...sample,
    id: `capacity-event-${n}`,
    detail: { ...sample.detail, tenantId: `capacity-${n}`, tenantRegistrationId: `capacity-registration-${n}` },
  };
}

let runtime: LocalRuntime;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ runtime, dispose } = await openTestRuntime({ routeListeners: { count: listenerCount, capacity } }));
});
afterAll(async () => {
  await dispose();
});

describe(`${listenerCount} listeners of ${capacity} rules`, () => {
  it('routes fill the listeners one after the other, then a full house is refused with the fix named', async () => {
    const fits = listenerCount * capacity;

    await Promise.all(Array.from({ length: fits }, (_, n) => runtime.send(onboarding(n))));
    await runtime.drain();

    expect(kinds(runtime.replies())).toEqual(Array(fits).fill('sbt_aws_provisionSuccess'));
    const perListener = Object.values(Object.groupBy(runtime.resources().rules, (rule) => rule.listenerArn)).map(
      (rules) => rules?.length,
    );
    expect(perListener).toEqual(Array(listenerCount).fill(capacity));

    const refused = await runtime.send(onboarding(fits), { wait: true });

    expect(refused.execution).toMatchObject({
      status: 'FAILED',
      failedState: 'RegisterTenantRoute',
      error: 'RouteCapacityExceeded',
    });
    expect(kinds(refused.replies)).toEqual(['sbt_aws_provisionFailure']);
    const failure = registrationData(refused.replies[0]);
    expect(failure).toMatchObject({
      registrationStatus: 'failed',
      failedStep: 'RegisterTenantRoute',
      errorName: 'RouteCapacityExceeded',
    });
    expect(failure?.failureReason).toContain(
      `All ${listenerCount} route listener(s) are full (${fits} of ${fits} rules)`,
    );
    expect(failure?.failureReason).toContain(
      'Add a listener to ROUTE_LISTENERS or raise the Rules per Application Load Balancer quota',
    );
    // The refused tenant got nothing: no stack, no rule, no priority claim, no stack slot.
    expect(cloudResourcesOf(runtime, `capacity-${fits}`)).toEqual({ stacks: [], rules: [], services: [] });
    const leftovers = await registryLeftovers();
    expect(leftovers.priorities).toHaveLength(fits);
    expect(leftovers.priorities.some((item) => item.tenantId === `capacity-${fits}`)).toBe(false);
    expect(leftovers.slots).toEqual([]);
    expect(await tenantRecord(runtime, `capacity-${fits}`)).toMatchObject({
      status: 'ONBOARDING',
      lastFailure: expect.objectContaining({ errorName: 'RouteCapacityExceeded' }),
    });
    expect((await tenantRecord(runtime, `capacity-${fits}`))?.route).toBeUndefined();
  });
});
