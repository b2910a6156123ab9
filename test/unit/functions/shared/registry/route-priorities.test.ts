import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SupersededError, TransientAwsError } from '../../../../../functions/shared/step/errors.ts';
import {
  createRouteRegistry,
  maxRulePriority,
  priorityKey,
} from '../../../../../functions/shared/registry/route-priorities.ts';
import {
  claimedQuery,
  claimPut,
  conditionFailed,
  executionArn,
  fence,
  listenerArn,
  now,
  otherExecutionArn,
  pooledTargetGroupArn,
  priorityDelete,
  priorityGet,
  priorityItem,
  priorityPage,
  recordRule,
  routeRemoval,
  routeUpdate,
  serverFault,
  storedRoute,
  tableName,
  takenQuery,
  tenantGet,
  tenantId,
  tenantItem,
  throttled,
} from '../../register-route/route.fixture.ts';
import { servePages } from '../aws/pages.fixture.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const routes = createRouteRegistry(tableName);

const route = {
  listenerArn,
  priority: 3,
  targetGroupArn: pooledTargetGroupArn,
  style: 'host',
  value: `${tenantId}.tenants.example.com`,
} as const;

/** The inputs every call of one command was sent with, in order. */
function inputs(command: Parameters<typeof ddb.commandCalls>[0]): unknown[] {
  return ddb.commandCalls(command).map((call) => call.args[0].input);
}

/** The DynamoDB commands sent, in order. */
function commandNames(): string[] {
  return ddb.calls().map((call) => (call.args[0] as object).constructor.name);
}

beforeEach(() => {
  ddb.reset();
});

describe('priorityKey', () => {
  it('pads the priority to five digits so the sort key orders numerically', () => {
    expect(priorityKey(listenerArn, 7)).toEqual({ pk: `LISTENER#${listenerArn}`, sk: 'PRIORITY#00007' });
    expect(priorityKey(listenerArn, maxRulePriority)).toEqual({ pk: `LISTENER#${listenerArn}`, sk: 'PRIORITY#50000' });
  });
});

describe('takenPriorities', () => {
  it('reads every page consistently and returns the priorities ascending', async () => {
    const lastKey = { pk: `LISTENER#${listenerArn}`, sk: 'PRIORITY#00010' };
    const pages = servePages([priorityPage([10, 2], lastKey), priorityPage([100, 11])]);
    ddb.on(QueryCommand).callsFake(pages.answer);

    const taken = await routes.takenPriorities(listenerArn);

    expect(taken).toEqual([2, 10, 11, 100]);
    expect(pages.sent).toEqual([takenQuery(listenerArn), takenQuery(listenerArn, lastKey)]);
  });

  it('turns throttling into TransientAwsError', async () => {
    ddb.on(QueryCommand).rejects(throttled());

    await expect(routes.takenPriorities(listenerArn)).rejects.toBeInstanceOf(TransientAwsError);
  });
});

describe('claimedPriority', () => {
  it("queries the listener consistently for the tenant's items across pages and returns the lowest", async () => {
    const lastKey = { pk: `LISTENER#${listenerArn}`, sk: 'PRIORITY#00009' };
    const pages = servePages([priorityPage([9], lastKey), priorityPage([4])]);
    ddb.on(QueryCommand).callsFake(pages.answer);

    await expect(routes.claimedPriority(listenerArn, tenantId)).resolves.toBe(4);

    expect(pages.sent).toEqual([claimedQuery(listenerArn), claimedQuery(listenerArn, lastKey)]);
  });

  it('is undefined when the tenant owns nothing on the listener', async () => {
    ddb.on(QueryCommand).resolves(priorityPage([]));

    await expect(routes.claimedPriority(listenerArn, tenantId)).resolves.toBeUndefined();
  });

  it('turns throttling into TransientAwsError', async () => {
    ddb.on(QueryCommand).rejects(throttled());

    await expect(routes.claimedPriority(listenerArn, tenantId)).rejects.toBeInstanceOf(TransientAwsError);
  });
});

describe('claimPriority', () => {
  const otherLock = { operation: 'offboarding', registrationId: 'x', executionArn: otherExecutionArn, acquiredAt: now };

  it('puts the priority item, then records the route on the tenant, each conditionally', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});

    await expect(routes.claimPriority(tenantId, fence, route, now)).resolves.toBe('claimed');

    expect(inputs(PutCommand)).toEqual([claimPut(3)]);
    expect(inputs(UpdateCommand)).toEqual([routeUpdate(route)]);
    expect(commandNames()).toEqual(['PutCommand', 'UpdateCommand']);
  });

  it.each([
    ['another tenant (a concurrent claim)', priorityItem(3, 'another-tenant')],
    [
      'a foreign reservation',
      { Item: { pk: `LISTENER#${listenerArn}`, sk: 'PRIORITY#00003', owner: 'foreign', allocatedAt: now } },
    ],
    ['nobody any more (freed meanwhile)', {}],
  ])('reports priority-taken, writing nothing else, when the item belongs to %s', async (_holder, item) => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves(item);

    await expect(routes.claimPriority(tenantId, fence, route, now)).resolves.toBe('priority-taken');

    expect(inputs(GetCommand)).toEqual([priorityGet(3)]);
    expect(commandNames()).toEqual(['PutCommand', 'GetCommand']);
  });

  it('proceeds to record the route when the priority item is our own earlier claim', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves(priorityItem(3, tenantId));
    ddb.on(UpdateCommand).resolves({});

    await expect(routes.claimPriority(tenantId, fence, route, now)).resolves.toBe('claimed');

    expect(inputs(UpdateCommand)).toEqual([routeUpdate(route)]);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('deletes the extra claim and reports tenant-has-route when a duplicate run recorded another route', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves(tenantItem({ route: storedRoute({ priority: 2 }) }));
    ddb.on(DeleteCommand).resolves({});

    await expect(routes.claimPriority(tenantId, fence, route, now)).resolves.toBe('tenant-has-route');

    expect(inputs(GetCommand)).toEqual([tenantGet]);
    expect(inputs(DeleteCommand)).toEqual([priorityDelete(3)]);
  });

  it('keeps the claim when the route a duplicate run recorded is this very priority', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand, priorityGet(3)).resolves(priorityItem(3, tenantId));
    ddb.on(GetCommand, tenantGet).resolves(tenantItem({ route: storedRoute({ priority: 3 }) }));
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(routes.claimPriority(tenantId, fence, route, now)).resolves.toBe('tenant-has-route');

    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it.each([
    ['another execution holds the tenant', tenantItem({ lock: otherLock })],
    ['the tenant record is gone', {}],
  ])('deletes the claim and raises Superseded when %s', async (_case, tenant) => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves(tenant);
    ddb.on(DeleteCommand).resolves({});

    await expect(routes.claimPriority(tenantId, fence, route, now)).rejects.toBeInstanceOf(SupersededError);

    expect(inputs(DeleteCommand)).toEqual([priorityDelete(3)]);
  });

  it('deletes the claim and raises Superseded when a later redrive attempt of this execution holds the lock', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves(
      tenantItem({
        lock: { operation: 'onboarding', registrationId: 'b8e0a1c2', executionArn, acquiredAt: now, attempt: 1 },
      }),
    );
    ddb.on(DeleteCommand).resolves({});

    await expect(routes.claimPriority(tenantId, { executionArn, attempt: 0 }, route, now)).rejects.toBeInstanceOf(
      SupersededError,
    );

    expect(inputs(DeleteCommand)).toEqual([priorityDelete(3)]);
  });

  it('keeps the claim as an orphan for the next round when the route vanished while the lock is still ours', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves(tenantItem());

    await expect(routes.claimPriority(tenantId, fence, route, now)).resolves.toBe('tenant-has-route');

    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('turns throttling of the Put into TransientAwsError', async () => {
    ddb.on(PutCommand).rejects(throttled());

    await expect(routes.claimPriority(tenantId, fence, route, now)).rejects.toBeInstanceOf(TransientAwsError);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('turns throttling of the route update into TransientAwsError, keeping the claim for the re-run', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(routes.claimPriority(tenantId, fence, route, now)).rejects.toBeInstanceOf(TransientAwsError);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('turns a server fault of the priority read into TransientAwsError', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).rejects(serverFault());

    await expect(routes.claimPriority(tenantId, fence, route, now)).rejects.toBeInstanceOf(TransientAwsError);
  });

  it('lets an unknown error propagate untouched', async () => {
    const error = Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
      name: 'ValidationException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    ddb.on(PutCommand).rejects(error);

    await expect(routes.claimPriority(tenantId, fence, route, now)).rejects.toBe(error);
  });
});

describe('reserveForeignPriority', () => {
  it('writes a foreign reservation only where no item exists', async () => {
    ddb.on(PutCommand).resolves({});

    await routes.reserveForeignPriority(listenerArn, 7, now);

    expect(inputs(PutCommand)).toEqual([
      {
        TableName: tableName,
        Item: { pk: `LISTENER#${listenerArn}`, sk: 'PRIORITY#00007', owner: 'foreign', allocatedAt: now },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    ]);
  });

  it('is fine when the priority is already taken', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());

    await expect(routes.reserveForeignPriority(listenerArn, 7, now)).resolves.toBeUndefined();
  });
});

describe('recordRuleArn', () => {
  const rule = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/tenants/1/2/3';

  it('sets the rule on the tenant route while this execution holds the lock', async () => {
    ddb.on(UpdateCommand).resolves({});

    await routes.recordRuleArn(tenantId, fence, rule, now);

    expect(inputs(UpdateCommand)).toEqual([recordRule(rule)]);
  });

  it('raises Superseded when the condition fails', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(routes.recordRuleArn(tenantId, fence, rule, now)).rejects.toBeInstanceOf(SupersededError);
  });
});

describe('releaseRoute', () => {
  it('removes the route while the lock is held, then deletes the priority item if still ours', async () => {
    ddb.on(UpdateCommand).resolves({});
    ddb.on(DeleteCommand).resolves({});

    await routes.releaseRoute(tenantId, fence, route, now);

    expect(inputs(UpdateCommand)).toEqual([routeRemoval()]);
    expect(inputs(DeleteCommand)).toEqual([priorityDelete(3)]);
    expect(commandNames()).toEqual(['UpdateCommand', 'DeleteCommand']);
  });

  it('raises Superseded before freeing anything when the lock moved on', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(routes.releaseRoute(tenantId, fence, route, now)).rejects.toBeInstanceOf(SupersededError);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('is done when the priority was already freed and reused by another tenant', async () => {
    ddb.on(UpdateCommand).resolves({});
    ddb.on(DeleteCommand).rejects(conditionFailed());

    await expect(routes.releaseRoute(tenantId, fence, route, now)).resolves.toBeUndefined();
    expect(inputs(DeleteCommand)).toEqual([priorityDelete(3)]);
  });

  it('turns throttling of the route removal into TransientAwsError, freeing nothing', async () => {
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(routes.releaseRoute(tenantId, fence, route, now)).rejects.toBeInstanceOf(TransientAwsError);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('turns throttling of the priority delete into TransientAwsError (the re-run frees the orphan)', async () => {
    ddb.on(UpdateCommand).resolves({});
    ddb.on(DeleteCommand).rejects(throttled());

    await expect(routes.releaseRoute(tenantId, fence, route, now)).rejects.toBeInstanceOf(TransientAwsError);
  });
});

describe('deletePriority', () => {
  it("deletes the priority item only if it is free or this tenant's", async () => {
    ddb.on(DeleteCommand).resolves({});

    await routes.deletePriority(listenerArn, 3, tenantId);

    expect(inputs(DeleteCommand)).toEqual([priorityDelete(3)]);
  });

  it("leaves another tenant's priority alone without failing", async () => {
    ddb.on(DeleteCommand).rejects(conditionFailed());

    await expect(routes.deletePriority(listenerArn, 3, tenantId)).resolves.toBeUndefined();
  });
});
