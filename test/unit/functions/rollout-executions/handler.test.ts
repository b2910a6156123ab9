import 'aws-sdk-client-mock-vitest/extend';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/rollout-executions/handler.ts';
import { tenantExecutionName } from '../../../../functions/rollout/progress.ts';
import { context } from '../report-failure/handler.fixture.ts';

const sfn = mockClient(SFNClient);
const documents = mockClient(DynamoDBDocumentClient);
const updateMachine = 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-update';

const record = (fields: Record<string, unknown> = {}) => ({
  Item: {
    pk: 'TENANT#t-1',
    sk: 'TENANT',
    tenantId: 't-1',
    status: 'ACTIVE',
    completed: { 'onboarding#reg-1': '2026-12-01T00:00:00Z' },
    plan: { tier: 'advanced', isolationModel: 'silo-services', templateVersion: '1.0.0', stacks: [] },
    version: 3,
    createdAt: '2026-12-01T00:00:00Z',
    updatedAt: '2026-12-01T00:00:00Z',
    ...fields,
  },
});
const item = {
  rolloutId: 'ro-1',
  wave: 1,
  mode: 'update' as const,
  model: 'silo-services',
  tenantId: 't-1',
  version: '1.1.0',
};

beforeEach(() => {
  sfn.reset();
  documents.reset();
});

describe('start-tenant', () => {
  it("starts the tenant's update as admission would, named after the rollout, and remembers its version", async () => {
    documents.on(GetCommand).resolves(record());
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${updateMachine}:x` });

    const started = await handler({ action: 'start-tenant', tenant: item }, context);

    expect(started).toMatchObject({ step: 'waiting', attempt: 1, previousVersion: '1.0.0', waitSeconds: 30 });
    const input = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(input.stateMachineArn).toBe(updateMachine);
    expect(input.name).toMatch(/^ro-1-w1a1-t-1-[0-9a-f]{12}$/);
    expect(JSON.parse(input.input!)).toMatchObject({
      source: 'sbt.control.plane',
      'detail-type': 'sbt_aws_tenantUpdateRequest',
      id: input.name,
      resources: [],
      detail: { tenantId: 't-1', tenantRegistrationId: 'reg-1', templateVersion: '1.1.0' },
    });
  });

  it('finds the update it already started (same name) instead of starting another', async () => {
    documents.on(GetCommand).resolves(record());
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' }));

    const started = await handler({ action: 'start-tenant', tenant: item }, context);

    expect(started).toMatchObject({
      step: 'waiting',
      executionArn: expect.stringMatching(/:execution:tenant-update:ro-1-w1a1-t-1-/),
    });
  });

  it.each([
    ['pinned', { pinned: true }, { outcome: 'skipped', reason: 'pinned' }],
    ['suspended', { status: 'SUSPENDED' }, { outcome: 'skipped', reason: 'suspended' }],
    // Its tier change holds the lock (or failed and waits for a redrive): an update would be refused.
    [
      'with a tier change in flight',
      {
        status: 'UPDATING',
        tierChange: {
          phase: 'switched',
          from: { tier: 'advanced', isolationModel: 'silo-services', stacks: [] },
          to: { tier: 'premium', isolationModel: 'silo-cluster', stacks: [] },
        },
      },
      { outcome: 'skipped', reason: 'tier-change' },
    ],
    [
      'on the version',
      { plan: { tier: 'advanced', isolationModel: 'silo-services', templateVersion: '1.1.0', stacks: [] } },
      { outcome: 'unchanged' },
    ],
  ])('leaves a tenant %s alone, starting nothing', async (_name, fields, result) => {
    documents.on(GetCommand).resolves(record(fields));

    const done = await handler({ action: 'start-tenant', tenant: item }, context);

    expect(done).toMatchObject({ step: 'done', result: { tenantId: 't-1', ...result } });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  /** The tenant's latest completed operation: this rollout's update of it in this wave. */
  const updatedByThisRollout = {
    lastCompletion: {
      key: 'update#r-1',
      executionArn: `${updateMachine}:${tenantExecutionName(item.rolloutId, item.tenantId, item.wave, 'update', 1)}`,
      at: '2026-12-01T00:00:00.000Z',
    },
  };

  it('rolls a pinned tenant back all the same', async () => {
    documents.on(GetCommand).resolves(
      record({
        pinned: true,
        plan: { tier: 'advanced', isolationModel: 'silo-services', templateVersion: '1.1.0', stacks: [] },
        ...updatedByThisRollout,
      }),
    );
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${updateMachine}:y` });

    const started = await handler(
      { action: 'start-tenant', tenant: { ...item, mode: 'rollback', version: '1.0.0' } },
      context,
    );

    expect(started).toMatchObject({ step: 'waiting' });
  });

  it('leaves a tenant another operation changed since this rollout updated it', async () => {
    documents.on(GetCommand).resolves(
      record({
        plan: { tier: 'advanced', isolationModel: 'silo-services', templateVersion: '1.1.0', stacks: [] },
        lastCompletion: {
          key: 'update#r-2',
          executionArn: `${updateMachine}:a-newer-update`,
          at: '2026-12-02T00:00:00.000Z',
        },
      }),
    );

    const done = await handler(
      { action: 'start-tenant', tenant: { ...item, mode: 'rollback', version: '1.0.0' } },
      context,
    );

    expect(done).toMatchObject({ step: 'done', result: { outcome: 'skipped', reason: 'not-selected' } });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('check-tenant', () => {
  const waiting = {
    ...item,
    attempt: 1,
    executionArn: `${updateMachine}:x`,
    previousVersion: '1.0.0',
    polls: 0,
    step: 'waiting' as const,
  };

  it('waits longer each look while the update runs', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    expect(await handler({ action: 'check-tenant', tenant: waiting }, context)).toMatchObject({
      step: 'waiting',
      polls: 1,
      waitSeconds: 60,
    });
  });

  it('counts a tenant updated when its update succeeded and the registry shows the version', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    documents
      .on(GetCommand)
      .resolves(
        record({ plan: { tier: 'advanced', isolationModel: 'silo-services', templateVersion: '1.1.0', stacks: [] } }),
      );

    expect(await handler({ action: 'check-tenant', tenant: waiting }, context)).toMatchObject({
      step: 'done',
      result: { tenantId: 't-1', outcome: 'updated', previousVersion: '1.0.0' },
    });
  });

  it('tries once more when the update ended busy or without moving the tenant, then fails it', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'TenantBusy' });
    expect(await handler({ action: 'check-tenant', tenant: waiting }, context)).toMatchObject({
      step: 'retry',
      attempt: 2,
    });
    expect(await handler({ action: 'check-tenant', tenant: { ...waiting, attempt: 2 } }, context)).toMatchObject({
      step: 'done',
      result: { outcome: 'failed', error: 'TenantBusy' },
    });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    documents.on(GetCommand).resolves(record());
    expect(await handler({ action: 'check-tenant', tenant: waiting }, context)).toMatchObject({
      step: 'retry',
      attempt: 2,
    });
  });

  it('fails a tenant whose update failed for any other reason at once', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'StackUpdateFailed' });
    expect(await handler({ action: 'check-tenant', tenant: waiting }, context)).toMatchObject({
      step: 'done',
      result: { outcome: 'failed', error: 'StackUpdateFailed' },
    });
  });
});
