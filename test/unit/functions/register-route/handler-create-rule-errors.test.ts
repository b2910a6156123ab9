/**
 * register-route when CreateRule fails: the priority is held (by our own earlier rule or a
 * foreign one), the load balancer is at a quota, the listener is gone, or AWS throttles.
 */
import {
  CreateRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ListenerNotFoundException,
  PriorityInUseException,
  TooManyRulesException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/register-route/handler.ts';
import {
  claimedQuery,
  claimPut,
  conditionFailed,
  context,
  foreignReservation,
  hostRule,
  listenerArn,
  ourTags,
  poolInput,
  priorityDelete,
  queryAnswers,
  recordRule,
  registration,
  routeRemoval,
  routeUpdate,
  ruleArn,
  storedRoute,
  takenQuery,
  tenantHold,
  throttled,
  useRouteMocks,
} from './route.fixture.ts';
import { servePages } from '../shared/aws/pages.fixture.ts';

const { ddb, elb, holdTenant, ddbInputs, elbInputs } = useRouteMocks();

describe('register-route handler: CreateRule errors', () => {
  it('adopts its own rule when the priority is held by a rule tagged for this tenant', async () => {
    ddb.on(UpdateCommand).resolves({});
    holdTenant({ route: storedRoute() });
    elb
      .on(CreateRuleCommand)
      .rejects(new PriorityInUseException({ message: 'Priority 3 is currently in use', $metadata: {} }));
    const rulePages = servePages([
      { Rules: [{ RuleArn: ruleArn('r1'), Priority: '1' }], NextMarker: 'm2' },
      { Rules: [{ RuleArn: ruleArn('mine'), Priority: '3' }] },
    ]);
    elb.on(DescribeRulesCommand).callsFake(rulePages.answer);
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: ruleArn('mine'), Tags: ourTags }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(3, ruleArn('mine')));
    expect(rulePages.sent).toEqual([
      { ListenerArn: listenerArn, PageSize: 400 },
      { ListenerArn: listenerArn, PageSize: 400, Marker: 'm2' },
    ]);
    expect(elbInputs(DescribeTagsCommand)).toEqual([{ ResourceArns: [ruleArn('mine')] }]);
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold, recordRule(ruleArn('mine'))]);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(1);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('gives up a priority a foreign rule holds, reserves the foreign priorities and allocates again', async () => {
    ddb.on(QueryCommand).callsFake(
      queryAnswers({
        taken: [
          [1, 2], // allocate: 3 looks free
          [1, 2], // after the release
          [1, 2, 3, 7], // after the reservations
        ],
      }),
    );
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    holdTenant({}); // after the release the tenant has no route again
    ddb.on(DeleteCommand).resolves({});
    elb
      .on(CreateRuleCommand)
      .rejectsOnce(new PriorityInUseException({ message: 'Priority 3 is currently in use', $metadata: {} }))
      .resolvesOnce({ Rules: [{ RuleArn: ruleArn('r4') }] });
    elb.on(DescribeRulesCommand).resolves({
      Rules: [
        { RuleArn: ruleArn('tenant-1'), Priority: '1' },
        { RuleArn: ruleArn('tenant-2'), Priority: '2' },
        { RuleArn: ruleArn('foreign-3'), Priority: '3' },
        { RuleArn: ruleArn('foreign-7'), Priority: '7' },
        { RuleArn: ruleArn('default'), Priority: 'default', IsDefault: true },
      ],
    });
    elb
      .on(DescribeTagsCommand)
      .resolves({ TagDescriptions: [{ ResourceArn: ruleArn('foreign-3'), Tags: [{ Key: 'team', Value: 'web' }] }] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(4, ruleArn('r4')));
    expect(ddbInputs(PutCommand)).toEqual([claimPut(3), foreignReservation(3), foreignReservation(7), claimPut(4)]);
    expect(ddbInputs(UpdateCommand)).toEqual([
      tenantHold,
      routeUpdate(storedRoute({ priority: 3 })),
      routeRemoval(),
      tenantHold,
      routeUpdate(storedRoute({ priority: 4 })),
      recordRule(ruleArn('r4')),
    ]);
    expect(ddbInputs(DeleteCommand)).toEqual([priorityDelete(3)]);
    expect(ddbInputs(QueryCommand)).toEqual([claimedQuery(), takenQuery(), takenQuery(), claimedQuery(), takenQuery()]);
    expect(elbInputs(CreateRuleCommand)).toEqual([hostRule(3), hostRule(4)]);
    // Released before reserved: a reservation is conditional on the priority item being absent.
    expect(ddb.calls().map((call) => (call.args[0] as object).constructor.name)).toEqual([
      'UpdateCommand',
      'QueryCommand',
      'QueryCommand',
      'PutCommand',
      'UpdateCommand',
      'UpdateCommand',
      'DeleteCommand',
      'QueryCommand',
      'PutCommand',
      'PutCommand',
      'UpdateCommand',
      'QueryCommand',
      'QueryCommand',
      'PutCommand',
      'UpdateCommand',
      'UpdateCommand',
    ]);
  });

  it('creates the rule again when the rule holding the priority vanished meanwhile', async () => {
    ddb.on(UpdateCommand).resolves({});
    holdTenant({ route: storedRoute() });
    elb
      .on(CreateRuleCommand)
      .rejectsOnce(new PriorityInUseException({ message: 'Priority 3 is currently in use', $metadata: {} }))
      .resolvesOnce({ Rules: [{ RuleArn: ruleArn('r3') }] });
    elb.on(DescribeRulesCommand).resolves({ Rules: [] });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(3, ruleArn('r3')));
    expect(elbInputs(CreateRuleCommand)).toEqual([hostRule(3), hostRule(3)]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('treats a rule of another tenant at our priority as foreign', async () => {
    ddb.on(QueryCommand).callsFake(
      queryAnswers({
        taken: [
          [1, 2],
          [1, 2, 3],
        ],
      }),
    );
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    holdTenant({ route: storedRoute() }, {});
    ddb.on(DeleteCommand).resolves({});
    elb
      .on(CreateRuleCommand)
      .rejectsOnce(new PriorityInUseException({ message: 'Priority 3 is currently in use', $metadata: {} }))
      .resolvesOnce({ Rules: [{ RuleArn: ruleArn('r4') }] });
    elb.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: ruleArn('other'), Priority: '3' }] });
    elb.on(DescribeTagsCommand).resolves({
      TagDescriptions: [
        {
          ResourceArn: ruleArn('other'),
          Tags: [
            { Key: 'tenantId', Value: 'another' },
            { Key: 'managed-by', Value: 'tenant-orchestrator' },
          ],
        },
      ],
    });

    const result = await handler(poolInput, context);

    expect(result).toEqual(registration(4, ruleArn('r4')));
    expect(ddbInputs(UpdateCommand)).toEqual([
      tenantHold,
      routeRemoval(),
      tenantHold,
      routeUpdate(storedRoute({ priority: 4 })),
      recordRule(ruleArn('r4')),
    ]);
    expect(ddbInputs(DeleteCommand)).toEqual([priorityDelete(3)]);
  });

  it('fails with RouteCapacityExceeded on TooManyRules and releases the claim for the redrive', async () => {
    ddb.on(QueryCommand).callsFake(queryAnswers({ taken: [[1, 2]] }));
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    holdTenant({});
    ddb.on(DeleteCommand).resolves({});
    elb.on(CreateRuleCommand).rejects(new TooManyRulesException({ message: 'Rules limit reached', $metadata: {} }));

    const error = await handler(poolInput, context).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'RouteCapacityExceeded' });
    expect((error as Error).message).toMatch(
      /Rules per Application Load Balancer quota .*although the registry had room.*\(foreign rules\)/,
    );
    expect((error as Error).message).toMatch(
      /Lower this listener's capacity in ROUTE_LISTENERS, add a listener, or raise the quota\.$/,
    );
    expect(ddbInputs(PutCommand)).toEqual([claimPut(3)]);
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold, routeUpdate(storedRoute({ priority: 3 })), routeRemoval()]);
    expect(ddbInputs(DeleteCommand)).toEqual([priorityDelete(3)]);
  });

  it('fails with RouteConflict when the listener does not exist, still reporting it if the release fails', async () => {
    ddb.on(UpdateCommand).rejects(throttled());
    holdTenant({ route: storedRoute() });
    elb
      .on(CreateRuleCommand)
      .rejects(new ListenerNotFoundException({ message: 'One or more listeners not found', $metadata: {} }));

    await expect(handler(poolInput, context)).rejects.toMatchObject({ name: 'RouteConflict' });
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold, routeRemoval()]);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('fails with TransientAwsError on throttling and keeps the claim for the retry', async () => {
    holdTenant({ route: storedRoute() });
    elb.on(CreateRuleCommand).rejects(throttled());

    await expect(handler(poolInput, context)).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold]);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('fails with Superseded when recording the rule finds the lock gone', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    holdTenant({ route: storedRoute() });
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: ruleArn('r3') }] });

    await expect(handler(poolInput, context)).rejects.toMatchObject({ name: 'Superseded' });
    expect(ddbInputs(UpdateCommand)).toEqual([tenantHold, recordRule(ruleArn('r3'))]);
  });
});
