import {
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  RuleNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../../functions/remove-route/handler.ts';
import {
  context,
  listenerArn,
  now,
  offboardingRequest,
  otherExecutionArn,
  releaseTransaction,
  ruleArn,
  storedRoute,
  tenantId,
  tenantItem,
  throttled,
  transactionCanceled,
} from '../register-route/route.fixture.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const elb = mockClient(ElasticLoadBalancingV2Client);

const input = { request: offboardingRequest };
const offboardingLock = { operation: 'offboarding', registrationId: 'b8e0a1c2', executionArn: offboardingRequest.executionArn, acquiredAt: now };
const ourTags = [
  { Key: 'tenantId', Value: tenantId },
  { Key: 'tier', Value: 'basic' },
  { Key: 'managed-by', Value: 'tenant-orchestrator' },
];

function offboardingTenant(overrides: Record<string, unknown> = {}) {
  return tenantItem({ status: 'OFFBOARDING', lock: offboardingLock, ...overrides });
}

function elbInputs(command: Parameters<typeof elb.commandCalls>[0]): unknown[] {
  return elb.commandCalls(command).map((call) => call.args[0].input);
}

function ddbInputs(command: Parameters<typeof ddb.commandCalls>[0]): unknown[] {
  return ddb.commandCalls(command).map((call) => call.args[0].input);
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

describe('remove-route handler', () => {
  it('deletes the recorded rule and releases the route', async () => {
    ddb.on(GetCommand).resolves(offboardingTenant({ route: storedRoute({ ruleArn: ruleArn('r3') }) }));
    ddb.on(TransactWriteCommand).resolves({});
    elb.on(DeleteRuleCommand).resolves({});

    const result = await handler(input, context);

    expect(result).toEqual({ removed: true });
    expect(elbInputs(DeleteRuleCommand)).toEqual([{ RuleArn: ruleArn('r3') }]);
    expect(ddbInputs(TransactWriteCommand)).toEqual([releaseTransaction(3)]);
    expect(elb.commandCalls(DescribeRulesCommand)).toHaveLength(0);
  });

  it('reports nothing removed, without calls, when the tenant has no route', async () => {
    ddb.on(GetCommand).resolves(offboardingTenant());

    const result = await handler(input, context);

    expect(result).toEqual({ removed: false });
    expect(elb.calls()).toHaveLength(0);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('still releases the route when the rule is already gone', async () => {
    ddb.on(GetCommand).resolves(offboardingTenant({ route: storedRoute({ ruleArn: ruleArn('r3') }) }));
    ddb.on(TransactWriteCommand).resolves({});
    elb.on(DeleteRuleCommand).rejects(new RuleNotFoundException({ message: 'One or more rules not found', $metadata: {} }));

    const result = await handler(input, context);

    expect(result).toEqual({ removed: true });
    expect(ddbInputs(TransactWriteCommand)).toEqual([releaseTransaction(3)]);
  });

  it('finds and deletes its own rule at the claimed priority when no rule was recorded', async () => {
    ddb.on(GetCommand).resolves(offboardingTenant({ route: storedRoute() }));
    ddb.on(TransactWriteCommand).resolves({});
    elb.on(DescribeRulesCommand).resolves({
      Rules: [
        { RuleArn: ruleArn('r1'), Priority: '1' },
        { RuleArn: ruleArn('mine'), Priority: '3' },
      ],
    });
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: ruleArn('mine'), Tags: ourTags }] });
    elb.on(DeleteRuleCommand).resolves({});

    const result = await handler(input, context);

    expect(result).toEqual({ removed: true });
    expect(elbInputs(DescribeRulesCommand)).toEqual([{ ListenerArn: listenerArn, PageSize: 400 }]);
    expect(elbInputs(DescribeTagsCommand)).toEqual([{ ResourceArns: [ruleArn('mine')] }]);
    expect(elbInputs(DeleteRuleCommand)).toEqual([{ RuleArn: ruleArn('mine') }]);
    expect(ddbInputs(TransactWriteCommand)).toEqual([releaseTransaction(3)]);
  });

  it('leaves a foreign rule at the claimed priority alone and only releases the route', async () => {
    ddb.on(GetCommand).resolves(offboardingTenant({ route: storedRoute() }));
    ddb.on(TransactWriteCommand).resolves({});
    elb.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: ruleArn('foreign'), Priority: '3' }] });
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: ruleArn('foreign'), Tags: [{ Key: 'team', Value: 'web' }] }] });

    const result = await handler(input, context);

    expect(result).toEqual({ removed: true });
    expect(elb.commandCalls(DeleteRuleCommand)).toHaveLength(0);
    expect(ddbInputs(TransactWriteCommand)).toEqual([releaseTransaction(3)]);
  });

  it('fails with TransientAwsError on throttling and keeps the route for the retry', async () => {
    ddb.on(GetCommand).resolves(offboardingTenant({ route: storedRoute({ ruleArn: ruleArn('r3') }) }));
    elb.on(DeleteRuleCommand).rejects(throttled());

    await expect(handler(input, context)).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('fails with LockLost before deleting anything when another execution holds the tenant', async () => {
    ddb.on(GetCommand).resolves(
      offboardingTenant({ route: storedRoute({ ruleArn: ruleArn('r3') }), lock: { ...offboardingLock, executionArn: otherExecutionArn } }),
    );

    await expect(handler(input, context)).rejects.toMatchObject({ name: 'LockLost' });
    expect(elb.calls()).toHaveLength(0);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('fails with LockLost when the lock moved on between the read and the release', async () => {
    ddb.on(GetCommand).resolves(offboardingTenant({ route: storedRoute({ ruleArn: ruleArn('r3') }) }));
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'ConditionalCheckFailed']));
    elb.on(DeleteRuleCommand).resolves({});

    await expect(handler(input, context)).rejects.toMatchObject({ name: 'LockLost' });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('converges on re-run: the second run finds no route and makes no calls', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce(offboardingTenant({ route: storedRoute({ ruleArn: ruleArn('r3') }) }))
      .resolves(offboardingTenant());
    ddb.on(TransactWriteCommand).resolves({});
    elb.on(DeleteRuleCommand).resolves({});

    const first = await handler(input, context);
    const second = await handler(input, context);

    expect([first, second]).toEqual([{ removed: true }, { removed: false }]);
    expect(elb.commandCalls(DeleteRuleCommand)).toHaveLength(1);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('rejects input that does not match the schema', async () => {
    await expect(handler({}, context)).rejects.toMatchObject({ name: 'InvalidStepInput' });
    expect(ddb.calls()).toHaveLength(0);
  });
});
