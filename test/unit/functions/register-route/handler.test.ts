import { CreateRuleCommand, DescribeRulesCommand, ElasticLoadBalancingV2Client, RuleNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../../functions/register-route/handler.ts';
import { createRouteRegistrar, maxRegisterAttempts } from '../../../../functions/register-route/register.ts';
import { createLogger } from '../../../../functions/shared/handler.ts';
import { createRegistry } from '../../../../functions/shared/registry.ts';
import { createRouteRegistry } from '../../../../functions/shared/registry-routes.ts';
import {
  claimTransaction,
  context,
  host,
  hostRule,
  listenerArn,
  now,
  onboardingRequest,
  otherExecutionArn,
  ourTags,
  poolInput,
  pooledTargetGroupArn,
  priorityPage,
  range,
  recordRule,
  registration,
  ruleArn,
  siloHeaderInput,
  siloTargetGroupArn,
  storedRoute,
  tableName,
  tenantId,
  tenantItem,
  transactionCanceled,
} from './route.fixture.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const elb = mockClient(ElasticLoadBalancingV2Client);

function ddbInputs(command: Parameters<typeof ddb.commandCalls>[0]): unknown[] {
  return ddb.commandCalls(command).map((call) => call.args[0].input);
}

function elbInputs(command: Parameters<typeof elb.commandCalls>[0]): unknown[] {
  return elb.commandCalls(command).map((call) => call.args[0].input);
}

beforeEach(() => {
  ddb.reset();
  elb.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(now));
});

afterEach(() => {
  vi.useRealTimers();
});

describe('register-route handler: new route', () => {
  it('claims the lowest free priority, creates the rule and records it', async () => {
    ddb.on(GetCommand).resolves(tenantItem());
    ddb.on(QueryCommand).resolves(priorityPage([1, 2, 4]));
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('r3') }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(3, ruleArn('r3')));
    expect(ddbInputs(GetCommand)).toEqual([{ TableName: tableName, Key: { pk: `TENANT#${tenantId}`, sk: 'TENANT' }, ConsistentRead: true }]);
    expect(ddbInputs(TransactWriteCommand)).toEqual([claimTransaction(storedRoute({ priority: 3 }))]);
    expect(elbInputs(CreateRuleCommand)).toEqual([hostRule(3)]);
    expect(ddbInputs(UpdateCommand)).toEqual([recordRule(ruleArn('r3'))]);
  });

  it('forwards a silo tenant to its own target group with an http-header condition', async () => {
    ddb.on(GetCommand).resolves(tenantItem());
    ddb.on(QueryCommand).resolves(priorityPage([]));
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('r1') }] });

    const result = await handler(siloHeaderInput, context);

    const route = { listenerArn, priority: 1, targetGroupArn: siloTargetGroupArn, style: 'header', value: tenantId, headerName: 'X-Tenant-Id' };
    expect(result).toEqual({ ...route, ruleArn: ruleArn('r1') });
    expect(ddbInputs(TransactWriteCommand)).toEqual([claimTransaction(route)]);
    expect(elbInputs(CreateRuleCommand)).toEqual([
      {
        ListenerArn: listenerArn,
        Priority: 1,
        Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Tenant-Id', Values: [tenantId] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: siloTargetGroupArn }],
        Tags: ourTags,
      },
    ]);
  });

  it('takes the next priority when a concurrent tenant claimed the same one first', async () => {
    ddb.on(GetCommand).resolves(tenantItem());
    ddb.on(QueryCommand).resolvesOnce(priorityPage([1, 2])).resolvesOnce(priorityPage([1, 2, 3]));
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(transactionCanceled(['ConditionalCheckFailed', 'None']))
      .resolvesOnce({});
    ddb.on(UpdateCommand).resolves({});
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('r4') }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(4, ruleArn('r4')));
    expect(ddbInputs(TransactWriteCommand)).toEqual([
      claimTransaction(storedRoute({ priority: 3 })),
      claimTransaction(storedRoute({ priority: 4 })),
    ]);
    expect(elbInputs(CreateRuleCommand)).toEqual([hostRule(4)]);
  });

  it('fails with TransientAwsError after losing every round, so the workflow retries later', async () => {
    ddb.on(GetCommand).resolves(tenantItem());
    ddb.on(QueryCommand).resolves(priorityPage([1]));
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None']));

    await expect(handler(poolInput, context)).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(maxRegisterAttempts);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  });

  it('fails with RouteCapacityExceeded naming the fix when every listener is full, claiming nothing', async () => {
    ddb.on(GetCommand).resolves(tenantItem());
    ddb.on(QueryCommand).resolves(priorityPage(range(1, 100)));

    await expect(handler(poolInput, context)).rejects.toMatchObject({
      name: 'RouteCapacityExceeded',
      message:
        'All 1 route listener(s) are full (100 of 100 rules). Add a listener to ROUTE_LISTENERS or raise the Rules per ' +
        "Application Load Balancer quota and the listener's capacity.",
    });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  });

  it('fails with LockLost before touching anything when another execution holds the tenant', async () => {
    ddb.on(GetCommand).resolves(tenantItem({ lock: { operation: 'offboarding', registrationId: 'x', executionArn: otherExecutionArn, acquiredAt: now } }));

    await expect(handler(poolInput, context)).rejects.toMatchObject({ name: 'LockLost' });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    expect(elb.calls()).toHaveLength(0);
  });

  it('rejects a silo tenant without the TargetGroupArn output before any call', async () => {
    await expect(handler({ ...siloHeaderInput, stackOutputs: {} }, context)).rejects.toMatchObject({ name: 'InvalidStepInput' });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('rejects input that does not match the schema', async () => {
    await expect(handler({ request: onboardingRequest }, context)).rejects.toMatchObject({ name: 'InvalidStepInput' });
  });

  it('spills to the next configured listener, forwarding to that listener pooled target group', async () => {
    const secondListener = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants-2/1a2b3c4d5e6f7a8b/0f1e2d3c4b5a6978';
    const secondPool = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/pooled-2/0123456789abcdef';
    const registrar = createRouteRegistrar({
      registry: createRegistry(tableName),
      routeRegistry: createRouteRegistry(tableName),
      listeners: [
        { listenerArn, capacity: 2, pooledTargetGroupArn },
        { listenerArn: secondListener, capacity: 100, pooledTargetGroupArn: secondPool },
      ],
      logger: createLogger('register-route-test'),
      now: () => now,
    });
    ddb.on(GetCommand).resolves(tenantItem());
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': `LISTENER#${listenerArn}`, ':prefix': 'PRIORITY#' } }).resolves(priorityPage([1, 5]));
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': `LISTENER#${secondListener}`, ':prefix': 'PRIORITY#' } }).resolves(priorityPage([]));
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('second-1') }] });

    const result = await registrar.register({ ...poolInput, route: { style: 'host', value: host }, isolationModel: 'pool' });

    expect(result).toMatchObject({ listenerArn: secondListener, priority: 1, targetGroupArn: secondPool });
    expect(ddbInputs(TransactWriteCommand)).toEqual([
      claimTransaction(storedRoute({ listenerArn: secondListener, priority: 1, targetGroupArn: secondPool })),
    ]);
    expect(elbInputs(CreateRuleCommand)).toEqual([{ ...hostRule(1, secondPool), ListenerArn: secondListener }]);
  });
});

describe('register-route handler: re-run and redrive', () => {
  it('returns the recorded rule without writes when it still exists', async () => {
    ddb.on(GetCommand).resolves(tenantItem({ route: storedRoute({ ruleArn: ruleArn('r3') }) }));
    elb.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: ruleArn('r3'), Priority: '3' }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(3, ruleArn('r3')));
    expect(elbInputs(DescribeRulesCommand)).toEqual([{ RuleArns: [ruleArn('r3')] }]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  });

  it('creates the rule at the claimed priority when a run crashed between claim and CreateRule', async () => {
    ddb.on(GetCommand).resolves(tenantItem({ route: storedRoute({ priority: 8 }) }));
    ddb.on(UpdateCommand).resolves({});
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('r8') }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(8, ruleArn('r8')));
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(elbInputs(CreateRuleCommand)).toEqual([hostRule(8)]);
    expect(ddbInputs(UpdateCommand)).toEqual([recordRule(ruleArn('r8'))]);
  });

  it('re-creates a rule deleted by hand and records the new one', async () => {
    ddb.on(GetCommand).resolves(tenantItem({ route: storedRoute({ ruleArn: ruleArn('old') }) }));
    ddb.on(UpdateCommand).resolves({});
    elb.on(DescribeRulesCommand).rejects(new RuleNotFoundException({ message: 'One or more rules not found', $metadata: {} }));
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('new') }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(3, ruleArn('new')));
    expect(elbInputs(CreateRuleCommand)).toEqual([hostRule(3)]);
    expect(ddbInputs(UpdateCommand)).toEqual([recordRule(ruleArn('new'))]);
  });

  it('uses the route when a duplicate run claimed one first (tenant-has-route)', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce(tenantItem())
      .resolves(tenantItem({ route: storedRoute({ priority: 2, ruleArn: ruleArn('r2') }) }));
    ddb.on(QueryCommand).resolves(priorityPage([1]));
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'ConditionalCheckFailed']));
    elb.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: ruleArn('r2'), Priority: '2' }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(2, ruleArn('r2')));
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  });

  it('fails with LockLost when the claim failed because the lock moved on', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce(tenantItem())
      .resolves(tenantItem({ lock: { operation: 'onboarding', registrationId: 'y', executionArn: otherExecutionArn, acquiredAt: now } }));
    ddb.on(QueryCommand).resolves(priorityPage([]));
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'ConditionalCheckFailed']));

    await expect(handler(poolInput, context)).rejects.toMatchObject({ name: 'LockLost' });
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  });
});
