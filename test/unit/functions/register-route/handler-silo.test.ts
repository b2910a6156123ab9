/**
 * register-route for silo tenants: the step only claims the priority and hands it to the tenant's
 * stack as parameters; the stack creates the rule (ECS needs it before the service).
 */
import {
  CreateRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/register-route/handler.ts';
import {
  claimedQuery,
  claimedQueryMatch,
  claimPut,
  conditionFailed,
  context,
  foreignReservation,
  host,
  listenerArn,
  poolInput,
  priorityDelete,
  priorityGet,
  priorityItem,
  priorityPage,
  queryAnswers,
  routeUpdate,
  ruleArn,
  siloHeaderInput,
  siloStoredRoute,
  takenQuery,
  tenantHold,
  tenantId,
  throttled,
  useRouteMocks,
} from './route.fixture.ts';

const { ddb, elb, holdTenant, ddbInputs, elbInputs } = useRouteMocks();

/** What the step returns for the silo tenant of `siloHeaderInput`: the claim as stack parameters. */
function siloRegistration(priority: number, listener = listenerArn) {
  return {
    listenerArn: listener,
    priority,
    style: 'header',
    value: tenantId,
    headerName: 'X-Tenant-Id',
    stackParameters: {
      ListenerArn: listener,
      RulePriority: String(priority),
      RouteStyle: 'header',
      RouteValue: tenantId,
      RouteHeaderName: 'X-Tenant-Id',
    },
  };
}

/** The tenant owns no priority item yet. Set after the generic Query mock, so it wins for claimedPriority's Query. */
function noOrphanClaims(): void {
  ddb.on(QueryCommand, claimedQueryMatch).resolves(priorityPage([]));
}

describe('register-route handler: silo tenants (the stack creates the rule)', () => {
  it('claims the lowest free priority, records the route without rule or target group and returns the stack parameters', async () => {
    ddb.on(QueryCommand).resolves(priorityPage([1, 2]));
    noOrphanClaims();
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    holdTenant({});
    elb.on(DescribeRulesCommand).resolves({
      Rules: [
        { RuleArn: ruleArn('tenant-1'), Priority: '1' },
        { RuleArn: ruleArn('tenant-2'), Priority: '2' },
        { RuleArn: ruleArn('default'), Priority: 'default', IsDefault: true },
      ],
    });

    const result = await handler(siloHeaderInput, context);

    expect(result).toEqual(siloRegistration(3));
    expect(ddbInputs(QueryCommand)).toEqual([claimedQuery(), takenQuery()]);
    expect(elbInputs(DescribeRulesCommand)).toEqual([{ ListenerArn: listenerArn, PageSize: 400 }]);
    expect(ddbInputs(PutCommand)).toEqual([claimPut(3)]);
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold, routeUpdate(siloStoredRoute(3))]);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
    expect(elb.commandCalls(DescribeTagsCommand)).toHaveLength(0);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('passes the default header name for a host route, so every stack parameter has a value', async () => {
    ddb.on(QueryCommand).resolves(priorityPage([]));
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    holdTenant({});
    elb.on(DescribeRulesCommand).resolves({ Rules: [] });

    const result = await handler({ ...poolInput, isolationModel: 'silo-cluster' }, context);

    expect(result).toEqual({
      listenerArn,
      priority: 1,
      style: 'host',
      value: host,
      stackParameters: {
        ListenerArn: listenerArn,
        RulePriority: '1',
        RouteStyle: 'host',
        RouteValue: host,
        RouteHeaderName: 'x-tenant-id',
      },
    });
    expect(ddbInputs(UpdateCommand)).toEqual([
      tenantHold,
      routeUpdate({ listenerArn, priority: 1, style: 'host', value: host }),
    ]);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  });

  it('re-run or redrive: returns the recorded claim without checking the listener (its stack may hold the rule)', async () => {
    holdTenant({ route: siloStoredRoute(6) });

    const result = await handler(siloHeaderInput, context);

    expect(result).toEqual(siloRegistration(6));
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold]);
    expect(ddb.calls()).toHaveLength(1);
    expect(elb.calls()).toHaveLength(0);
  });

  it('gives up a new priority a foreign rule holds, reserves the foreign priorities and allocates again, before recording anything', async () => {
    ddb.on(QueryCommand).callsFake(
      queryAnswers({
        taken: [
          [1, 2], // allocate: 3 looks free
          [1, 2], // before reserving
          [1, 2, 3, 7], // allocate again
        ],
      }),
    );
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    holdTenant({});
    elb.on(DescribeRulesCommand).resolves({
      Rules: [
        { RuleArn: ruleArn('tenant-1'), Priority: '1' },
        { RuleArn: ruleArn('tenant-2'), Priority: '2' },
        { RuleArn: ruleArn('foreign-3'), Priority: '3' },
        { RuleArn: ruleArn('foreign-7'), Priority: '7' },
      ],
    });

    const result = await handler(siloHeaderInput, context);

    expect(result).toEqual(siloRegistration(4));
    expect(ddbInputs(QueryCommand)).toEqual([claimedQuery(), takenQuery(), takenQuery(), claimedQuery(), takenQuery()]);
    expect(elbInputs(DescribeRulesCommand)).toEqual([
      { ListenerArn: listenerArn, PageSize: 400 },
      { ListenerArn: listenerArn, PageSize: 400 },
    ]);
    expect(ddbInputs(PutCommand)).toEqual([foreignReservation(3), foreignReservation(7), claimPut(4)]);
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold, tenantHold, routeUpdate(siloStoredRoute(4))]);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  });

  it('deletes its orphan claim when a foreign rule holds it, reserves that priority and allocates again', async () => {
    ddb.on(QueryCommand).callsFake(
      queryAnswers({
        claimed: [[5], []],
        taken: [
          [1, 2],
          [1, 2, 5],
        ],
      }),
    );
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    holdTenant({});
    ddb.on(DeleteCommand).resolves({});
    elb.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: ruleArn('foreign-5'), Priority: '5' }] });

    const result = await handler(siloHeaderInput, context);

    expect(result).toEqual(siloRegistration(3));
    expect(ddbInputs(DeleteCommand)).toEqual([priorityDelete(5)]);
    expect(ddbInputs(PutCommand)).toEqual([foreignReservation(5), claimPut(3)]);
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold, tenantHold, routeUpdate(siloStoredRoute(3))]);
    // The orphan item is deleted before the reservation, which needs the priority free.
    expect(ddb.calls().map((call) => (call.args[0] as object).constructor.name)).toEqual([
      'UpdateCommand',
      'QueryCommand',
      'DeleteCommand',
      'QueryCommand',
      'PutCommand',
      'UpdateCommand',
      'QueryCommand',
      'QueryCommand',
      'PutCommand',
      'UpdateCommand',
    ]);
  });

  it('reuses its orphan claim when no rule holds that priority', async () => {
    ddb.on(GetCommand, priorityGet(5)).resolves(priorityItem(5, tenantId));
    ddb.on(QueryCommand).callsFake(queryAnswers({ claimed: [[5]] }));
    ddb.on(PutCommand).rejects(conditionFailed()); // the orphan item is there: ours
    ddb.on(UpdateCommand).resolves({});
    holdTenant({});
    elb.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: ruleArn('tenant-1'), Priority: '1' }] });

    const result = await handler(siloHeaderInput, context);

    expect(result).toEqual(siloRegistration(5));
    expect(elbInputs(DescribeRulesCommand)).toEqual([{ ListenerArn: listenerArn, PageSize: 400 }]);
    expect(ddbInputs(QueryCommand)).toEqual([claimedQuery()]);
    expect(ddbInputs(PutCommand)).toEqual([claimPut(5)]);
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold, routeUpdate(siloStoredRoute(5))]);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  });

  it('fails with TransientAwsError when listing the listener rules is throttled, having claimed nothing', async () => {
    holdTenant({});
    ddb.on(QueryCommand).resolves(priorityPage([]));
    elb.on(DescribeRulesCommand).rejects(throttled());

    await expect(handler(siloHeaderInput, context)).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold]);
  });
});
