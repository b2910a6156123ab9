import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSample } from '../../events/samples.ts';
import { dynamoDbClient } from '../../functions/shared/aws/clients.ts';
import { readRegistryTableName } from '../../functions/shared/config/environment.ts';
import { createRegistry } from '../../functions/shared/registry/tenants.ts';
import { clearSdkFaults, injectSdkFault } from '../../local/sdk-faults.ts';
import { startHarness, type Harness } from './harness.ts';

const registry = createRegistry(process.env.TENANT_REGISTRY_TABLE ?? '');

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  clearSdkFaults(dynamoDbClient());
  await harness.close();
});

/** An offboarding request for the tenant of an onboarding sample, as the control plane sends it. */
function offboardingFor(sample: string) {
  const onboarding = readSample(sample);
  return {
    ...onboarding,
    id: `${String(onboarding.id)}-off`,
    'detail-type': 'sbt_aws_offboardingRequest',
    detail: { ...onboarding.detail, registrationStatus: 'created', sbtaws_active: true },
  };
}

function tenantRules(harness: Harness) {
  return harness.cloud.elb.listRules().filter((rule) => !rule.IsDefault);
}

describe('offboarding happy paths', () => {
  it.each(['onboarding-basic', 'onboarding-advanced', 'onboarding-premium'])(
    '%s tenant: route and stacks removed, record kept as DELETED, replies deleted',
    async (sample) => {
      const tenantId = String(readSample(sample).detail.tenantId);
      expect((await harness.run('onboarding', readSample(sample))).status).toBe('SUCCEEDED');

      const result = await harness.run('offboarding', offboardingFor(sample));

      expect(result.status).toBe('SUCCEEDED');
      expect(tenantRules(harness)).toEqual([]);
      expect(harness.cloud.cloudFormation.listStacks().filter((stack) => stack.status !== 'DELETE_COMPLETE')).toEqual(
        [],
      );
      const record = await registry.getTenant(tenantId);
      expect(record?.status).toBe('DELETED');
      expect(record?.route).toBeUndefined();
      expect(record?.lock).toBeUndefined();
      expect(harness.replies.map((r) => r.detailType)).toEqual([
        'sbt_aws_provisionSuccess',
        'sbt_aws_deprovisionSuccess',
      ]);
      expect(harness.replies[1]!.detail.jobOutput.tenantRegistrationData).toEqual({
        registrationStatus: 'deleted',
        failureReason: null,
        failedStep: null,
        errorName: null,
        executionArn: null,
      });
    },
  );

  it('a repeated offboarding request after success deletes nothing and sends no second reply', async () => {
    await harness.run('onboarding', readSample('onboarding-advanced'));
    await harness.run('offboarding', offboardingFor('onboarding-advanced'));

    const again = await harness.run('offboarding', offboardingFor('onboarding-advanced'));

    expect(again.status).toBe('SUCCEEDED');
    expect(again.history.filter((e) => e.type === 'StateEntered').map((e) => e.state)).toEqual([
      'AcceptOffboardingRequest',
      'IsDuplicateRequest',
      'SendDeprovisionSuccess',
      'TenantOffboarded',
    ]);
    expect(harness.replies).toHaveLength(2);
  });
});

describe('offboarding failures end the execution at the failing state', () => {
  async function expectFailure(event: unknown, state: string, error: string) {
    const result = await harness.run('offboarding', event);

    expect(result.status).toBe('FAILED');
    expect(result.failedState).toBe(state);
    expect(result.error).toBe(error);
    const failures = harness.replies.filter((r) => r.detailType === 'sbt_aws_deprovisionFailure');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.detail.jobOutput.tenantRegistrationData).toMatchObject({
      registrationStatus: 'failed',
      failedStep: state,
      errorName: error,
    });
    return failures[0]!.detail.jobOutput.tenantRegistrationData as Record<string, string>;
  }

  it('a tenant never onboarded here: nothing to delete, a deleted reply, and a tombstone that expires', async () => {
    const result = await harness.run('offboarding', offboardingFor('onboarding-advanced'));

    expect(result.status).toBe('SUCCEEDED');
    expect(harness.replies.map((r) => r.detailType)).toEqual(['sbt_aws_deprovisionSuccess']);
    expect(harness.replies[0]!.detail.jobOutput.tenantRegistrationData).toMatchObject({
      registrationStatus: 'deleted',
    });
    const tenantId = String(readSample('onboarding-advanced').detail.tenantId);
    const tombstone = await createRegistry(readRegistryTableName()).getTenant(tenantId);
    const lifetime = Number(process.env.TOMBSTONE_SECONDS);
    const nowSeconds = Math.floor(Date.now() / 1000);
    expect(tombstone).toMatchObject({ status: 'DELETED', lastRequestAt: readSample('onboarding-advanced').time });
    expect(tombstone?.tombstoneExpiresAt).toBeGreaterThan(nowSeconds + lifetime - 120);
    expect(tombstone?.tombstoneExpiresAt).toBeLessThanOrEqual(nowSeconds + lifetime);
    // Once its time is up the record reads as absent, even before DynamoDB's TTL deletes it.
    expect(
      await createRegistry(readRegistryTableName()).getTenant(tenantId, new Date((nowSeconds + lifetime + 1) * 1000)),
    ).toBeUndefined();
  });

  it('RemoveTenantRoute: the load balancer refuses (AccessDenied)', async () => {
    await harness.run('onboarding', readSample('onboarding-basic'));
    harness.cloud.elb.injectError(
      'deleteRule',
      Object.assign(new Error('User is not authorized to perform: elasticloadbalancing:DeleteRule'), {
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      }),
    );

    await expectFailure(offboardingFor('onboarding-basic'), 'RemoveTenantRoute', 'AccessDenied');
  });

  it('CheckStackDeletion: the stack fails to delete (StackDeletionFailed) with the resource reason', async () => {
    await harness.run('onboarding', readSample('onboarding-premium'));
    harness.cloud.cloudFormation.failNextDelete(/tenant-/, 'Cannot delete cluster: it has active container instances');

    const failure = await expectFailure(
      offboardingFor('onboarding-premium'),
      'CheckStackDeletion',
      'StackDeletionFailed',
    );

    expect(failure.failureReason).toContain('active container instances');
  });

  it('MarkTenantDeleted: another execution took the lock, so it ends in Superseded and replies nothing', async () => {
    await harness.run('onboarding', readSample('onboarding-basic'));
    injectSdkFault(dynamoDbClient(), {
      command: 'UpdateItemCommand',
      when: (input) => JSON.stringify(input.ExpressionAttributeNames ?? {}).includes('"completed"'),
      error: () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
    });

    const result = await harness.run('offboarding', offboardingFor('onboarding-basic'));

    expect(result.status).toBe('SUCCEEDED');
    expect(result.history.filter((entry) => entry.type === 'StateEntered').at(-1)?.state).toBe('Superseded');
    expect(harness.replies.map((r) => r.detailType)).toEqual(['sbt_aws_provisionSuccess']);
  });

  it('a replay after a failed deletion converges: stacks gone, one deleted reply', async () => {
    await harness.run('onboarding', readSample('onboarding-premium'));
    harness.cloud.cloudFormation.failNextDelete(/tenant-/, 'Cannot delete cluster');
    expect((await harness.run('offboarding', offboardingFor('onboarding-premium'))).status).toBe('FAILED');

    const replay = await harness.run('offboarding', offboardingFor('onboarding-premium'));

    expect(replay.status).toBe('SUCCEEDED');
    expect(harness.cloud.cloudFormation.listStacks().filter((stack) => stack.status !== 'DELETE_COMPLETE')).toEqual([]);
    expect(harness.replies.map((r) => r.detailType)).toEqual([
      'sbt_aws_provisionSuccess',
      'sbt_aws_deprovisionFailure',
      'sbt_aws_deprovisionSuccess',
    ]);
  });
});
