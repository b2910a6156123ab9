import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { LockLostError, TransientAwsError } from '../../../../functions/shared/errors.ts';
import { createRouteRegistry, maxRulePriority, priorityKey } from '../../../../functions/shared/registry-routes.ts';
import {
  conditionFailed,
  executionArn,
  listenerArn,
  now,
  pooledTargetGroupArn,
  priorityPage,
  releaseTransaction,
  tableName,
  tenantId,
  throttled,
  transactionCanceled,
} from '../register-route/route.fixture.ts';

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
    ddb.on(QueryCommand).resolvesOnce(priorityPage([10, 2], lastKey)).resolvesOnce(priorityPage([100, 11]));

    const taken = await routes.takenPriorities(listenerArn);

    expect(taken).toEqual([2, 10, 11, 100]);
    const query = {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `LISTENER#${listenerArn}`, ':prefix': 'PRIORITY#' },
      ProjectionExpression: 'sk',
      ConsistentRead: true,
    };
    expect(inputs(QueryCommand)).toEqual([
      { ...query, ExclusiveStartKey: undefined },
      { ...query, ExclusiveStartKey: lastKey },
    ]);
  });

  it('turns throttling into TransientAwsError', async () => {
    ddb.on(QueryCommand).rejects(throttled());

    await expect(routes.takenPriorities(listenerArn)).rejects.toBeInstanceOf(TransientAwsError);
  });
});

describe('claimPriority', () => {
  it('writes the priority item and the tenant route in one conditional transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});

    await expect(routes.claimPriority(tenantId, executionArn, route, now)).resolves.toBe('claimed');

    expect(inputs(TransactWriteCommand)).toEqual([
      {
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: { pk: `LISTENER#${listenerArn}`, sk: 'PRIORITY#00003', owner: 'tenant', tenantId, allocatedAt: now },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: tableName,
              Key: { pk: `TENANT#${tenantId}`, sk: 'TENANT' },
              UpdateExpression: 'SET #route = :route, #updatedAt = :now',
              ConditionExpression: '#lock.#executionArn = :executionArn AND attribute_not_exists(#route)',
              ExpressionAttributeNames: { '#route': 'route', '#updatedAt': 'updatedAt', '#lock': 'lock', '#executionArn': 'executionArn' },
              ExpressionAttributeValues: { ':route': route, ':now': now, ':executionArn': executionArn },
            },
          },
        ],
      },
    ]);
  });

  it('reports priority-taken when only the priority condition failed (a concurrent tenant)', async () => {
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None']));

    await expect(routes.claimPriority(tenantId, executionArn, route, now)).resolves.toBe('priority-taken');
  });

  it('reports tenant-has-route when the tenant condition failed, even if the priority was also taken', async () => {
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'ConditionalCheckFailed']));

    await expect(routes.claimPriority(tenantId, executionArn, route, now)).resolves.toBe('tenant-has-route');
  });

  it('turns a transaction conflict (two claims of one priority at once) into TransientAwsError', async () => {
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['TransactionConflict', 'None']));

    await expect(routes.claimPriority(tenantId, executionArn, route, now)).rejects.toBeInstanceOf(TransientAwsError);
  });

  it('lets an unknown error propagate untouched', async () => {
    const error = Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
      name: 'ValidationException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    ddb.on(TransactWriteCommand).rejects(error);

    await expect(routes.claimPriority(tenantId, executionArn, route, now)).rejects.toBe(error);
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

    await routes.recordRuleArn(tenantId, executionArn, rule, now);

    expect(inputs(UpdateCommand)).toEqual([
      {
        TableName: tableName,
        Key: { pk: `TENANT#${tenantId}`, sk: 'TENANT' },
        UpdateExpression: 'SET #route.#ruleArn = :ruleArn, #updatedAt = :now',
        ConditionExpression: '#lock.#executionArn = :executionArn AND attribute_exists(#route)',
        ExpressionAttributeNames: { '#route': 'route', '#ruleArn': 'ruleArn', '#updatedAt': 'updatedAt', '#lock': 'lock', '#executionArn': 'executionArn' },
        ExpressionAttributeValues: { ':ruleArn': rule, ':now': now, ':executionArn': executionArn },
      },
    ]);
  });

  it('raises LockLost when the condition fails', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(routes.recordRuleArn(tenantId, executionArn, rule, now)).rejects.toBeInstanceOf(LockLostError);
  });
});

describe('releaseRoute', () => {
  it('deletes the priority item and removes the route in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});

    await routes.releaseRoute(tenantId, executionArn, route, now);

    expect(inputs(TransactWriteCommand)).toEqual([releaseTransaction()]);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('raises LockLost when the tenant condition fails', async () => {
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'ConditionalCheckFailed']));

    await expect(routes.releaseRoute(tenantId, executionArn, route, now)).rejects.toBeInstanceOf(LockLostError);
  });

  it('only drops the route when the priority now belongs to someone else', async () => {
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None']));
    ddb.on(UpdateCommand).resolves({});

    await routes.releaseRoute(tenantId, executionArn, route, now);

    expect(inputs(UpdateCommand)).toEqual([
      {
        TableName: tableName,
        Key: { pk: `TENANT#${tenantId}`, sk: 'TENANT' },
        UpdateExpression: 'REMOVE #route SET #updatedAt = :now',
        ConditionExpression: '#lock.#executionArn = :executionArn',
        ExpressionAttributeNames: { '#route': 'route', '#updatedAt': 'updatedAt', '#lock': 'lock', '#executionArn': 'executionArn' },
        ExpressionAttributeValues: { ':now': now, ':executionArn': executionArn },
      },
    ]);
  });

  it('raises LockLost when that fallback finds the lock gone', async () => {
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None']));
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(routes.releaseRoute(tenantId, executionArn, route, now)).rejects.toBeInstanceOf(LockLostError);
  });

  it('turns throttling of that fallback into TransientAwsError', async () => {
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None']));
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(routes.releaseRoute(tenantId, executionArn, route, now)).rejects.toBeInstanceOf(TransientAwsError);
  });

  it('turns a throttled transaction into TransientAwsError', async () => {
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['ThrottlingError', 'None']));

    await expect(routes.releaseRoute(tenantId, executionArn, route, now)).rejects.toBeInstanceOf(TransientAwsError);
  });
});

describe('deletePriority', () => {
  it('deletes the priority item only if it is free or this tenant\'s', async () => {
    ddb.on(DeleteCommand).resolves({});

    await routes.deletePriority(listenerArn, 3, tenantId);

    expect(inputs(DeleteCommand)).toEqual([
      {
        TableName: tableName,
        Key: { pk: `LISTENER#${listenerArn}`, sk: 'PRIORITY#00003' },
        ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
        ExpressionAttributeValues: { ':tenantId': tenantId },
      },
    ]);
  });

  it('leaves another tenant\'s priority alone without failing', async () => {
    ddb.on(DeleteCommand).rejects(conditionFailed());

    await expect(routes.deletePriority(listenerArn, 3, tenantId)).resolves.toBeUndefined();
  });
});
