/**
 * Shared arrangements of the route tests: ids, registry items as DynamoDB returns them,
 * and SDK exceptions built from the SDK's own classes.
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, vi } from 'vitest';
import { createRouteRegistrar, type RegisterRouteInput } from '../../../../functions/register-route/register.ts';
import { createLogger } from '../../../../functions/shared/step/handler.ts';
import { createRegistry } from '../../../../functions/shared/registry/tenants.ts';
import { createRouteRegistry } from '../../../../functions/shared/registry/route-priorities.ts';
import { fencedUpdate, lockHold, lockHoldMatch } from '../shared/registry/tenants.fixture.ts';

/** The one listener of ROUTE_LISTENERS in test/setup-env.ts. */
export const listenerArn =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants/50dc6c495c0c9188/f2f7dc8efc522ab2';
export const pooledTargetGroupArn =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/pooled/73e2d6bc24d8a067';
export const tableName = 'tenant-registry';

export const tenantId = '2f1c9d3e';
export const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:6a7e8feb';
export const otherExecutionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:0c0ffee0';
export const now = '2026-11-20T10:00:00.000Z';
/** The fence of the steps' first attempt (no redrive): what every write under the lock proves. */
export const fence = { executionArn, attempt: 0 } as const;

export function ruleArn(id: string): string {
  return `arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/tenants/50dc6c495c0c9188/f2f7dc8efc522ab2/${id}`;
}

export const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'route-step',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:route-step',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/route-step',
  logStreamName: '2026/11/20/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

export const onboardingRequest = {
  operation: 'onboarding',
  tenantId,
  registrationId: 'b8e0a1c2',
  tier: 'basic',
  executionArn,
} as const;

export const offboardingRequest = { ...onboardingRequest, operation: 'offboarding' } as const;

/** A route as the registry stores it on the tenant. */
export function storedRoute(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    listenerArn,
    priority: 3,
    targetGroupArn: pooledTargetGroupArn,
    style: 'host',
    value: `${tenantId}.tenants.example.com`,
    ...overrides,
  };
}

/** The tenant item GetItem returns, locked by `executionArn` unless overridden. */
export function tenantItem(overrides: Record<string, unknown> = {}): { Item: Record<string, unknown> } {
  return {
    Item: {
      pk: `TENANT#${tenantId}`,
      sk: 'TENANT',
      tenantId,
      status: 'ONBOARDING',
      lock: {
        operation: 'onboarding',
        registrationId: 'b8e0a1c2',
        executionArn,
        acquiredAt: '2026-11-20T09:59:00.000Z',
      },
      completed: {},
      version: 1,
      createdAt: '2026-11-20T09:59:00.000Z',
      updatedAt: '2026-11-20T09:59:00.000Z',
      ...overrides,
    },
  };
}

/** The tenant record as holdLock's UpdateItem returns it (ALL_NEW), locked by `executionArn` unless overridden. */
function heldTenant(overrides: Record<string, unknown> = {}): { Attributes: Record<string, unknown> } {
  return { Attributes: tenantItem(overrides).Item };
}

/** A Query page of priority items (only `sk` is projected). */
export function priorityPage(priorities: readonly number[], lastEvaluatedKey?: Record<string, string>) {
  return {
    Items: priorities.map((priority) => ({ sk: `PRIORITY#${String(priority).padStart(5, '0')}` })),
    ...(lastEvaluatedKey !== undefined ? { LastEvaluatedKey: lastEvaluatedKey } : {}),
  };
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

export function conditionFailed(): Error {
  return Object.assign(new Error('The conditional request failed'), {
    name: 'ConditionalCheckFailedException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

export function throttled(): Error {
  return Object.assign(new Error('Rate exceeded'), {
    name: 'Throttling',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

export function serverFault(): Error {
  return Object.assign(new Error('Internal failure'), {
    name: 'InternalFailure',
    $fault: 'server',
    $metadata: { httpStatusCode: 500 },
  });
}

// The registry SDK inputs the route steps send.

/** GetItem of the tenant record. */
export const tenantGet = {
  TableName: tableName,
  Key: { pk: `TENANT#${tenantId}`, sk: 'TENANT' },
  ConsistentRead: true,
};

/** holdLock's UpdateItem: the proof, before each round, that the fence still holds the tenant. */
export const tenantHold = lockHold({ tableName, tenantId }, fence, now);

/** Query of every priority item on a listener (takenPriorities). */
export function takenQuery(listener = listenerArn, exclusiveStartKey?: Record<string, string>) {
  return {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': `LISTENER#${listener}`, ':prefix': 'PRIORITY#' },
    ProjectionExpression: 'sk',
    ConsistentRead: true,
    ExclusiveStartKey: exclusiveStartKey,
  };
}

/** Query of the priority items the tenant owns on a listener (claimedPriority). */
export function claimedQuery(listener = listenerArn, exclusiveStartKey?: Record<string, string>) {
  return {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    FilterExpression: 'tenantId = :tenantId',
    ExpressionAttributeValues: { ':pk': `LISTENER#${listener}`, ':prefix': 'PRIORITY#', ':tenantId': tenantId },
    ProjectionExpression: 'sk',
    ConsistentRead: true,
    ExclusiveStartKey: exclusiveStartKey,
  };
}

/** Matches claimedPriority's Query (and not takenPriorities'), for `ddb.on(QueryCommand, claimedQueryMatch)`. */
export const claimedQueryMatch = { FilterExpression: 'tenantId = :tenantId' };

/**
 * A Query fake answering takenPriorities and claimedPriority from separate sequences of pages
 * (each call takes the next; the last repeats). Sequences of `resolvesOnce` cannot do this: a
 * generic mock counts the calls a more specific one answered.
 */
export function queryAnswers(pages: { taken?: number[][]; claimed?: number[][] }) {
  const taken = [...(pages.taken ?? [[]])];
  const claimed = [...(pages.claimed ?? [[]])];
  return (input: { FilterExpression?: string }) => {
    const sequence = input.FilterExpression === undefined ? taken : claimed;
    return priorityPage((sequence.length > 1 ? sequence.shift() : sequence[0]) ?? []);
  };
}

function priorityItemKey(priority: number, listener: string) {
  return { pk: `LISTENER#${listener}`, sk: `PRIORITY#${String(priority).padStart(5, '0')}` };
}

/** Step 1 of claimPriority: the conditional Put of the priority item. */
export function claimPut(priority: number, listener = listenerArn) {
  return {
    TableName: tableName,
    Item: { ...priorityItemKey(priority, listener), owner: 'tenant', tenantId, allocatedAt: now },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

/** The consistent GetItem of a priority item after the claim's Put found it taken. */
export function priorityGet(priority: number, listener = listenerArn) {
  return { TableName: tableName, Key: priorityItemKey(priority, listener), ConsistentRead: true };
}

/** A priority item as GetItem returns it, owned by `owner` (a tenant id). */
export function priorityItem(priority: number, owner: string, listener = listenerArn) {
  return {
    Item: {
      ...priorityItemKey(priority, listener),
      owner: 'tenant',
      tenantId: owner,
      allocatedAt: '2026-11-20T09:00:00.000Z',
    },
  };
}

/** The conditional Put that reserves a priority a foreign rule holds. */
export function foreignReservation(priority: number, listener = listenerArn) {
  return {
    TableName: tableName,
    Item: { ...priorityItemKey(priority, listener), owner: 'foreign', allocatedAt: now },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

/** Step 2 of claimPriority: the route recorded on the tenant in the write that proves the fence. */
export function routeUpdate(route: Record<string, unknown>) {
  return fencedUpdate({ tableName, tenantId }, fence, now, {
    expression: 'SET #route = :route, #version = #version + :one, #updatedAt = :now, #lock.#attempt = :fenceAttempt',
    condition: 'attribute_not_exists(#route)',
    names: { '#route': 'route' },
    values: { ':route': route },
  });
}

/** Step 1 of releaseRoute: the route removed from the tenant in the write that proves the fence. */
export function routeRemoval() {
  return fencedUpdate({ tableName, tenantId }, fence, now, {
    expression: 'SET #version = #version + :one, #updatedAt = :now, #lock.#attempt = :fenceAttempt REMOVE #route',
    names: { '#route': 'route' },
  });
}

/** The Delete of a priority item, only if it is free or this tenant's (releaseRoute step 2, deletePriority). */
export function priorityDelete(priority: number, listener = listenerArn) {
  return {
    TableName: tableName,
    Key: priorityItemKey(priority, listener),
    ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
    ExpressionAttributeValues: { ':tenantId': tenantId },
  };
}

// The register-route step's inputs and the SDK inputs it sends.

export const host = `${tenantId}.tenants.example.com`;
export const poolInput = { request: onboardingRequest, route: { style: 'host', value: host }, isolationModel: 'pool' };
/** `poolInput` as the parsed input a registrar takes directly. */
export const poolRegisterInput: RegisterRouteInput = {
  ...poolInput,
  route: { style: 'host', value: host },
  isolationModel: 'pool',
};
export const siloHeaderInput = {
  request: onboardingRequest,
  route: { style: 'header', headerName: 'X-Tenant-Id', value: tenantId },
  isolationModel: 'silo-services',
};

/** A silo tenant's header route as the registry stores it: no rule, no target group (its stack owns both). */
export function siloStoredRoute(priority: number): Record<string, unknown> {
  return { listenerArn, priority, style: 'header', value: tenantId, headerName: 'X-Tenant-Id' };
}

export const ourTags = [
  { Key: 'tenantId', Value: tenantId },
  { Key: 'tier', Value: 'basic' },
  { Key: 'managed-by', Value: 'tenant-orchestrator' },
];

/** The Update input of recordRuleArn. */
export function recordRule(arn: string) {
  return fencedUpdate({ tableName, tenantId }, fence, now, {
    expression:
      'SET #route.#ruleArn = :ruleArn, #version = #version + :one, #updatedAt = :now, #lock.#attempt = :fenceAttempt',
    condition: 'attribute_exists(#route)',
    names: { '#route': 'route', '#ruleArn': 'ruleArn' },
    values: { ':ruleArn': arn },
  });
}

/** The CreateRule input of the host-style pool tenant. */
export function hostRule(priority: number, targetGroupArn = pooledTargetGroupArn) {
  return {
    ListenerArn: listenerArn,
    Priority: priority,
    Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [host] } }],
    Actions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
    Tags: ourTags,
  };
}

/** What the step returns for the host-style pool tenant. */
export const registration = (priority: number, arn: string) => ({
  listenerArn,
  priority,
  ruleArn: arn,
  targetGroupArn: pooledTargetGroupArn,
  style: 'host',
  value: host,
  stackParameters: {},
});

/** A second listener, filled after `listenerArn`, with its own pooled target group. */
export const secondListener =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants-2/1a2b3c4d5e6f7a8b/0f1e2d3c4b5a6978';
export const secondPool = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/pooled-2/0123456789abcdef';

/** A registrar filling `listenerArn` (with `firstCapacity`) before `secondListener`. */
export function twoListenerRegistrar(firstCapacity: number) {
  return createRouteRegistrar({
    registry: createRegistry(tableName),
    routeRegistry: createRouteRegistry(tableName),
    listeners: [
      { listenerArn, capacity: firstCapacity, pooledTargetGroupArn },
      { listenerArn: secondListener, capacity: 100, pooledTargetGroupArn: secondPool },
    ],
    logger: createLogger('register-route-test'),
    now: () => now,
  });
}

/**
 * Mocks DynamoDB and Elastic Load Balancing for a test file, freezes the clock at `now` and makes
 * the random pick among free priorities take the lowest, so every input is predictable.
 * Call once at the top of a test file.
 */
export function useRouteMocks() {
  const ddb = mockClient(DynamoDBDocumentClient);
  const elb = mockClient(ElasticLoadBalancingV2Client);
  beforeEach(() => {
    ddb.reset();
    elb.reset();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(now));
    vi.spyOn(Math, 'random').mockReturnValue(0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  return {
    ddb,
    elb,
    /**
     * Answers holdLock's UpdateItem with these tenant records in turn (the last repeats). Call it
     * after any catch-all `ddb.on(UpdateCommand)`: among mocks that match, the one set last answers.
     */
    holdTenant: (...records: Record<string, unknown>[]) => {
      const behavior = ddb.on(UpdateCommand, lockHoldMatch);
      for (const record of records.slice(0, -1)) behavior.resolvesOnce(heldTenant(record));
      behavior.resolves(heldTenant(records.at(-1) ?? {}));
    },
    ddbInputs: (command: Parameters<typeof ddb.commandCalls>[0]): unknown[] =>
      ddb.commandCalls(command).map((call) => call.args[0].input),
    elbInputs: (command: Parameters<typeof elb.commandCalls>[0]): unknown[] =>
      elb.commandCalls(command).map((call) => call.args[0].input),
  };
}
