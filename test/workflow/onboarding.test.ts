/**
 * The onboarding workflow (statemachines/onboarding.asl.json) on the embedded runtime: each tier's
 * happy path, a failure at each state ending the execution there with one failure reply, and a
 * replay converging after a failure.
 */
import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { ConditionalCheckFailedException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { ClusterNotFoundException } from '@aws-sdk/client-ecs';
import { DescribeRulesCommand, ListenerNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { readSample } from '../../events/samples.ts';
import {
  cloudFormationClient,
  dynamoDbClient,
  ecsClient,
  elbClient,
  eventBridgeClient,
} from '../../functions/shared/aws/clients.ts';
import { readRegistryTableName } from '../../functions/shared/config/environment.ts';
import { createRegistry } from '../../functions/shared/registry/tenants.ts';
import type { ExecutionSummary } from '../../local/runtime/api.ts';
import { injectSdkFault } from '../../local/sdk-faults.ts';
import {
  enteredStates,
  kinds,
  lastState,
  useSharedTestRuntime,
  registrationData,
  tenantConfig,
} from './runtime.fixture.ts';

const registry = createRegistry(readRegistryTableName());

const shared = useSharedTestRuntime();
const run = shared.run;

const entered = (execution: ExecutionSummary) => enteredStates(shared.runtime, execution.executionArn);
const stacks = () => shared.runtime.resources().stacks;
const rules = () => shared.runtime.resources().rules;

describe('onboarding happy paths', () => {
  it('basic (pool): registers a route to the pooled services, creates no stack, replies created', async () => {
    const event = readSample('onboarding-basic');

    const result = await run(event);

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
    expect(stacks()).toEqual([]);
    expect(rules()).toHaveLength(1);
    expect(rules()[0]?.conditions).toContain(String(event.detail.tenantId));
    const replies = shared.runtime.replies();
    expect(replies).toHaveLength(1);
    const reply = replies[0];
    expect(reply?.detailType).toBe('sbt_aws_provisionSuccess');
    expect(reply?.source).toBe('sbt.application.plane');
    expect(reply?.detail.tenantRegistrationId).toBe(event.detail.tenantRegistrationId);
    expect(registrationData(reply)).toEqual({
      registrationStatus: 'created',
      failureReason: null,
      failedStep: null,
      errorName: null,
      executionArn: null,
    });
    expect(tenantConfig(reply)).toMatchObject({
      tenantId: event.detail.tenantId,
      tier: 'basic',
      isolationModel: 'pool',
    });
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

      const result = await run(event);

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
      expect(stacks()).toHaveLength(1);
      expect(stacks()[0]).toMatchObject({ stackName: `tenant-${tenantId}`, status: 'CREATE_COMPLETE' });
      expect(stacks()[0]?.tags).toMatchObject({ tenantId, tier });
      expect(rules()).toHaveLength(1);
      const rule = rules()[0];
      expect(rule?.conditions).toContain(`${tenantId}.tenants.example.com`);
      const described = await elbClient().send(new DescribeRulesCommand({ RuleArns: [rule?.ruleArn ?? ''] }));
      expect(JSON.stringify(described.Rules?.[0]?.Actions)).not.toContain('targetgroup/pooled/');
      expect(kinds(shared.runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
      expect(tenantConfig(shared.runtime.replies()[0])).toMatchObject({ tenantId, tier, isolationModel: model });
      expect(JSON.stringify(shared.runtime.replies())).not.toContain(String(event.detail.email));
      expect((await registry.getTenant(tenantId))?.status).toBe('ACTIVE');
    },
  );

  it('accepts the legacy detail-type spelling', async () => {
    const result = await run(readSample('onboarding-legacy-detail-type'));

    expect(result.status).toBe('SUCCEEDED');
    expect(kinds(shared.runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
  });

  it('a request sent again after success provisions nothing and sends no second reply', async () => {
    const event = readSample('onboarding-advanced');
    await run(event);

    // The control plane sends it again: the same registration under a new event id.
    const again = await run({ ...event, id: `${String(event.id)}-again` });

    expect(again.status).toBe('SUCCEEDED');
    // It confirms through the idempotent reply step, which finds the reply already sent.
    expect(entered(again)).toEqual([
      'AcceptOnboardingRequest',
      'IsDuplicateRequest',
      'SendProvisionSuccess',
      'TenantOnboarded',
    ]);
    expect(stacks()).toHaveLength(1);
    expect(shared.runtime.replies()).toHaveLength(1);
  });
});

describe('onboarding failures end the execution at the failing state', () => {
  async function expectFailure(event: unknown, state: string, error: string) {
    const result = await run(event);

    expect(result.status).toBe('FAILED');
    expect(result.failedState).toBe(state);
    expect(result.error).toBe(error);
    const failures = shared.runtime.replies().filter((reply) => reply.detailType === 'sbt_aws_provisionFailure');
    expect(failures).toHaveLength(1);
    const failure = registrationData(failures[0]);
    expect(failure).toMatchObject({
      registrationStatus: 'failed',
      failedStep: state,
      errorName: error,
      executionArn: result.executionArn,
    });
    expect(shared.runtime.replies().filter((reply) => reply.detailType === 'sbt_aws_provisionSuccess')).toHaveLength(0);
    return { result, failure: failure ?? {} };
  }

  it('AcceptOnboardingRequest: malformed request (InvalidRequest), nothing created', async () => {
    const event = readSample('onboarding-premium');
    event.detail.tenantId = '../../etc/passwd';

    const { failure } = await expectFailure(event, 'AcceptOnboardingRequest', 'InvalidRequest');

    expect(failure.failureReason).toContain('detail.tenantId');
    expect(stacks()).toEqual([]);
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
    injectSdkFault(cloudFormationClient(), {
      command: 'CreateStackCommand',
      error: () =>
        new CloudFormationServiceException({
          name: 'ValidationError',
          $fault: 'client',
          message: 'TemplateURL must be a supported URL.',
          $metadata: { httpStatusCode: 400 },
        }),
    });

    const { failure } = await expectFailure(
      readSample('onboarding-premium'),
      'CreateTenantStacks',
      'StackRequestRejected',
    );

    expect(failure.failureReason).toContain('TemplateURL must be a supported URL');
  });

  it('CheckTenantStacks: the stack rolls back (StackCreationFailed) with the failing resource reason', async () => {
    shared.runtime.failNextStackCreate(
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
    injectSdkFault(elbClient(), {
      command: 'CreateRuleCommand',
      error: () => new ListenerNotFoundException({ message: 'One or more listeners not found', $metadata: {} }),
    });

    await expectFailure(readSample('onboarding-basic'), 'RegisterTenantRoute', 'RouteConflict');
  });

  it('VerifyTenantServices: the cluster does not exist (ServicesNotStable)', async () => {
    injectSdkFault(ecsClient(), {
      command: 'DescribeServicesCommand',
      error: () => new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }),
    });

    await expectFailure(readSample('onboarding-advanced'), 'VerifyTenantServices', 'ServicesNotStable');
  });

  it('ActivateTenant: another execution took the lock, so it ends in Superseded and replies nothing', async () => {
    injectSdkFault(dynamoDbClient(), {
      command: 'UpdateItemCommand',
      when: (input) => JSON.stringify(input.ExpressionAttributeNames ?? {}).includes('"completed"'),
      error: () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
    });

    const result = await run(readSample('onboarding-basic'));

    // SUPERSEDED: Step Functions' SUCCEEDED, ended in the Superseded state.
    expect(result.status).toBe('SUPERSEDED');
    expect(lastState(shared.runtime, result.executionArn)).toBe('Superseded');
    expect(shared.runtime.replies()).toEqual([]);
  });

  it('SendProvisionSuccess: the bus refuses the event', async () => {
    // Once: the failure reporter's PutEvents that follows goes through.
    injectSdkFault(eventBridgeClient(), {
      command: 'PutEventsCommand',
      error: () =>
        Object.assign(new Error('User is not authorized to perform: events:PutEvents'), {
          name: 'AccessDeniedException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        }),
    });

    await expectFailure(readSample('onboarding-basic'), 'SendProvisionSuccess', 'AccessDeniedException');
  });

  it('transient throttling is retried and the onboarding still succeeds', async () => {
    injectSdkFault(cloudFormationClient(), {
      command: 'CreateStackCommand',
      error: () =>
        new CloudFormationServiceException({
          name: 'Throttling',
          $fault: 'client',
          message: 'Rate exceeded',
          $metadata: { httpStatusCode: 400 },
        }),
      times: 4,
    });

    const result = await run(readSample('onboarding-advanced'));

    expect(result.status).toBe('SUCCEEDED');
    expect(
      shared.runtime
        .history(result.executionArn)
        .some((entry) => entry.type === 'StateRetried' && entry.state === 'CreateTenantStacks'),
    ).toBe(true);
    expect(stacks()).toHaveLength(1);
  });
});

describe('replay after a failure converges', () => {
  it('a rolled-back stack is deleted and created again; one stack, one route, one success reply', async () => {
    const event = readSample('onboarding-premium');
    shared.runtime.failNextStackCreate(/tenant-/, 'Resource limit exceeded');
    const first = await run(event);
    expect(first.status).toBe('FAILED');

    const replay = await shared.runtime.replay(first.executionArn, { wait: true });

    expect(replay.status).toBe('SUCCEEDED');
    // Live stacks only (deleted ones are gone from the listing, as from DescribeStacks without a name).
    expect(stacks().map((stack) => stack.status)).toEqual(['CREATE_COMPLETE']);
    expect(rules()).toHaveLength(1);
    expect(kinds(shared.runtime.replies())).toEqual(['sbt_aws_provisionFailure', 'sbt_aws_provisionSuccess']);
  });
});
