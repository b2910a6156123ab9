/**
 * Shared arrangements of the route tests: ids, registry items as DynamoDB returns them,
 * and SDK exceptions built from the SDK's own classes.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';

/** The one listener of ROUTE_LISTENERS in test/setup-env.ts. */
export const listenerArn = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants/50dc6c495c0c9188/f2f7dc8efc522ab2';
export const pooledTargetGroupArn = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/pooled/73e2d6bc24d8a067';
export const siloTargetGroupArn = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/tenant-2f1c9d3e/0a1b2c3d4e5f6789';
export const tableName = 'tenant-registry';

export const tenantId = '2f1c9d3e';
export const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:6a7e8feb';
export const otherExecutionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:0c0ffee0';
export const now = '2026-11-20T10:00:00.000Z';

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
      lock: { operation: 'onboarding', registrationId: 'b8e0a1c2', executionArn, acquiredAt: '2026-11-20T09:59:00.000Z' },
      completed: {},
      version: 1,
      createdAt: '2026-11-20T09:59:00.000Z',
      updatedAt: '2026-11-20T09:59:00.000Z',
      ...overrides,
    },
  };
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

/** A cancelled transaction with one reason per item, in TransactItems order. */
export function transactionCanceled(codes: readonly string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

export function conditionFailed(): Error {
  return Object.assign(new Error('The conditional request failed'), {
    name: 'ConditionalCheckFailedException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

export function throttled(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

export function serverFault(): Error {
  return Object.assign(new Error('Internal failure'), { name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 500 } });
}

/** The TransactWrite input of releaseRoute for the stored route. */
export function releaseTransaction(priority = 3, route = listenerArn) {
  return {
    TransactItems: [
      {
        Delete: {
          TableName: tableName,
          Key: { pk: `LISTENER#${route}`, sk: `PRIORITY#${String(priority).padStart(5, '0')}` },
          ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
          ExpressionAttributeValues: { ':tenantId': tenantId },
        },
      },
      {
        Update: {
          TableName: tableName,
          Key: { pk: `TENANT#${tenantId}`, sk: 'TENANT' },
          UpdateExpression: 'REMOVE #route SET #updatedAt = :now',
          ConditionExpression: '#lock.#executionArn = :executionArn',
          ExpressionAttributeNames: { '#route': 'route', '#updatedAt': 'updatedAt', '#lock': 'lock', '#executionArn': 'executionArn' },
          ExpressionAttributeValues: { ':now': now, ':executionArn': executionArn },
        },
      },
    ],
  };
}

// The register-route step's inputs and the SDK inputs it sends.

export const host = `${tenantId}.tenants.example.com`;
export const poolInput = { request: onboardingRequest, route: { style: 'host', value: host }, isolationModel: 'pool', stackOutputs: {} };
export const siloHeaderInput = {
  request: onboardingRequest,
  route: { style: 'header', headerName: 'X-Tenant-Id', value: tenantId },
  isolationModel: 'silo-services',
  stackOutputs: { TargetGroupArn: siloTargetGroupArn, ClusterName: 'shared-tenants', ServiceNames: 'api' },
};
export const ourTags = [
  { Key: 'tenantId', Value: tenantId },
  { Key: 'tier', Value: 'basic' },
  { Key: 'managed-by', Value: 'tenant-orchestrator' },
];

/** The TransactWrite input of claimPriority for a route. */
export function claimTransaction(route: Record<string, unknown>) {
  return {
    TransactItems: [
      {
        Put: {
          TableName: tableName,
          Item: {
            pk: `LISTENER#${String(route.listenerArn)}`,
            sk: `PRIORITY#${String(route.priority).padStart(5, '0')}`,
            owner: 'tenant',
            tenantId,
            allocatedAt: now,
          },
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
  };
}

/** The Update input of recordRuleArn. */
export function recordRule(arn: string) {
  return {
    TableName: tableName,
    Key: { pk: `TENANT#${tenantId}`, sk: 'TENANT' },
    UpdateExpression: 'SET #route.#ruleArn = :ruleArn, #updatedAt = :now',
    ConditionExpression: '#lock.#executionArn = :executionArn AND attribute_exists(#route)',
    ExpressionAttributeNames: { '#route': 'route', '#ruleArn': 'ruleArn', '#updatedAt': 'updatedAt', '#lock': 'lock', '#executionArn': 'executionArn' },
    ExpressionAttributeValues: { ':ruleArn': arn, ':now': now, ':executionArn': executionArn },
  };
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
});
