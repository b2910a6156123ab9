/**
 * The offboarding workflow (statemachines/offboarding.asl.json) on the embedded runtime: each tier's
 * tenant removed, a tenant never onboarded answered with a tombstone, a failure at each state ending
 * the execution there with one failure reply, and a replay converging after a failure.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { readSample } from '../../events/samples.ts';
import { dynamoDbClient, elbClient } from '../../functions/shared/aws/clients.ts';
import { readRegistryTableName } from '../../functions/shared/config/environment.ts';
import { createRegistry } from '../../functions/shared/registry/tenants.ts';
import { injectSdkFault } from '../../local/sdk-faults.ts';
import { enteredStates, kinds, lastState, useSharedTestRuntime, registrationData } from './runtime.fixture.ts';

const registry = createRegistry(readRegistryTableName());

const shared = useSharedTestRuntime();
const run = shared.run;

/** An offboarding request for the tenant of an onboarding sample, as the control plane sends it (`copy`: sent again, under a new event id). */
function offboardingFor(sample: string, copy = 0) {
  const onboarding = readSample(sample);
  return {
    ...onboarding,
    id: `${String(onboarding.id)}-off${copy === 0 ? '' : `-${copy}`}`,
    'detail-type': 'sbt_aws_offboardingRequest',
    detail: { ...onboarding.detail, registrationStatus: 'created', sbtaws_active: true },
  };
}

const tenantRules = () => shared.runtime.resources().rules;
/** Live stacks (deleted ones are gone from the listing, as from DescribeStacks without a name). */
const liveStacks = () => shared.runtime.resources().stacks;

describe('offboarding happy paths', () => {
  it.each(['onboarding-basic', 'onboarding-advanced', 'onboarding-premium'])(
    '%s tenant: route and stacks removed, record kept as DELETED, replies deleted',
    async (sample) => {
      const tenantId = String(readSample(sample).detail.tenantId);
      expect((await run(readSample(sample))).status).toBe('SUCCEEDED');

      const result = await run(offboardingFor(sample));

      expect(result.status).toBe('SUCCEEDED');
      expect(tenantRules()).toEqual([]);
      expect(liveStacks()).toEqual([]);
      const record = await registry.getTenant(tenantId);
      expect(record?.status).toBe('DELETED');
      expect(record?.route).toBeUndefined();
      expect(record?.lock).toBeUndefined();
      expect(kinds(shared.runtime.replies())).toEqual(['sbt_aws_provisionSuccess', 'sbt_aws_deprovisionSuccess']);
      expect(registrationData(shared.runtime.replies()[1])).toEqual({
        registrationStatus: 'deleted',
        failureReason: null,
        failedStep: null,
        errorName: null,
        executionArn: null,
      });
    },
  );

  it('a repeated offboarding request after success deletes nothing and sends no second reply', async () => {
    await run(readSample('onboarding-advanced'));
    await run(offboardingFor('onboarding-advanced'));

    // The control plane sends it again: the same registration under a new event id.
    const again = await run(offboardingFor('onboarding-advanced', 1));

    expect(again.status).toBe('SUCCEEDED');
    expect(enteredStates(shared.runtime, again.executionArn)).toEqual([
      'AcceptOffboardingRequest',
      'IsDuplicateRequest',
      'SendDeprovisionSuccess',
      'TenantOffboarded',
    ]);
    expect(shared.runtime.replies()).toHaveLength(2);
  });
});

describe('offboarding failures end the execution at the failing state', () => {
  async function expectFailure(event: unknown, state: string, error: string) {
    const result = await run(event);

    expect(result.status).toBe('FAILED');
    expect(result.failedState).toBe(state);
    expect(result.error).toBe(error);
    const failures = shared.runtime.replies().filter((reply) => reply.detailType === 'sbt_aws_deprovisionFailure');
    expect(failures).toHaveLength(1);
    const failure = registrationData(failures[0]);
    expect(failure).toMatchObject({
      registrationStatus: 'failed',
      failedStep: state,
      errorName: error,
    });
    return failure ?? {};
  }

  it('a tenant never onboarded here: nothing to delete, a deleted reply, and a tombstone that expires', async () => {
    const before = Math.floor(Date.now() / 1000);
    const result = await run(offboardingFor('onboarding-advanced'));
    const after = Math.floor(Date.now() / 1000);

    expect(result.status).toBe('SUCCEEDED');
    expect(kinds(shared.runtime.replies())).toEqual(['sbt_aws_deprovisionSuccess']);
    expect(registrationData(shared.runtime.replies()[0])).toMatchObject({ registrationStatus: 'deleted' });
    const tenantId = String(readSample('onboarding-advanced').detail.tenantId);
    const tombstone = await registry.getTenant(tenantId);
    const lifetime = Number(process.env.TOMBSTONE_SECONDS);
    expect(tombstone).toMatchObject({ status: 'DELETED', lastRequestAt: readSample('onboarding-advanced').time });
    // Its lifetime counts from when the offboarding ran: bounded by the clock read before and after it.
    expect(tombstone?.tombstoneExpiresAt).toBeGreaterThanOrEqual(before + lifetime);
    expect(tombstone?.tombstoneExpiresAt).toBeLessThanOrEqual(after + lifetime);
    // Once its time is up the record reads as absent, even before DynamoDB's TTL deletes it.
    const expiresAt = tombstone?.tombstoneExpiresAt ?? 0;
    expect(await registry.getTenant(tenantId, new Date((expiresAt - 1) * 1000))).toBeDefined();
    expect(await registry.getTenant(tenantId, new Date((expiresAt + 1) * 1000))).toBeUndefined();
  });

  it('RemoveTenantRoute: the load balancer refuses (AccessDenied)', async () => {
    await run(readSample('onboarding-basic'));
    injectSdkFault(elbClient(), {
      command: 'DeleteRuleCommand',
      error: () =>
        Object.assign(new Error('User is not authorized to perform: elasticloadbalancing:DeleteRule'), {
          name: 'AccessDenied',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
        }),
    });

    await expectFailure(offboardingFor('onboarding-basic'), 'RemoveTenantRoute', 'AccessDenied');
  });

  it('CheckStackDeletion: the stack fails to delete (StackDeletionFailed) with the resource reason', async () => {
    await run(readSample('onboarding-premium'));
    shared.runtime.failNextStackDelete(/tenant-/, 'Cannot delete cluster: it has active container instances');

    const failure = await expectFailure(
      offboardingFor('onboarding-premium'),
      'CheckStackDeletion',
      'StackDeletionFailed',
    );

    expect(failure.failureReason).toContain('active container instances');
  });

  it('MarkTenantDeleted: another execution took the lock, so it ends in Superseded and replies nothing', async () => {
    await run(readSample('onboarding-basic'));
    injectSdkFault(dynamoDbClient(), {
      command: 'UpdateItemCommand',
      when: (input) => JSON.stringify(input.ExpressionAttributeNames ?? {}).includes('"completed"'),
      error: () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
    });

    const result = await run(offboardingFor('onboarding-basic'));

    // SUPERSEDED: Step Functions' SUCCEEDED, ended in the Superseded state.
    expect(result.status).toBe('SUPERSEDED');
    expect(lastState(shared.runtime, result.executionArn)).toBe('Superseded');
    expect(kinds(shared.runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
  });

  it('a replay after a failed deletion converges: stacks gone, one deleted reply', async () => {
    await run(readSample('onboarding-premium'));
    shared.runtime.failNextStackDelete(/tenant-/, 'Cannot delete cluster');
    const failed = await run(offboardingFor('onboarding-premium'));
    expect(failed.status).toBe('FAILED');

    const replay = await shared.runtime.replay(failed.executionArn, { wait: true });

    expect(replay.status).toBe('SUCCEEDED');
    expect(liveStacks()).toEqual([]);
    expect(kinds(shared.runtime.replies())).toEqual([
      'sbt_aws_provisionSuccess',
      'sbt_aws_deprovisionFailure',
      'sbt_aws_deprovisionSuccess',
    ]);
  });
});
