/**
 * Fencing and order, on the local runtime: only the execution that holds a tenant's lock, in its
 * latest redrive attempt, changes anything; a newer request wins whatever order requests arrive
 * in; a superseded execution ends in the `Superseded` state, creates nothing and sends no reply.
 * Each case failed on the release before fencing (test/workflow/fixtures/previous-release.json is
 * that release's record): a redrive rebuilt a deleted tenant, an older onboarding provisioned a
 * tenant a newer offboarding had removed, and tenant ids differing in case shared a route.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSample } from '../../events/samples.ts';
import { readRegistryTableName } from '../../functions/shared/config/environment.ts';
import { createRegistry } from '../../functions/shared/registry/tenants.ts';
import type { LocalRuntime } from '../../local/runtime/api.ts';
import { lambdaContext, loadHandler } from '../../local/workflow-runner.ts';
import {
  cloudResourcesOf,
  kinds,
  openTestRuntime,
  registryLeftovers,
  tenantRecord,
  withDetail,
} from './runtime.fixture.ts';

let runtime: LocalRuntime;
let dispose: () => Promise<void>;
beforeEach(async () => {
  ({ runtime, dispose } = await openTestRuntime());
});
afterEach(async () => {
  runtime.clearFaults();
  await dispose();
});

const premium = readSample('onboarding-premium');
const tenantId = String(premium.detail.tenantId);
let sequence = 0;

/** A request for the tenant at `time`, with an event id of its own. */
function request(operation: 'onboarding' | 'offboarding', time: string, changes: Record<string, unknown> = {}) {
  sequence += 1;
  const base = { ...premium, id: `fencing-${operation}-${sequence}`, time };
  const event =
    operation === 'onboarding'
      ? base
      : {
          ...base,
          'detail-type': 'sbt_aws_offboardingRequest',
          detail: { ...premium.detail, registrationStatus: 'created' },
        };
  return withDetail(event, changes);
}

/** The states an execution entered, in order. */
function statesOf(executionArn: string): string[] {
  return runtime
    .history(executionArn)
    .filter((entry) => entry.type === 'StateEntered')
    .map((entry) => entry.state ?? '');
}

async function expectNothingBuilt(): Promise<void> {
  expect(cloudResourcesOf(runtime, tenantId)).toEqual({ stacks: [], rules: [], services: [] });
  expect(await registryLeftovers()).toEqual({ priorities: [], slots: [] });
}

describe('a stale execution never acts', () => {
  it('a redrive of a failed onboarding after the tenant was offboarded builds nothing and replies nothing', async () => {
    runtime.injectFault({ step: 'CreateTenantStacks' });
    const failed = await runtime.send(request('onboarding', '2026-11-20T10:00:00Z'), { wait: true });
    runtime.clearFaults();
    expect(failed.execution).toMatchObject({ status: 'FAILED', failedState: 'CreateTenantStacks' });
    const offboarded = await runtime.send(request('offboarding', '2026-11-20T10:05:00Z'), { wait: true });
    expect(offboarded.execution?.status).toBe('SUCCEEDED');

    const redriven = await runtime.redrive!(failed.execution!.executionArn, { wait: true });

    expect(redriven.status).toBe('SUPERSEDED');
    expect(statesOf(redriven.executionArn).slice(-2)).toEqual(['CreateTenantStacks', 'Superseded']);
    await expectNothingBuilt();
    expect(await tenantRecord(runtime, tenantId)).toMatchObject({ status: 'DELETED' });
    // The control plane heard the failure, then the deletion; nothing after it turns the registration "failed".
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionFailure', 'sbt_aws_deprovisionSuccess']);
  });

  it('a redrive of an onboarding that a replay completed, after an offboarding, ends superseded (it used to succeed)', async () => {
    runtime.injectFault({ step: 'CreateTenantStacks' });
    const failed = await runtime.send(request('onboarding', '2026-11-20T10:00:00Z'), { wait: true });
    runtime.clearFaults();
    const replayed = await runtime.replay(failed.execution!.executionArn, { wait: true });
    expect(replayed.status).toBe('SUCCEEDED');
    await runtime.send(request('offboarding', '2026-11-20T10:05:00Z'), { wait: true });

    const redriven = await runtime.redrive!(failed.execution!.executionArn, { wait: true });

    expect(redriven.status).toBe('SUPERSEDED');
    await expectNothingBuilt();
    expect(kinds(runtime.replies())).toEqual([
      'sbt_aws_provisionFailure',
      'sbt_aws_provisionSuccess',
      'sbt_aws_deprovisionSuccess',
    ]);
  });

  it('an earlier redrive attempt of the execution holding the lock is refused before it touches a stack', async () => {
    runtime.injectFault({ step: 'VerifyTenantServices' });
    const failed = await runtime.send(request('onboarding', '2026-11-20T10:00:00Z'), { wait: true });
    runtime.clearFaults();
    const executionArn = failed.execution!.executionArn;
    const registry = createRegistry(readRegistryTableName());
    // The redrive's first step (attempt 1) proves the lock, raising its attempt.
    const heldBy = await registry.holdLock(tenantId, { executionArn, attempt: 1 }, new Date().toISOString());
    expect(heldBy.lock).toMatchObject({ executionArn, attempt: 1 });
    const stacksBefore = runtime.resources().stacks;

    // A Lambda invocation of attempt 0 still running (Step Functions gave up on it) calls converge-stacks.
    const convergeStacks = await loadHandler('converge-stacks');
    const stale = convergeStacks(
      {
        request: {
          operation: 'onboarding',
          tenantId,
          registrationId: String(premium.detail.tenantRegistrationId),
          executionArn,
          tier: 'premium',
        },
        desired: 'absent',
        stacks: stacksBefore
          .filter((stack) => stack.tags.tenantId === tenantId)
          .map((stack) => ({ stackName: stack.stackName })),
        redriveCount: 0,
      },
      lambdaContext('tenant-orchestrator-converge-stacks'),
    );

    await expect(stale).rejects.toMatchObject({ name: 'Superseded' });
    expect(runtime.resources().stacks).toEqual(stacksBefore);
  });
});

describe('a newer request wins, whatever order they arrive in', () => {
  it('an offboarding of a tenant never onboarded succeeds, and an older onboarding arriving later builds nothing', async () => {
    const offboarding = await runtime.send(request('offboarding', '2026-11-20T09:01:00Z'), { wait: true });

    expect(offboarding.execution?.status).toBe('SUCCEEDED');
    expect(kinds(offboarding.replies)).toEqual(['sbt_aws_deprovisionSuccess']);
    expect(
      (offboarding.replies[0]!.detail.jobOutput as { tenantRegistrationData: Record<string, unknown> })
        .tenantRegistrationData,
    ).toMatchObject({
      registrationStatus: 'deleted',
    });

    const older = await runtime.send(request('onboarding', '2026-11-20T08:59:00Z'), { wait: true });
    // EventBridge times have one-second resolution: the same second cannot be shown to be newer.
    const sameSecond = await runtime.send(request('onboarding', '2026-11-20T09:01:00Z'), { wait: true });

    for (const refused of [older, sameSecond]) {
      expect(refused.execution?.status).toBe('SUPERSEDED');
      expect(statesOf(refused.execution!.executionArn)).toEqual(['AcceptOnboardingRequest', 'Superseded']);
      expect(refused.replies).toEqual([]);
    }
    await expectNothingBuilt();

    const newer = await runtime.send(request('onboarding', '2026-11-20T09:02:00Z'), { wait: true });

    expect(newer.execution?.status).toBe('SUCCEEDED');
    expect(kinds(newer.replies)).toEqual(['sbt_aws_provisionSuccess']);
    const record = await tenantRecord(runtime, tenantId);
    expect(record).toMatchObject({ status: 'ACTIVE', lastRequestAt: '2026-11-20T09:02:00Z' });
    // Onboarded for good: the record no longer expires.
    expect(record?.tombstoneExpiresAt).toBeUndefined();
  });

  it('a tenant id that differs only in case from an existing tenant is refused, building nothing for it', async () => {
    await runtime.send(
      request('onboarding', '2026-11-20T10:00:00Z', { tenantId: 'CaseTwin-1', tenantRegistrationId: 'reg-upper' }),
      { wait: true },
    );

    const twin = await runtime.send(
      request('onboarding', '2026-11-20T10:01:00Z', { tenantId: 'casetwin-1', tenantRegistrationId: 'reg-lower' }),
      {
        wait: true,
      },
    );

    expect(twin.execution).toMatchObject({
      status: 'FAILED',
      failedState: 'AcceptOnboardingRequest',
      error: 'TenantIdConflict',
    });
    expect(kinds(twin.replies)).toEqual(['sbt_aws_provisionFailure']);
    expect(runtime.resources().stacks.map((stack) => stack.tags.tenantId)).toEqual(['CaseTwin-1']);
    expect(await tenantRecord(runtime, 'casetwin-1')).toBeUndefined();

    // Once the first is deleted (its route gone), the lower-cased id is free again.
    await runtime.send(
      request('offboarding', '2026-11-20T10:02:00Z', { tenantId: 'CaseTwin-1', tenantRegistrationId: 'reg-upper' }),
      { wait: true },
    );
    const afterDeletion = await runtime.send(
      request('onboarding', '2026-11-20T10:03:00Z', { tenantId: 'casetwin-1', tenantRegistrationId: 'reg-lower-2' }),
      {
        wait: true,
      },
    );
    expect(afterDeletion.execution?.status).toBe('SUCCEEDED');
  });
});
