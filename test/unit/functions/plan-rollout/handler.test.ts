import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/plan-rollout/handler.ts';
import type { RolloutInput, RolloutState } from '../../../../functions/rollout/progress.ts';
import { context } from '../report-failure/handler.fixture.ts';

const documents = mockClient(DynamoDBDocumentClient);

const createdAt = '2026-12-01T00:00:00.000Z';

/** A tenant as the tenant list's Query returns it: its keys and the projected attributes. */
const tenant = (id: string, fields: Record<string, unknown> = {}) => ({
  pk: `TENANT#${id}`,
  sk: 'TENANT',
  tenantListPartition: 'TENANT',
  tenantListOrder: `${createdAt}#${id}`,
  tenantId: id,
  status: 'ACTIVE',
  plan: { tier: 'advanced', isolationModel: 'silo-services', templateVersion: '1.0.0', stacks: [] },
  createdAt,
  ...fields,
});

const listKey = (id: string) => ({
  pk: `TENANT#${id}`,
  sk: 'TENANT',
  tenantListPartition: 'TENANT',
  tenantListOrder: `${createdAt}#${id}`,
});

const rollout: RolloutInput = {
  rolloutId: 'ro-1',
  model: 'silo-services',
  version: '1.1.0',
  waves: [{ count: 1 }, { percent: 100 }],
  concurrency: 5,
  maxFailures: { count: 0 },
  bakeSeconds: 0,
  alarmNames: [],
};

/** A tenant moving from the pool to silo-services: its tier change is in flight (or failed, kept for a redrive). */
const tierChanging = () =>
  tenant('f', {
    status: 'UPDATING',
    plan: { isolationModel: 'pool', tier: 'basic', stacks: [] },
    tierChange: {
      phase: 'building',
      from: { tier: 'basic', isolationModel: 'pool', stacks: [] },
      to: { tier: 'advanced', isolationModel: 'silo-services', templateVersion: '1.0.0', stacks: [] },
    },
  });

const onTarget = () =>
  tenant('c', { plan: { isolationModel: 'silo-services', tier: 'advanced', templateVersion: '1.1.0', stacks: [] } });

/** A registry whose tenant list is complete (the backfill's item is there). */
function listReady(): void {
  documents.on(GetCommand).resolves({ Item: { pk: 'REGISTRY', sk: 'TENANT_LIST', readyAt: createdAt } });
}

/** Two Query pages of the tenant list: a, b (pinned), c (on 1.1.0), f (tier change) | d, e. */
function registryOfTwoPages(): void {
  listReady();
  documents.on(QueryCommand).callsFake((input: { IndexName?: string; ExclusiveStartKey?: { pk: string } }) => {
    if (input.IndexName !== 'tenant-list') throw new Error(`unexpected index ${input.IndexName}`);
    if (input.ExclusiveStartKey === undefined)
      return {
        Items: [
          tenant('a'),
          tenant('b', { pinned: true }),
          tenant('c', {
            plan: { isolationModel: 'silo-services', tier: 'advanced', templateVersion: '1.1.0', stacks: [] },
          }),
          tierChanging(),
        ],
        LastEvaluatedKey: listKey('f'),
      };
    if (input.ExclusiveStartKey.pk === 'TENANT#f') return { Items: [tenant('d'), tenant('e')] };
    if (input.ExclusiveStartKey.pk === 'TENANT#a')
      return {
        Items: [tenant('b', { pinned: true }), onTarget(), tierChanging()],
        LastEvaluatedKey: listKey('f'),
      };
    throw new Error(`unexpected start ${input.ExclusiveStartKey.pk}`);
  });
}

beforeEach(() => documents.reset());

describe('plan-rollout', () => {
  it('plans from every page, keeping counts and the first skipped tenants only', async () => {
    registryOfTwoPages();

    const state = (await handler({ action: 'plan', rollout }, context)) as RolloutState;

    expect(state.plan).toEqual({
      waveSizes: [1, 2],
      toUpdate: 3,
      alreadyOnTarget: 1,
      skipped: 2,
      skippedListed: [
        { tenantId: 'b', reason: 'pinned' },
        { tenantId: 'f', reason: 'tier-change' },
      ],
    });
    expect(state.wave).toMatchObject({ wave: 1, size: 1, taken: 0 });
    expect(state.next).toBe('wave');
    expect(JSON.stringify(state)).not.toContain('"d"');
  });

  it('reads the tenant list with Query, never consistently (an index cannot be), from the cursor the page ended at', async () => {
    registryOfTwoPages();

    await handler({ action: 'plan', rollout }, context);

    const queries = documents.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries).toHaveLength(2);
    expect(queries[0]).toMatchObject({
      TableName: expect.any(String),
      IndexName: 'tenant-list',
      KeyConditionExpression: '#partition = :partition',
      ExpressionAttributeNames: { '#partition': 'tenantListPartition' },
      ExpressionAttributeValues: { ':partition': 'TENANT' },
    });
    expect(queries.every((query) => query.ConsistentRead === undefined)).toBe(true);
    expect(queries[1]?.ExclusiveStartKey).toEqual(listKey('f'));
  });

  it('refuses to plan until the tenant list is complete, naming the command that completes it', async () => {
    documents.on(GetCommand).resolves({});
    documents.on(QueryCommand).resolves({ Items: [tenant('a')] });

    await expect(handler({ action: 'plan', rollout }, context)).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('index-tenants --aws'),
    });
    expect(documents.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('refuses a version that is not published, and an input that is not a rollout', async () => {
    await expect(handler({ action: 'plan', rollout: { ...rollout, version: '9.9.9' } }, context)).rejects.toMatchObject(
      {
        name: 'InvalidStepInput',
      },
    );
    await expect(
      handler({ action: 'plan', rollout: { ...rollout, rolloutId: 'bad id!' } }, context),
    ).rejects.toMatchObject({
      name: 'InvalidStepInput',
    });
  });

  it('takes a wave page from its cursor: stops right after the last tenant taken, across pages', async () => {
    registryOfTwoPages();
    const planned = (await handler({ action: 'plan', rollout }, context)) as RolloutState;

    const first = (await handler({ action: 'next-batch', state: planned }, context)) as RolloutState;
    expect(first.batch).toEqual({ batch: 1, tenantIds: ['a'] });
    // The cursor names the last tenant taken by its keys in the table and in the list.
    expect(first.wave).toMatchObject({ taken: 1, batches: 1, cursor: listKey('a'), exhausted: false });

    const second = (await handler(
      { action: 'next-batch', state: { ...first, wave: { ...first.wave!, size: 3 } } },
      context,
    )) as RolloutState;
    expect(second.batch).toEqual({ batch: 2, tenantIds: ['d', 'e'] });
    expect(second.wave).toMatchObject({ taken: 3, batches: 2, exhausted: false, cursor: listKey('e') });

    const none = (await handler({ action: 'next-batch', state: second }, context)) as RolloutState;
    expect(none.batch).toEqual({ batch: 3, tenantIds: [] });
  });
});
