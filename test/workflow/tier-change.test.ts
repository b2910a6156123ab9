/**
 * The tier change (update workflow, ChangeTenantTier branch) on the embedded runtime: every pair of
 * tiers, with the tenant's route sampled all along (it must answer from healthy targets at every
 * observed moment and keep its address), a failure before the switch with a redrive and with a new
 * request, a failure after the switch with a redrive, the refusals (no room for the temporary rule,
 * unknown tier, suspended tenant) and a race with an offboarding.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { offboardingEvent, onboardingEvent, tenantStateEvent, tenantUpdateEvent } from '../../cli/requests.ts';
import type { RouteAnswer } from '../../local/runtime/api.ts';
import {
  cloudResourcesOf,
  enteredStates,
  registrationData,
  registryLeftovers,
  tenantConfig,
  tenantRecord,
  useSharedTestRuntime,
} from './runtime.fixture.ts';

const shared = useSharedTestRuntime();
const run = shared.run;

type Tier = 'basic' | 'advanced' | 'premium';
const models: Record<Tier, string> = { basic: 'pool', advanced: 'silo-services', premium: 'silo-cluster' };

/** Event times one second apart: requests are ordered by their time (EventBridge's resolution is one second). */
let clock = Date.now();
const next = () => new Date((clock += 1000));

async function onboarded(tier: Tier) {
  const tenantId = `t-${randomUUID().slice(0, 8)}`;
  const registrationId = randomUUID();
  const execution = await run(
    onboardingEvent({ tenantId, registrationId, tenantName: `tenant ${tenantId}`, tier }, randomUUID(), next()),
  );
  expect(execution.status).toBe('SUCCEEDED');
  return { tenantId, registrationId };
}

const changeTier = (tenantId: string, registrationId: string, tier: string, templateVersion?: string) =>
  run(
    tenantUpdateEvent(
      tenantId,
      registrationId,
      { tier, ...(templateVersion !== undefined ? { templateVersion } : {}) },
      randomUUID(),
      next(),
    ),
  );

const repliesOf = (tenantId: string) => shared.runtime.replies().filter((reply) => reply.detail.tenantId === tenantId);

/** The tenant's address as the registry recorded it at onboarding. */
async function addressOf(tenantId: string) {
  const route = (await tenantRecord(shared.runtime, tenantId))?.route;
  if (route === undefined) throw new Error(`tenant ${tenantId} has no route`);
  const request =
    route.style === 'host' ? { host: route.value } : { headers: { [route.headerName ?? 'x-tenant-id']: route.value } };
  return { listenerArn: route.listenerArn, style: route.style, value: route.value, request };
}

type Address = Awaited<ReturnType<typeof addressOf>>;
const answer = (address: Address): RouteAnswer => {
  const routeAnswer = shared.runtime.routeAnswer;
  if (routeAnswer === undefined) throw new Error('the runtime answers no routes');
  return routeAnswer(address.listenerArn, address.request);
};

/** Runs `action` while sampling what answers the tenant's address every millisecond. */
async function sampled<T>(address: Address, action: () => Promise<T>): Promise<{ result: T; samples: RouteAnswer[] }> {
  const samples: RouteAnswer[] = [answer(address)];
  const timer = setInterval(() => samples.push(answer(address)), 1);
  try {
    const result = await action();
    samples.push(answer(address));
    return { result, samples };
  } finally {
    clearInterval(timer);
  }
}

/** Every sample a forward to something healthy (not the listener's default, not a fixed response). */
function expectContinuity(samples: readonly RouteAnswer[]): void {
  const broken = samples.filter((sample) => sample.action.type !== 'forward' || !sample.healthy);
  expect(broken, `${broken.length} of ${samples.length} samples`).toEqual([]);
}

/** The registry, cloud and reply state of a tenant whose change to `tier` completed. */
async function expectOnTier(tenantId: string, tier: Tier, address: Address) {
  const record = await tenantRecord(shared.runtime, tenantId);
  expect(record).toMatchObject({ status: 'ACTIVE', tier, plan: { tier, isolationModel: models[tier] } });
  expect(record?.lock).toBeUndefined();
  expect(record?.tierChange).toBeUndefined();
  expect(record?.route).toMatchObject({ listenerArn: address.listenerArn, style: address.style, value: address.value });
  const { stacks, rules } = cloudResourcesOf(shared.runtime, tenantId);
  expect(stacks.map((stack) => stack.tags.tier)).toEqual(tier === 'basic' ? [] : [tier]);
  expect(stacks.map((stack) => stack.stackName)).toEqual((record?.plan?.stacks ?? []).map((stack) => stack.stackName));
  expect(rules).toHaveLength(1);
  expect(rules[0]?.priority).toBe(String(record?.route?.priority));
  const leftovers = await registryLeftovers();
  expect(leftovers.slots).toEqual([]);
  expect(leftovers.priorities.filter((item) => item.tenantId === tenantId)).toHaveLength(1);
}

const pairs: [Tier, Tier][] = [
  ['basic', 'advanced'],
  ['basic', 'premium'],
  ['advanced', 'premium'],
  ['advanced', 'basic'],
  ['premium', 'advanced'],
  ['premium', 'basic'],
];

describe('a tier change', () => {
  it.each(pairs)(
    '%s -> %s: the route answers from healthy targets throughout and keeps its address',
    async (from, to) => {
      const { tenantId, registrationId } = await onboarded(from);
      const address = await addressOf(tenantId);
      const before = answer(address);

      const { result: execution, samples } = await sampled(address, () => changeTier(tenantId, registrationId, to));

      expect(
        execution,
        JSON.stringify([enteredStates(shared.runtime, execution.executionArn).slice(-3), execution]),
      ).toMatchObject({ status: 'SUCCEEDED' });
      expectContinuity(samples);
      // The route moved: the last answer comes from another rule than the first.
      expect(samples.at(-1)?.ruleArn).not.toBe(before.ruleArn);
      await expectOnTier(tenantId, to, address);
      const reply = repliesOf(tenantId).at(-1);
      expect(reply?.detailType).toBe('sbt_aws_tenantUpdateSuccess');
      expect(registrationData(reply)).toMatchObject({ registrationStatus: 'created' });
      expect(tenantConfig(reply)).toMatchObject({ tenantId, tier: to, isolationModel: models[to] });
    },
  );
});

describe('a tier change that fails', () => {
  it('before the switch: the tenant serves on its old tier, the reply says why, and a redrive completes it', async () => {
    const { tenantId, registrationId } = await onboarded('advanced');
    const address = await addressOf(tenantId);
    const before = answer(address);
    shared.runtime.failNextStackCreate(`tenant-${tenantId}-b`, 'Resource handler returned message: "Injected"');

    const { result: failed, samples } = await sampled(address, () => changeTier(tenantId, registrationId, 'premium'));

    expect(failed).toMatchObject({ status: 'FAILED', error: 'StackCreationFailed' });
    expectContinuity(samples);
    expect(answer(address).ruleArn).toBe(before.ruleArn);
    const record = await tenantRecord(shared.runtime, tenantId);
    expect(record).toMatchObject({ status: 'UPDATING', plan: { tier: 'advanced' }, tierChange: { phase: 'building' } });
    const reply = repliesOf(tenantId).at(-1);
    expect(reply?.detailType).toBe('sbt_aws_tenantUpdateFailure');
    expect(registrationData(reply)).toMatchObject({ registrationStatus: 'failed' });
    expect(registrationData(reply)?.failureReason).toContain('Injected');

    const redrive = shared.runtime.redrive;
    if (redrive === undefined) throw new Error('the runtime cannot redrive');
    const { result: redriven, samples: later } = await sampled(address, () =>
      redrive(failed.executionArn, { wait: true }),
    );

    expect(redriven.status).toBe('SUCCEEDED');
    expectContinuity(later);
    await expectOnTier(tenantId, 'premium', address);
  });

  it('before the switch, then a new request: the half-built tier is deleted and the new request starts over', async () => {
    const { tenantId, registrationId } = await onboarded('advanced');
    const address = await addressOf(tenantId);
    shared.runtime.failNextStackCreate(`tenant-${tenantId}-b`, 'Resource handler returned message: "Injected"');
    const failed = await changeTier(tenantId, registrationId, 'premium');
    expect(failed.status).toBe('FAILED');

    const { result: again, samples } = await sampled(address, () => changeTier(tenantId, registrationId, 'basic'));

    expect(again.status).toBe('SUCCEEDED');
    expectContinuity(samples);
    expect(enteredStates(shared.runtime, again.executionArn)).toEqual(
      expect.arrayContaining(['RemoveAbandonedStacks', 'AbandonTierChange', 'CreatePooledTenantRule']),
    );
    await expectOnTier(tenantId, 'basic', address);
  });

  it('after the switch: the tenant serves on its new tier, and a redrive finishes removing the old one', async () => {
    const { tenantId, registrationId } = await onboarded('advanced');
    const address = await addressOf(tenantId);
    shared.runtime.failNextStackDelete(new RegExp(`^tenant-${tenantId}$`), 'Injected: resource busy');

    const { result: failed, samples } = await sampled(address, () => changeTier(tenantId, registrationId, 'premium'));

    expect(failed).toMatchObject({ status: 'FAILED', error: 'StackDeletionFailed' });
    expectContinuity(samples);
    const record = await tenantRecord(shared.runtime, tenantId);
    expect(record).toMatchObject({ status: 'UPDATING', plan: { tier: 'premium' }, tierChange: { phase: 'retired' } });
    expect(repliesOf(tenantId).at(-1)?.detailType).toBe('sbt_aws_tenantUpdateFailure');

    const redrive = shared.runtime.redrive;
    if (redrive === undefined) throw new Error('the runtime cannot redrive');
    const redriven = await redrive(failed.executionArn, { wait: true });

    expect(redriven.status).toBe('SUCCEEDED');
    expectContinuity([answer(address)]);
    await expectOnTier(tenantId, 'premium', address);
  });

  it('after the switch, then a new request for the tier it is on: the old tier is removed and the request succeeds', async () => {
    const { tenantId, registrationId } = await onboarded('premium');
    const address = await addressOf(tenantId);
    shared.runtime.failNextStackDelete(new RegExp(`^tenant-${tenantId}$`), 'Injected: resource busy');
    expect((await changeTier(tenantId, registrationId, 'advanced')).status).toBe('FAILED');

    const again = await changeTier(tenantId, registrationId, 'advanced');

    expect(again, JSON.stringify(enteredStates(shared.runtime, again.executionArn))).toMatchObject({
      status: 'SUCCEEDED',
    });
    expect(enteredStates(shared.runtime, again.executionArn)).toEqual(
      expect.arrayContaining(['RemoveAdoptedOldTierStacks', 'FinishAdoptedTierChange']),
    );
    await expectOnTier(tenantId, 'advanced', address);
  });
});

describe('reconciliation', () => {
  it('reports no drift for a change in flight (its lock is held) nor after it completed', async () => {
    const { tenantId, registrationId } = await onboarded('advanced');
    shared.runtime.failNextStackCreate(`tenant-${tenantId}-b`, 'Resource handler returned message: "Injected"');
    const failed = await changeTier(tenantId, registrationId, 'premium');
    expect(failed.status).toBe('FAILED');
    const findingsOf = async () =>
      ((await shared.runtime.reconcile?.()) ?? []).filter((finding) => finding.tenantId === tenantId);

    expect(await findingsOf()).toEqual([]);

    const redrive = shared.runtime.redrive;
    if (redrive === undefined) throw new Error('the runtime cannot redrive');
    expect((await redrive(failed.executionArn, { wait: true })).status).toBe('SUCCEEDED');
    expect(await findingsOf()).toEqual([]);
  });
});

describe('a tier change that is refused or changes nothing', () => {
  it('an unknown tier: a failure reply listing the known tiers, nothing changed', async () => {
    const { tenantId, registrationId } = await onboarded('advanced');
    const before = await tenantRecord(shared.runtime, tenantId);

    const execution = await changeTier(tenantId, registrationId, 'platinum');

    expect(execution).toMatchObject({ status: 'FAILED', error: 'UnknownTier' });
    expect(registrationData(repliesOf(tenantId).at(-1))?.failureReason).toContain(
      'known tiers: basic, advanced, premium',
    );
    expect(await tenantRecord(shared.runtime, tenantId)).toEqual(before);
  });

  it('a suspended tenant: refused (resume it first), nothing changed', async () => {
    const { tenantId, registrationId } = await onboarded('basic');
    expect((await run(tenantStateEvent('suspend', tenantId, registrationId, randomUUID(), next()))).status).toBe(
      'SUCCEEDED',
    );
    const before = cloudResourcesOf(shared.runtime, tenantId);

    const execution = await changeTier(tenantId, registrationId, 'advanced');

    expect(execution).toMatchObject({ status: 'FAILED', error: 'UpdateRefused' });
    expect(registrationData(repliesOf(tenantId).at(-1))?.failureReason).toContain('resume it first');
    expect(cloudResourcesOf(shared.runtime, tenantId)).toEqual(before);
    expect(await tenantRecord(shared.runtime, tenantId)).toMatchObject({ status: 'SUSPENDED', tier: 'basic' });
  });

  it('the tier the tenant is on: success, nothing changed', async () => {
    const { tenantId, registrationId } = await onboarded('advanced');
    const before = cloudResourcesOf(shared.runtime, tenantId);

    const execution = await changeTier(tenantId, registrationId, 'advanced');

    expect(execution.status).toBe('SUCCEEDED');
    expect(enteredStates(shared.runtime, execution.executionArn)).not.toContain('PlanTierChange');
    expect(cloudResourcesOf(shared.runtime, tenantId)).toEqual(before);
    expect(repliesOf(tenantId).at(-1)?.detailType).toBe('sbt_aws_tenantUpdateSuccess');
  });

  it('a tier change with a template version builds the new tier at that version; a pool tier refuses one', async () => {
    const { tenantId, registrationId } = await onboarded('advanced');

    const execution = await changeTier(tenantId, registrationId, 'premium', '1.1.0');

    expect(execution.status).toBe('SUCCEEDED');
    expect(await tenantRecord(shared.runtime, tenantId)).toMatchObject({
      plan: { tier: 'premium', templateVersion: '1.1.0' },
    });
    expect(tenantConfig(repliesOf(tenantId).at(-1))).toMatchObject({ tier: 'premium', templateVersion: '1.1.0' });

    const refused = await changeTier(tenantId, registrationId, 'basic', '1.1.0');
    expect(refused).toMatchObject({ status: 'FAILED', error: 'UpdateRefused' });
    expect(registrationData(repliesOf(tenantId).at(-1))?.failureReason).toContain('pool tier');
  });
});

describe('races', () => {
  it('a tier change racing an offboarding: both end, and nothing is left (no stack, rule, priority or slot)', async () => {
    const { tenantId, registrationId } = await onboarded('advanced');

    const [changing, offboarding] = await Promise.all([
      shared.runtime.send(tenantUpdateEvent(tenantId, registrationId, { tier: 'premium' }, randomUUID(), next()), {
        wait: true,
      }),
      shared.runtime.send(offboardingEvent(tenantId, registrationId, undefined, randomUUID(), next()), { wait: true }),
    ]);

    // The offboarding waits its turn with TenantBusy retries (about an hour in AWS; milliseconds here, like
    // every retry interval locally). On a loaded machine the tier change can outlast them: the control plane
    // then has a failure reply and sends the request again, which must converge the same way.
    let offboarded = offboarding.execution;
    if (offboarded?.status === 'FAILED' && offboarded.error === 'TenantBusy')
      offboarded = (
        await shared.runtime.send(offboardingEvent(tenantId, registrationId, undefined, randomUUID(), next()), {
          wait: true,
        })
      ).execution;
    expect(offboarded?.status, JSON.stringify(offboarded)).toBe('SUCCEEDED');
    expect(['SUCCEEDED', 'FAILED', 'SUPERSEDED']).toContain(changing.execution?.status);
    expect(cloudResourcesOf(shared.runtime, tenantId)).toMatchObject({ stacks: [], rules: [] });
    const record = await tenantRecord(shared.runtime, tenantId);
    expect(record).toMatchObject({ status: 'DELETED' });
    expect(record?.lock).toBeUndefined();
    expect(record?.tierChange).toBeUndefined();
    expect(await registryLeftovers()).toEqual({ priorities: [], slots: [] });
  });

  it('an offboarding after a tier change failed before its switch deletes the half-built tier too', async () => {
    const { tenantId, registrationId } = await onboarded('advanced');
    shared.runtime.failNextStackCreate(`tenant-${tenantId}-b`, 'Resource handler returned message: "Injected"');
    expect((await changeTier(tenantId, registrationId, 'premium')).status).toBe('FAILED');

    const offboarding = await run(offboardingEvent(tenantId, registrationId, undefined, randomUUID(), next()));

    expect(offboarding.status).toBe('SUCCEEDED');
    expect(cloudResourcesOf(shared.runtime, tenantId)).toMatchObject({ stacks: [], rules: [] });
    expect(await registryLeftovers()).toEqual({ priorities: [], slots: [] });
  });
});
