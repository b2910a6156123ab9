import { ResourceNotFoundException, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { ClusterNotFoundException } from '@aws-sdk/client-ecs';
import { ListenerNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSample } from '../../events/samples.ts';
import { dynamoDbClient } from '../../functions/shared/aws/clients.ts';
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

function entered(result: { history: readonly { type: string; state?: string }[] }): string[] {
  return result.history.filter((entry) => entry.type === 'StateEntered').map((entry) => entry.state ?? '');
}

describe('onboarding happy paths', () => {
  it('basic (pool): registers a route to the pooled services, creates no stack, replies created', async () => {
    const event = readSample('onboarding-basic');

    const result = await harness.run('onboarding', event);

    expect(result.status).toBe('SUCCEEDED');
    expect(entered(result)).toEqual([
      'AcceptOnboardingRequest',
      'IsDuplicateRequest',
      'PlanTenantResources',
      'RegisterTenantRoute',
      'HasTenantStacks',
      'ActivateTenant',
      'SendProvisionSuccess',
      'TenantOnboarded',
    ]);
    expect(harness.cloud.cloudFormation.listStacks()).toEqual([]);
    const rules = harness.cloud.elb.listRules().filter((rule) => !rule.IsDefault);
    expect(rules).toHaveLength(1);
    expect(JSON.stringify(rules[0]?.Conditions)).toContain(String(event.detail.tenantId));
    expect(harness.replies).toHaveLength(1);
    const reply = harness.replies[0]!;
    expect(reply.detailType).toBe('sbt_aws_provisionSuccess');
    expect(reply.source).toBe('sbt.application.plane');
    expect(reply.detail.tenantRegistrationId).toBe(event.detail.tenantRegistrationId);
    expect(reply.detail.jobOutput.tenantRegistrationData).toEqual({
      registrationStatus: 'created',
      failureReason: null,
      failedStep: null,
      errorName: null,
      executionArn: null,
    });
    const tenantConfig = JSON.parse(reply.detail.jobOutput.tenantData.tenantConfig);
    expect(tenantConfig).toMatchObject({ tenantId: event.detail.tenantId, tier: 'basic', isolationModel: 'pool' });
    const record = await registry.getTenant(String(event.detail.tenantId));
    expect(record?.status).toBe('ACTIVE');
    expect(record?.lock).toBeUndefined();
  });

  it.each([
    ['onboarding-advanced', 'advanced', 'silo-services'],
    ['onboarding-premium', 'premium', 'silo-cluster'],
  ])(
    '%s: creates one tagged stack whose rule routes to its target group, verifies services, replies created',
    async (sample, tier, model) => {
      const event = readSample(sample);
      const tenantId = String(event.detail.tenantId);

      const result = await harness.run('onboarding', event);

      expect(result.status).toBe('SUCCEEDED');
      expect(entered(result)).toEqual(
        expect.arrayContaining([
          'CreateTenantStacks',
          'CheckTenantStacks',
          'RegisterTenantRoute',
          'VerifyTenantServices',
          'ActivateTenant',
          'SendProvisionSuccess',
        ]),
      );
      const stacks = harness.cloud.cloudFormation.listStacks();
      expect(stacks).toHaveLength(1);
      expect(stacks[0]).toMatchObject({ stackName: `tenant-${tenantId}`, status: 'CREATE_COMPLETE' });
      expect(stacks[0]?.tags).toMatchObject({ tenantId, tier });
      const rules = harness.cloud.elb.listRules().filter((rule) => !rule.IsDefault);
      expect(rules).toHaveLength(1);
      expect(JSON.stringify(rules[0]?.Conditions)).toContain(`${tenantId}.tenants.example.com`);
      expect(JSON.stringify(rules[0]?.Actions)).not.toContain('targetgroup/pooled/');
      expect(harness.replies.map((r) => r.detailType)).toEqual(['sbt_aws_provisionSuccess']);
      const tenantConfig = JSON.parse(harness.replies[0]!.detail.jobOutput.tenantData.tenantConfig);
      expect(tenantConfig).toMatchObject({ tenantId, tier, isolationModel: model });
      expect(JSON.stringify(harness.replies)).not.toContain(String(event.detail.email));
      expect((await registry.getTenant(tenantId))?.status).toBe('ACTIVE');
    },
  );

  it('accepts the legacy detail-type spelling', async () => {
    const result = await harness.run('onboarding', readSample('onboarding-legacy-detail-type'));

    expect(result.status).toBe('SUCCEEDED');
    expect(harness.replies.map((r) => r.detailType)).toEqual(['sbt_aws_provisionSuccess']);
  });

  it('a re-delivered request after success provisions nothing and sends no second reply', async () => {
    const event = readSample('onboarding-advanced');
    await harness.run('onboarding', event);

    const again = await harness.run('onboarding', event);

    expect(again.status).toBe('SUCCEEDED');
    // It confirms through the idempotent reply step, which finds the reply already sent.
    expect(entered(again)).toEqual([
      'AcceptOnboardingRequest',
      'IsDuplicateRequest',
      'SendProvisionSuccess',
      'TenantOnboarded',
    ]);
    expect(harness.cloud.cloudFormation.listStacks()).toHaveLength(1);
    expect(harness.replies).toHaveLength(1);
  });
});

describe('onboarding failures end the execution at the failing state', () => {
  async function expectFailure(event: unknown, state: string, error: string) {
    const result = await harness.run('onboarding', event);

    expect(result.status).toBe('FAILED');
    expect(result.failedState).toBe(state);
    expect(result.error).toBe(error);
    const failures = harness.replies.filter((r) => r.detailType === 'sbt_aws_provisionFailure');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.detail.jobOutput.tenantRegistrationData).toMatchObject({
      registrationStatus: 'failed',
      failedStep: state,
      errorName: error,
      executionArn: result.executionArn,
    });
    expect(harness.replies.filter((r) => r.detailType === 'sbt_aws_provisionSuccess')).toHaveLength(0);
    return { result, failure: failures[0]!.detail.jobOutput.tenantRegistrationData as Record<string, string> };
  }

  it('AcceptOnboardingRequest: malformed request (InvalidRequest), nothing created', async () => {
    const event = readSample('onboarding-premium');
    event.detail.tenantId = '../../etc/passwd';

    const { failure } = await expectFailure(event, 'AcceptOnboardingRequest', 'InvalidRequest');

    expect(failure.failureReason).toContain('detail.tenantId');
    expect(harness.cloud.cloudFormation.listStacks()).toEqual([]);
  });

  it('AcceptOnboardingRequest: unknown tier (UnknownTier) names the known tiers, nothing created', async () => {
    const event = readSample('onboarding-unknown-tier');

    const { failure } = await expectFailure(event, 'AcceptOnboardingRequest', 'UnknownTier');

    expect(failure.failureReason).toContain('basic, advanced, premium');
    expect(await registry.getTenant(String(event.detail.tenantId))).toBeUndefined();
  });

  it('PlanTenantResources: registry table missing (ResourceNotFoundException)', async () => {
    injectSdkFault(dynamoDbClient(), {
      command: 'UpdateItemCommand',
      when: (input) => String(input.UpdateExpression).includes('#plan'),
      error: () => new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }),
    });

    await expectFailure(readSample('onboarding-advanced'), 'PlanTenantResources', 'ResourceNotFoundException');
  });

  it('CreateTenantStacks: CloudFormation rejects the request (StackRequestRejected)', async () => {
    harness.cloud.cloudFormation.injectError(
      'createStack',
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        message: 'TemplateURL must be a supported URL.',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    const { failure } = await expectFailure(
      readSample('onboarding-premium'),
      'CreateTenantStacks',
      'StackRequestRejected',
    );

    expect(failure.failureReason).toContain('TemplateURL must be a supported URL');
  });

  it('CheckTenantStacks: the stack rolls back (StackCreationFailed) with the failing resource reason', async () => {
    harness.cloud.cloudFormation.failNextCreate(
      /tenant-/,
      'Resource handler returned message: "The maximum number of clusters has been reached"',
    );

    const { failure } = await expectFailure(
      readSample('onboarding-premium'),
      'CheckTenantStacks',
      'StackCreationFailed',
    );

    expect(failure.failureReason).toContain('The maximum number of clusters has been reached');
  });

  it('RegisterTenantRoute: the listener is gone (RouteConflict)', async () => {
    harness.cloud.elb.injectError(
      'createRule',
      new ListenerNotFoundException({ message: 'One or more listeners not found', $metadata: {} }),
    );

    await expectFailure(readSample('onboarding-basic'), 'RegisterTenantRoute', 'RouteConflict');
  });

  it('VerifyTenantServices: the cluster does not exist (ServicesNotStable)', async () => {
    harness.cloud.ecs.injectError(
      'describeServices',
      new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }),
    );

    await expectFailure(readSample('onboarding-advanced'), 'VerifyTenantServices', 'ServicesNotStable');
  });

  it('ActivateTenant: another execution took the lock, so it ends in Superseded and replies nothing', async () => {
    injectSdkFault(dynamoDbClient(), {
      command: 'UpdateItemCommand',
      when: (input) => JSON.stringify(input.ExpressionAttributeNames ?? {}).includes('"completed"'),
      error: () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
    });

    const result = await harness.run('onboarding', readSample('onboarding-basic'));

    expect(result.status).toBe('SUCCEEDED');
    expect(result.history.filter((entry) => entry.type === 'StateEntered').at(-1)?.state).toBe('Superseded');
    expect(harness.replies).toEqual([]);
  });

  it('SendProvisionSuccess: the bus refuses the event', async () => {
    harness.rejectNextPutEvents(
      Object.assign(new Error('User is not authorized to perform: events:PutEvents'), {
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    await expectFailure(readSample('onboarding-basic'), 'SendProvisionSuccess', 'AccessDeniedException');
  });

  it('transient throttling is retried and the onboarding still succeeds', async () => {
    harness.cloud.cloudFormation.injectError(
      'createStack',
      Object.assign(
        new CloudFormationServiceException({
          name: 'Throttling',
          $fault: 'client',
          message: 'Rate exceeded',
          $metadata: { httpStatusCode: 400 },
        }),
      ),
      4,
    );

    const result = await harness.run('onboarding', readSample('onboarding-advanced'));

    expect(result.status).toBe('SUCCEEDED');
    expect(result.history.some((entry) => entry.type === 'StateRetried' && entry.state === 'CreateTenantStacks')).toBe(
      true,
    );
    expect(harness.cloud.cloudFormation.listStacks()).toHaveLength(1);
  });
});

describe('replay after a failure converges', () => {
  it('a rolled-back stack is deleted and created again; one stack, one route, one success reply', async () => {
    const event = readSample('onboarding-premium');
    harness.cloud.cloudFormation.failNextCreate(/tenant-/, 'Resource limit exceeded');
    const first = await harness.run('onboarding', event);
    expect(first.status).toBe('FAILED');

    const replay = await harness.run('onboarding', event);

    expect(replay.status).toBe('SUCCEEDED');
    const live = harness.cloud.cloudFormation.listStacks().filter((stack) => stack.status !== 'DELETE_COMPLETE');
    expect(live.map((stack) => stack.status)).toEqual(['CREATE_COMPLETE']);
    expect(harness.cloud.elb.listRules().filter((rule) => !rule.IsDefault)).toHaveLength(1);
    expect(harness.replies.map((r) => r.detailType)).toEqual(['sbt_aws_provisionFailure', 'sbt_aws_provisionSuccess']);
  });
});
