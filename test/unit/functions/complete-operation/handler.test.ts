import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../../functions/complete-operation/handler.ts';
import { buildTenantConfig } from '../../../../functions/complete-operation/tenant-config.ts';
import type { Plan, RouteRegistration } from '../../../../functions/shared/step/schemas.ts';
import { fencedUpdate } from '../shared/registry/tenants.fixture.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const context = { functionName: 'complete-operation', awsRequestId: 'request-1' } as Context;
const now = '2026-11-20T10:20:00.000Z';
const tenantId = '2f1c9d3e-6a44-4b7a-9a51-0c7d1e2f3a4b';
const registrationId = 'b8e0a1c2-3d4e-4f50-8a9b-1c2d3e4f5a6b';
const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:this-one';
const key = { pk: `TENANT#${tenantId}`, sk: 'TENANT' };
const target = { tableName: 'tenant-registry', tenantId };
const fence = { executionArn, attempt: 0 };
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const plan: Plan = {
  tier: 'advanced',
  isolationModel: 'silo-services',
  templateVersion: '1.0.0',
  stacks: [{ stackName: `tenant-${tenantId}` }],
  route: { style: 'host', value: `${tenantId}.tenants.example.com` },
  services: ['web'],
};
const listenerArn =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants/50dc6c495c0c9188/f2f7dc8efc522ab2';
/** A silo tenant's registration: its stack owns the rule, so no ruleArn or targetGroupArn. */
const route: RouteRegistration = {
  listenerArn,
  priority: 7,
  style: 'host',
  value: `${tenantId}.tenants.example.com`,
  stackParameters: {
    ListenerArn: listenerArn,
    RulePriority: '7',
    RouteStyle: 'host',
    RouteValue: `${tenantId}.tenants.example.com`,
    RouteHeaderName: 'x-tenant-id',
  },
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
    expect(JSON.parse(tenantConfig).route).toEqual({
      style: 'host',
      host: `${tenantId}.tenants.example.com`,
      listenerArn,
      priority: 7,
    });
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      fencedUpdate(target, fence, now, {
        expression:
          'SET #status = :status, #completed.#key = :now, #lastCompletion = :completion, #tenantConfig = :tenantConfig, ' +
          '#version = #version + :one, #updatedAt = :now REMOVE #lock, #wait',
        names: {
          '#status': 'status',
          '#completed': 'completed',
          '#key': `onboarding#${registrationId}`,
          '#lastCompletion': 'lastCompletion',
          '#wait': 'wait',
          '#tenantConfig': 'tenantConfig',
        },
        values: {
          ':status': 'ACTIVE',
          ':completion': { key: `onboarding#${registrationId}`, executionArn, at: now },
          ':tenantConfig': tenantConfig,
        },
      }),
    ]);
  });

  it('is a no-op returning the same output when run again after completing', async () => {
    ddb.on(UpdateCommand).resolvesOnce({}).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({
      Item: {
        ...key,
        tenantId,
        status: 'ACTIVE',
        completed: { [`onboarding#${registrationId}`]: now },
        lastCompletion: { key: `onboarding#${registrationId}`, executionArn, at: now },
        version: 3,
        createdAt: now,
        updatedAt: now,
      },
    });

    const first = await handler({ request: request('onboarding'), plan, route }, context);
    const second = await handler({ request: request('onboarding'), plan, route }, context);

    expect(second).toEqual(first);
    expect(ddb.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: 'tenant-registry', Key: key, ConsistentRead: true },
    ]);
  });

  it('completes under the fence of the redrive attempt the workflow passes', async () => {
    ddb.on(UpdateCommand).resolves({});

    await handler({ request: request('onboarding'), plan, route, redriveCount: 1 }, context);

    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toContain('#lock.#attempt <= :fenceAttempt');
    expect(input?.ExpressionAttributeValues).toMatchObject({ ':fenceArn': executionArn, ':fenceAttempt': 1 });
  });

  it('fails with Superseded when another execution of the same request completed it (a takeover)', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({
      Item: {
        ...key,
        tenantId,
        status: 'ACTIVE',
        completed: { [`onboarding#${registrationId}`]: now },
        lastCompletion: { key: `onboarding#${registrationId}`, executionArn: 'arn:other', at: now },
        version: 3,
        createdAt: now,
        updatedAt: now,
      },
    });

    await expect(handler({ request: request('onboarding'), plan, route }, context)).rejects.toMatchObject({
      name: 'Superseded',
    });
  });

  it('fails with Superseded when another execution took the tenant over before it completed', async () => {
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

    await expect(handler({ request: request('onboarding'), plan, route }, context)).rejects.toMatchObject({
      name: 'Superseded',
    });
  });

  it('fails with InvalidStepInput and writes nothing without the plan or the route', async () => {
    await expect(handler({ request: request('onboarding'), plan }, context)).rejects.toMatchObject({
      name: 'InvalidStepInput',
    });
    await expect(handler({ request: request('onboarding'), route }, context)).rejects.toMatchObject({
      name: 'InvalidStepInput',
    });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('turns throttling into TransientAwsError', async () => {
    ddb
      .on(UpdateCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));

    await expect(handler({ request: request('onboarding'), plan, route }, context)).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });
});

describe('complete-operation handler: offboarding (MarkTenantDeleted)', () => {
  it('marks the tenant deleted, drops its route, releases the lock and its lower-cased id, and returns nothing to carry', async () => {
    ddb.on(UpdateCommand).resolves({});
    ddb.on(DeleteCommand).resolves({});

    const result = await handler({ request: request('offboarding') }, context);

    expect(result).toEqual({});
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      fencedUpdate(target, fence, now, {
        expression:
          'SET #status = :status, #completed.#key = :now, #lastCompletion = :completion, #version = #version + :one, #updatedAt = :now REMOVE #lock, #wait, #route, #tierChange',
        names: {
          '#status': 'status',
          '#completed': 'completed',
          '#key': `offboarding#${registrationId}`,
          '#lastCompletion': 'lastCompletion',
          '#wait': 'wait',
          '#route': 'route',
          '#tierChange': 'tierChange',
        },
        values: {
          ':status': 'DELETED',
          ':completion': { key: `offboarding#${registrationId}`, executionArn, at: now },
        },
      }),
    ]);
    // Another tenant may now use the id in another letter case; a claim of another id is never removed.
    expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: target.tableName,
        Key: { pk: `TENANTID#${tenantId.toLowerCase()}`, sk: 'CASEFOLD' },
        ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
        ExpressionAttributeValues: { ':tenantId': tenantId },
      },
    ]);
  });

  it('is a no-op when run again after completing', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(DeleteCommand).resolves({});
    ddb.on(GetCommand).resolves({
      Item: {
        ...key,
        tenantId,
        status: 'DELETED',
        completed: { [`offboarding#${registrationId}`]: now },
        version: 5,
        createdAt: now,
        updatedAt: now,
      },
    });

    await expect(handler({ request: request('offboarding') }, context)).resolves.toEqual({});
  });
});

describe('complete-operation handler: update (CompleteUpdate)', () => {
  const storedConfig = buildTenantConfig({ tenantId }, plan, route);
  const updating = {
    ...key,
    tenantId,
    status: 'UPDATING',
    plan: { tier: 'advanced', isolationModel: 'silo-services', templateVersion: '1.0.0', stacks: plan.stacks },
    tenantConfig: storedConfig,
    completed: {},
    lock: { operation: 'update', registrationId, executionArn, acquiredAt: now, attempt: 0 },
    version: 4,
    createdAt: now,
    updatedAt: now,
  };
  const update = { operation: 'update', tenantId, registrationId, executionArn, templateVersion: '1.1.0' };

  it('records the version in the plan and the tenantConfig, ends ACTIVE, and returns the fresh tenantConfig', async () => {
    ddb.on(GetCommand).resolves({ Item: updating });
    ddb.on(UpdateCommand).resolves({});

    const result = await handler({ request: update }, context);

    const fresh = JSON.stringify({ ...JSON.parse(storedConfig), templateVersion: '1.1.0' });
    expect(result).toEqual({ tenantConfig: fresh });
    expect(JSON.parse(fresh)).toMatchObject({ templateVersion: '1.1.0', route: JSON.parse(storedConfig).route });
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      fencedUpdate(target, fence, now, {
        expression:
          'SET #status = :status, #completed.#key = :now, #lastCompletion = :completion, #tenantConfig = :tenantConfig, ' +
          '#plan.#templateVersion = :templateVersion, #version = #version + :one, #updatedAt = :now REMOVE #lock, #wait',
        names: {
          '#status': 'status',
          '#completed': 'completed',
          '#key': `update#${registrationId}`,
          '#lastCompletion': 'lastCompletion',
          '#wait': 'wait',
          '#tenantConfig': 'tenantConfig',
          '#plan': 'plan',
          '#templateVersion': 'templateVersion',
        },
        values: {
          ':status': 'ACTIVE',
          ':completion': { key: `update#${registrationId}`, executionArn, at: now },
          ':tenantConfig': fresh,
          ':templateVersion': '1.1.0',
        },
      }),
    ]);
  });

  it('a tier-only update that changed nothing keeps the stored config and records no version', async () => {
    ddb.on(GetCommand).resolves({ Item: updating });
    ddb.on(UpdateCommand).resolves({});
    const { templateVersion: _version, ...tierOnly } = update;

    const result = await handler({ request: { ...tierOnly, tier: 'advanced' } }, context);

    expect(result).toEqual({ tenantConfig: storedConfig });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.UpdateExpression).not.toContain('templateVersion');
  });
});
