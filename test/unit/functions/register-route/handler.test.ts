import {
  CreateRuleCommand,
  DescribeRulesCommand,
  RuleNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/register-route/handler.ts';
import { maxRegisterAttempts } from '../../../../functions/register-route/register.ts';
import {
  claimedQuery,
  claimedQueryMatch,
  claimPut,
  conditionFailed,
  context,
  executionArn,
  hostRule,
  listenerArn,
  now,
  onboardingRequest,
  otherExecutionArn,
  poolInput,
  poolRegisterInput,
  priorityDelete,
  priorityGet,
  priorityItem,
  priorityPage,
  queryAnswers,
  range,
  recordRule,
  registration,
  routeUpdate,
  ruleArn,
  secondListener,
  secondPool,
  siloHeaderInput,
  storedRoute,
  tableName,
  takenQuery,
  tenantHold,
  tenantId,
  tenantItem,
  twoListenerRegistrar,
  useRouteMocks,
} from './route.fixture.ts';
import { lockHold } from '../shared/registry/tenants.fixture.ts';

const { ddb, elb, holdTenant, ddbInputs, elbInputs } = useRouteMocks();

/** The tenant owns no priority item yet. Set after the generic Query mock, so it wins for claimedPriority's Query. */
function noOrphanClaims(): void {
  ddb.on(QueryCommand, claimedQueryMatch).resolves(priorityPage([]));
}

describe('register-route handler: new route', () => {
  it('proves the lock, looks for an orphan claim, claims the lowest free priority, records the route, creates the rule and records it', async () => {
    ddb.on(QueryCommand).resolves(priorityPage([1, 2, 4]));
    noOrphanClaims();
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    holdTenant({});
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('r3') }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(3, ruleArn('r3')));
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    expect(ddbInputs(QueryCommand)).toEqual([claimedQuery(), takenQuery()]);
    expect(ddbInputs(PutCommand)).toEqual([claimPut(3)]);
    expect(elbInputs(CreateRuleCommand)).toEqual([hostRule(3)]);
    expect(ddbInputs(UpdateCommand)).toEqual([
      tenantHold,
      routeUpdate(storedRoute({ priority: 3 })),
      recordRule(ruleArn('r3')),
    ]);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('takes the next priority when a concurrent tenant claimed the same one first (priority-taken)', async () => {
    ddb.on(GetCommand, priorityGet(3)).resolves(priorityItem(3, 'another-tenant'));
    ddb.on(QueryCommand).callsFake(
      queryAnswers({
        taken: [
          [1, 2],
          [1, 2, 3],
        ],
      }),
    );
    ddb.on(PutCommand).rejectsOnce(conditionFailed()).resolvesOnce({});
    ddb.on(UpdateCommand).resolves({});
    holdTenant({});
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('r4') }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(4, ruleArn('r4')));
    expect(ddbInputs(PutCommand)).toEqual([claimPut(3), claimPut(4)]);
    expect(ddbInputs(GetCommand)).toEqual([priorityGet(3)]);
    expect(ddbInputs(UpdateCommand)).toEqual([
      tenantHold,
      tenantHold,
      routeUpdate(storedRoute({ priority: 4 })),
      recordRule(ruleArn('r4')),
    ]);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
    expect(elbInputs(CreateRuleCommand)).toEqual([hostRule(4)]);
  });

  it('fails with TransientAwsError after losing every round, so the workflow retries later', async () => {
    holdTenant({});
    ddb.on(GetCommand, priorityGet(2)).resolves(priorityItem(2, 'another-tenant'));
    ddb.on(QueryCommand).resolves(priorityPage([1]));
    noOrphanClaims();
    ddb.on(PutCommand).rejects(conditionFailed());

    await expect(handler(poolInput, context)).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(maxRegisterAttempts);
    // Every round proves the lock again; none records a route.
    expect(ddbInputs(UpdateCommand)).toEqual(Array.from({ length: maxRegisterAttempts }, () => tenantHold));
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  });

  it('fails with RouteCapacityExceeded naming the fix when every listener is full, claiming nothing', async () => {
    holdTenant({});
    ddb.on(QueryCommand).resolves(priorityPage(range(1, 100)));
    noOrphanClaims();

    await expect(handler(poolInput, context)).rejects.toMatchObject({
      name: 'RouteCapacityExceeded',
      message:
        'All 1 route listener(s) are full (100 of 100 rules). Add a listener to ROUTE_LISTENERS or raise the Rules per ' +
        "Application Load Balancer quota and the listener's capacity.",
    });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  });

  it('fails with Superseded before touching anything when its lock proof is refused (another execution or a later attempt holds the tenant)', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(handler(poolInput, context)).rejects.toMatchObject({ name: 'Superseded' });
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    expect(elb.calls()).toHaveLength(0);
  });

  it('proves the lock at the redrive attempt the workflow passes, for every write of the step', async () => {
    ddb.on(UpdateCommand).resolves({});
    holdTenant({ route: storedRoute({ priority: 8 }) });
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('r8') }] });

    await handler({ ...poolInput, redriveCount: 2 }, context);

    const redriven = { executionArn, attempt: 2 };
    expect(ddbInputs(UpdateCommand)).toEqual([
      lockHold({ tableName, tenantId }, redriven, now),
      {
        ...recordRule(ruleArn('r8')),
        ExpressionAttributeValues: { ...recordRule(ruleArn('r8')).ExpressionAttributeValues, ':fenceAttempt': 2 },
      },
    ]);
  });

  it('rejects a header route without header name before any call', async () => {
    const input = { ...siloHeaderInput, route: { style: 'header', value: tenantId } };

    await expect(handler(input, context)).rejects.toMatchObject({ name: 'InvalidStepInput' });
    expect(ddb.calls()).toHaveLength(0);
    expect(elb.calls()).toHaveLength(0);
  });

  it('rejects input that does not match the schema', async () => {
    await expect(handler({ request: onboardingRequest }, context)).rejects.toMatchObject({ name: 'InvalidStepInput' });
  });

  it('spills to the next configured listener, forwarding to that listener pooled target group', async () => {
    const registrar = twoListenerRegistrar(2);
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': `LISTENER#${listenerArn}`, ':prefix': 'PRIORITY#' } })
      .resolves(priorityPage([1, 5]));
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': `LISTENER#${secondListener}`, ':prefix': 'PRIORITY#' } })
      .resolves(priorityPage([]));
    noOrphanClaims();
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    holdTenant({});
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('second-1') }] });

    const result = await registrar.register(poolRegisterInput);

    expect(result).toMatchObject({ listenerArn: secondListener, priority: 1, targetGroupArn: secondPool });
    expect(ddbInputs(QueryCommand)).toEqual([
      claimedQuery(listenerArn),
      claimedQuery(secondListener),
      takenQuery(listenerArn),
      takenQuery(secondListener),
    ]);
    expect(ddbInputs(PutCommand)).toEqual([claimPut(1, secondListener)]);
    expect(ddbInputs(UpdateCommand)[1]).toEqual(
      routeUpdate(storedRoute({ listenerArn: secondListener, priority: 1, targetGroupArn: secondPool })),
    );
    expect(elbInputs(CreateRuleCommand)).toEqual([{ ...hostRule(1, secondPool), ListenerArn: secondListener }]);
  });
});

describe('register-route handler: re-run and redrive', () => {
  it('returns the recorded rule, writing nothing but the lock proof, when it still exists', async () => {
    holdTenant({ route: storedRoute({ ruleArn: ruleArn('r3') }) });
    elb.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: ruleArn('r3'), Priority: '3' }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(3, ruleArn('r3')));
    expect(elbInputs(DescribeRulesCommand)).toEqual([{ RuleArns: [ruleArn('r3')] }]);
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold]);
    expect(ddb.calls()).toHaveLength(1);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  });

  it('creates the rule at the recorded priority when a run crashed between recording the route and CreateRule', async () => {
    ddb.on(UpdateCommand).resolves({});
    holdTenant({ route: storedRoute({ priority: 8 }) });
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('r8') }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(8, ruleArn('r8')));
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(elbInputs(CreateRuleCommand)).toEqual([hostRule(8)]);
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold, recordRule(ruleArn('r8'))]);
  });

  it('reuses the orphan priority when a run crashed between claiming it and recording the route, never taking a second', async () => {
    ddb.on(GetCommand, priorityGet(5)).resolves(priorityItem(5, tenantId));
    ddb.on(QueryCommand).resolves(priorityPage([1, 2, 5]));
    ddb.on(QueryCommand, claimedQueryMatch).resolves(priorityPage([5]));
    ddb.on(PutCommand).rejects(conditionFailed()); // the orphan item is there: ours
    ddb.on(UpdateCommand).resolves({});
    holdTenant({});
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('r5') }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(5, ruleArn('r5')));
    expect(ddbInputs(QueryCommand)).toEqual([claimedQuery()]);
    expect(ddbInputs(PutCommand)).toEqual([claimPut(5)]);
    expect(ddbInputs(GetCommand)).toEqual([priorityGet(5)]);
    expect(ddbInputs(UpdateCommand)).toEqual([
      tenantHold,
      routeUpdate(storedRoute({ priority: 5 })),
      recordRule(ruleArn('r5')),
    ]);
    expect(elbInputs(CreateRuleCommand)).toEqual([hostRule(5)]);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('reuses an orphan on a later listener rather than allocating on the first one with room', async () => {
    const registrar = twoListenerRegistrar(100);
    ddb.on(GetCommand, priorityGet(9, secondListener)).resolves(priorityItem(9, tenantId, secondListener));
    ddb.on(QueryCommand, claimedQuery(listenerArn)).resolves(priorityPage([]));
    ddb.on(QueryCommand, claimedQuery(secondListener)).resolves(priorityPage([9]));
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(UpdateCommand).resolves({});
    holdTenant({});
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('second-9') }] });

    const result = await registrar.register(poolRegisterInput);

    expect(result).toMatchObject({ listenerArn: secondListener, priority: 9, targetGroupArn: secondPool });
    expect(ddbInputs(QueryCommand)).toEqual([claimedQuery(listenerArn), claimedQuery(secondListener)]);
    expect(ddbInputs(PutCommand)).toEqual([claimPut(9, secondListener)]);
    expect(elbInputs(CreateRuleCommand)).toEqual([{ ...hostRule(9, secondPool), ListenerArn: secondListener }]);
  });

  it('re-creates a rule deleted by hand and records the new one', async () => {
    ddb.on(UpdateCommand).resolves({});
    holdTenant({ route: storedRoute({ ruleArn: ruleArn('old') }) });
    elb
      .on(DescribeRulesCommand)
      .rejects(new RuleNotFoundException({ message: 'One or more rules not found', $metadata: {} }));
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('new') }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(3, ruleArn('new')));
    expect(elbInputs(CreateRuleCommand)).toEqual([hostRule(3)]);
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold, recordRule(ruleArn('new'))]);
  });

  it('deletes its extra claim and uses the route a duplicate run recorded first (tenant-has-route)', async () => {
    const recordedByDuplicate = { route: storedRoute({ priority: 2, ruleArn: ruleArn('r2') }) };
    ddb.on(GetCommand).resolves(tenantItem(recordedByDuplicate));
    ddb.on(QueryCommand).resolves(priorityPage([1, 2]));
    noOrphanClaims();
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).rejects(conditionFailed());
    holdTenant({}, recordedByDuplicate);
    ddb.on(DeleteCommand).resolves({});
    elb.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: ruleArn('r2'), Priority: '2' }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(2, ruleArn('r2')));
    expect(ddbInputs(PutCommand)).toEqual([claimPut(3)]);
    expect(ddbInputs(DeleteCommand)).toEqual([priorityDelete(3)]);
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold, routeUpdate(storedRoute({ priority: 3 })), tenantHold]);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  });

  it('deletes its claim and fails with Superseded when recording the route finds the lock moved on', async () => {
    ddb.on(GetCommand).resolves(
      tenantItem({
        lock: { operation: 'onboarding', registrationId: 'y', executionArn: otherExecutionArn, acquiredAt: now },
      }),
    );
    ddb.on(QueryCommand).resolves(priorityPage([]));
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).rejects(conditionFailed());
    holdTenant({});
    ddb.on(DeleteCommand).resolves({});

    await expect(handler(poolInput, context)).rejects.toMatchObject({ name: 'Superseded' });
    expect(ddbInputs(PutCommand)).toEqual([claimPut(1)]);
    expect(ddbInputs(DeleteCommand)).toEqual([priorityDelete(1)]);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  });
});
