import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../../functions/complete-operation/handler.ts';
import { buildTenantConfig } from '../../../../functions/complete-operation/tenant-config.ts';
import type { Plan, RouteRegistration } from '../../../../functions/shared/steps.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const context = { functionName: 'complete-operation', awsRequestId: 'request-1' } as Context;
const now = '2026-11-20T10:20:00.000Z';
const tenantId = '2f1c9d3e-6a44-4b7a-9a51-0c7d1e2f3a4b';
const registrationId = 'b8e0a1c2-3d4e-4f50-8a9b-1c2d3e4f5a6b';
const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:this-one';
const key = { pk: `TENANT#${tenantId}`, sk: 'TENANT' };
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const plan: Plan = {
  tier: 'advanced',
  isolationModel: 'silo-services',
  templateVersion: '1.0.0',
  stacks: [{ stackName: `tenant-${tenantId}` }],
  route: { style: 'host', value: `${tenantId}.tenants.example.com` },
  services: ['web'],
};
const listenerArn = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants/50dc6c495c0c9188/f2f7dc8efc522ab2';
/** A silo tenant's registration: its stack owns the rule, so no ruleArn or targetGroupArn. */
const route: RouteRegistration = {
  listenerArn,
  priority: 7,
  style: 'host',
  value: `${tenantId}.tenants.example.com`,
  stackParameters: { ListenerArn: listenerArn, RulePriority: '7', RouteStyle: 'host', RouteValue: `${tenantId}.tenants.example.com`, RouteHeaderName: 'x-tenant-id' },
};

function request(operation: 'onboarding' | 'offboarding') {
  return { operation, tenantId, registrationId, tier: 'advanced', executionArn };
}

beforeEach(() => {
  ddb.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(now));
});

afterEach(() => {
  vi.useRealTimers();
});

describe('complete-operation handler: onboarding (ActivateTenant)', () => {
  it('marks the tenant active with its config, releases the lock and returns the config', async () => {
    ddb.on(UpdateCommand).resolves({});
    const tenantConfig = buildTenantConfig({ tenantId }, plan, route);

    const result = await handler({ request: request('onboarding'), plan, route }, context);

    expect(result).toEqual({ tenantConfig });
    expect(JSON.parse(tenantConfig).route).toEqual({ style: 'host', host: `${tenantId}.tenants.example.com`, listenerArn, priority: 7 });
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'tenant-registry',
        Key: key,
        UpdateExpression:
          'SET #status = :status, #completed.#key = :now, #version = #version + :one, #updatedAt = :now, #tenantConfig = :tenantConfig REMOVE #lock',
        ConditionExpression: '#lock.#executionArn = :executionArn',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#completed': 'completed',
          '#key': `onboarding#${registrationId}`,
          '#lock': 'lock',
          '#executionArn': 'executionArn',
          '#version': 'version',
          '#updatedAt': 'updatedAt',
          '#tenantConfig': 'tenantConfig',
        },
        ExpressionAttributeValues: { ':status': 'ACTIVE', ':now': now, ':executionArn': executionArn, ':one': 1, ':tenantConfig': tenantConfig },
      },
    ]);
  });

  it('is a no-op returning the same output when run again after completing', async () => {
    ddb.on(UpdateCommand).resolvesOnce({}).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({
      Item: { ...key, tenantId, status: 'ACTIVE', completed: { [`onboarding#${registrationId}`]: now }, version: 3, createdAt: now, updatedAt: now },
    });

    const first = await handler({ request: request('onboarding'), plan, route }, context);
    const second = await handler({ request: request('onboarding'), plan, route }, context);

    expect(second).toEqual(first);
    expect(ddb.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual([{ TableName: 'tenant-registry', Key: key, ConsistentRead: true }]);
  });

  it('fails with LockLost when another execution took the tenant over before it completed', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({
      Item: {
        ...key,
        tenantId,
        status: 'OFFBOARDING',
        completed: {},
        lock: { operation: 'offboarding', registrationId: 'reg-2', executionArn: 'arn:other', acquiredAt: now },
        version: 3,
        createdAt: now,
        updatedAt: now,
      },
    });

    await expect(handler({ request: request('onboarding'), plan, route }, context)).rejects.toMatchObject({ name: 'LockLost' });
  });

  it('fails with InvalidStepInput and writes nothing without the plan or the route', async () => {
    await expect(handler({ request: request('onboarding'), plan }, context)).rejects.toMatchObject({ name: 'InvalidStepInput' });
    await expect(handler({ request: request('onboarding'), route }, context)).rejects.toMatchObject({ name: 'InvalidStepInput' });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('turns throttling into TransientAwsError', async () => {
    ddb.on(UpdateCommand).rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));

    await expect(handler({ request: request('onboarding'), plan, route }, context)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

describe('complete-operation handler: offboarding (MarkTenantDeleted)', () => {
  it('marks the tenant deleted, drops its route, releases the lock and returns nothing to carry', async () => {
    ddb.on(UpdateCommand).resolves({});

    const result = await handler({ request: request('offboarding') }, context);

    expect(result).toEqual({});
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'tenant-registry',
        Key: key,
        UpdateExpression: 'SET #status = :status, #completed.#key = :now, #version = #version + :one, #updatedAt = :now REMOVE #lock, #route',
        ConditionExpression: '#lock.#executionArn = :executionArn',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#completed': 'completed',
          '#key': `offboarding#${registrationId}`,
          '#lock': 'lock',
          '#executionArn': 'executionArn',
          '#version': 'version',
          '#updatedAt': 'updatedAt',
          '#route': 'route',
        },
        ExpressionAttributeValues: { ':status': 'DELETED', ':now': now, ':executionArn': executionArn, ':one': 1 },
      },
    ]);
  });

  it('is a no-op when run again after completing', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({
      Item: { ...key, tenantId, status: 'DELETED', completed: { [`offboarding#${registrationId}`]: now }, version: 5, createdAt: now, updatedAt: now },
    });

    await expect(handler({ request: request('offboarding') }, context)).resolves.toEqual({});
  });
});
