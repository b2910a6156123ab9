import {
  ElasticLoadBalancingV2Client,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ModifyRuleCommand,
  ListenerNotFoundException,
  OperationNotPermittedException,
  PriorityInUseException,
  RuleNotFoundException,
  TargetGroupNotFoundException,
  TooManyRulesException,
  type CreateRuleCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { findRuleAtPriority, listListenerRules } from '../../../../functions/shared/aws/listener-rules.ts';
import { LoadBalancingSimulator } from '../../../../local/cloud/elb.ts';
import { listenerArn, pooledTargetGroupArn, secondListenerArn } from './cloud.fixture.ts';

let elb: LoadBalancingSimulator;

beforeEach(() => {
  elb = new LoadBalancingSimulator({
    listeners: [
      { listenerArn, quota: 3 },
      { listenerArn: secondListenerArn, quota: 3 },
    ],
  });
});

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function ruleInput(priority: number, tenantId = `t${priority}`, listener = listenerArn): CreateRuleCommandInput {
  return {
    ListenerArn: listener,
    Priority: priority,
    Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [`${tenantId}.tenants.example.com`] } }],
    Actions: [{ Type: 'forward', TargetGroupArn: pooledTargetGroupArn }],
    Tags: [
      { Key: 'tenantId', Value: tenantId },
      { Key: 'managed-by', Value: 'tenant-orchestrator' },
    ],
  };
}

describe('LoadBalancingSimulator createRule and describeRules', () => {
  it('creates a rule under the listener and describes it as AWS does', () => {
    const created = elb.createRule(ruleInput(5))?.Rules?.[0];

    const described = elb.describeRules({ RuleArns: [created?.RuleArn ?? ''] }).Rules;

    expect(created?.RuleArn).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule\/app\/tenants\/50dc6c495c0c9188\/f2f7dc8efc522ab2\/[0-9a-f]{16}$/,
    );
    expect(described).toEqual([
      {
        RuleArn: created?.RuleArn,
        Priority: '5',
        IsDefault: false,
        Conditions: ruleInput(5).Conditions,
        Actions: [
          {
            Type: 'forward',
            Order: 1,
            TargetGroupArn: pooledTargetGroupArn,
            ForwardConfig: {
              TargetGroups: [{ TargetGroupArn: pooledTargetGroupArn, Weight: 1 }],
              TargetGroupStickinessConfig: { Enabled: false },
            },
          },
        ],
      },
    ]);
  });

  it('refuses a priority in use on the same listener, not on another', () => {
    elb.createRule(ruleInput(5));

    const error = thrown(() => elb.createRule(ruleInput(5, 'other')));
    elb.createRule(ruleInput(5, 'elsewhere', secondListenerArn));

    expect(error).toBeInstanceOf(PriorityInUseException);
    expect(error).toMatchObject({ name: 'PriorityInUseException', message: "Priority '5' is currently in use" });
    expect(elb.listRules().map((rule) => [rule.ListenerArn, rule.Priority])).toEqual([
      [listenerArn, '5'],
      [listenerArn, 'default'],
      [secondListenerArn, '5'],
      [secondListenerArn, 'default'],
    ]);
  });

  it('counts the quota per load balancer across its listeners, default rules excluded', () => {
    elb.createRule(ruleInput(1));
    elb.createRule(ruleInput(2));
    elb.createRule(ruleInput(1, 'x', secondListenerArn));

    const error = thrown(() => elb.createRule(ruleInput(3)));

    expect(error).toBeInstanceOf(TooManyRulesException);
    expect(error).toMatchObject({
      name: 'TooManyRulesException',
      message: "You've reached the limit on the number of rules per load balancer",
    });
  });

  it('reports an unknown listener with ListenerNotFoundException', () => {
    const unknown = listenerArn.replace('f2f7dc8efc522ab2', '0000000000000000');

    expect(thrown(() => elb.createRule(ruleInput(1, 't', unknown)))).toBeInstanceOf(ListenerNotFoundException);
    expect(thrown(() => elb.describeRules({ ListenerArn: unknown }))).toMatchObject({
      name: 'ListenerNotFoundException',
    });
  });

  it('lists a listener by priority with the default rule last, a page at a time', () => {
    elb = new LoadBalancingSimulator({ listeners: [{ listenerArn }, { listenerArn: secondListenerArn }] });
    for (const priority of [40, 10, 30, 20, 50]) elb.createRule(ruleInput(priority, `t${priority}`, secondListenerArn));
    elb.createRule(ruleInput(7));

    const priorities: string[][] = [];
    let marker: string | undefined;
    do {
      const page = elb.describeRules({
        ListenerArn: secondListenerArn,
        PageSize: 2,
        ...(marker !== undefined ? { Marker: marker } : {}),
      });
      priorities.push((page.Rules ?? []).map((rule) => rule.Priority ?? ''));
      marker = page.NextMarker;
    } while (marker !== undefined);

    expect(priorities).toEqual([
      ['10', '20'],
      ['30', '40'],
      ['50', 'default'],
    ]);
    const defaultRule = elb.describeRules({ ListenerArn: listenerArn }).Rules?.at(-1);
    expect(defaultRule).toMatchObject({ Priority: 'default', IsDefault: true, Conditions: [] });
  });

  it('refuses forwards to a target group that does not exist when target groups are checked', () => {
    const checked = new LoadBalancingSimulator({ listeners: [{ listenerArn }], targetGroups: [] });

    const error = thrown(() => checked.createRule(ruleInput(1)));
    checked.registerTargetGroup(pooledTargetGroupArn);
    checked.createRule(ruleInput(1));

    expect(error).toBeInstanceOf(TargetGroupNotFoundException);
    expect(checked.isTargetGroupInUse(pooledTargetGroupArn)).toBe(true);
  });

  it('rejects a priority out of range and a request naming both a listener and rules', () => {
    expect(thrown(() => elb.createRule(ruleInput(0)))).toMatchObject({ name: 'ValidationError' });
    expect(thrown(() => elb.describeRules({ ListenerArn: listenerArn, RuleArns: ['x'] }))).toMatchObject({
      name: 'ValidationError',
    });
  });
});

describe('LoadBalancingSimulator deleteRule and describeTags', () => {
  it('deletes a rule; a second delete or describe reports RuleNotFoundException', () => {
    const ruleArn = elb.createRule(ruleInput(5)).Rules?.[0]?.RuleArn ?? '';

    elb.deleteRule({ RuleArn: ruleArn });

    const error = thrown(() => elb.deleteRule({ RuleArn: ruleArn }));
    expect(error).toBeInstanceOf(RuleNotFoundException);
    expect(error).toMatchObject({ name: 'RuleNotFoundException', message: 'One or more rules not found' });
    expect(thrown(() => elb.describeRules({ RuleArns: [ruleArn] }))).toBeInstanceOf(RuleNotFoundException);
    expect(thrown(() => elb.describeTags({ ResourceArns: [ruleArn] }))).toBeInstanceOf(RuleNotFoundException);
  });

  it('does not delete the default rule', () => {
    const defaultArn = elb.describeRules({ ListenerArn: listenerArn }).Rules?.[0]?.RuleArn ?? '';

    expect(thrown(() => elb.deleteRule({ RuleArn: defaultArn }))).toBeInstanceOf(OperationNotPermittedException);
  });

  it('keeps the tags given at CreateRule', () => {
    const ruleArn = elb.createRule(ruleInput(5, 'acme')).Rules?.[0]?.RuleArn ?? '';

    const tags = elb.describeTags({ ResourceArns: [ruleArn] }).TagDescriptions;

    expect(tags).toEqual([
      {
        ResourceArn: ruleArn,
        Tags: [
          { Key: 'tenantId', Value: 'acme' },
          { Key: 'managed-by', Value: 'tenant-orchestrator' },
        ],
      },
    ]);
  });
});

describe('LoadBalancingSimulator state and faults', () => {
  it('round-trips its state through plain JSON', () => {
    const ruleArn = elb.createRule(ruleInput(5, 'acme')).Rules?.[0]?.RuleArn ?? '';
    const restored = new LoadBalancingSimulator({
      listeners: [{ listenerArn, quota: 3 }, { listenerArn: secondListenerArn }],
    });

    restored.fromJSON(JSON.parse(JSON.stringify(elb.toJSON())));

    expect(restored.listRules().filter((rule) => !rule.IsDefault)).toEqual([
      expect.objectContaining({
        RuleArn: ruleArn,
        ListenerArn: listenerArn,
        Priority: '5',
        Tags: { tenantId: 'acme', 'managed-by': 'tenant-orchestrator' },
      }),
    ]);
    expect(thrown(() => restored.createRule(ruleInput(5)))).toBeInstanceOf(PriorityInUseException);
  });

  it('throws an injected error on the next call of that operation only', () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    elb.injectError('CreateRule', throttled);

    expect(thrown(() => elb.createRule(ruleInput(5)))).toBe(throttled);
    expect(elb.createRule(ruleInput(5)).Rules).toHaveLength(1);
  });

  it("gives a stack's rule CreateRule's checks but not the injected faults of the API", () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    elb.injectError('CreateRule', throttled);
    const stackRule = (priority: number, ruleId: string) => ({
      ruleArn: `${listenerArn.replace(':listener/', ':listener-rule/')}/${ruleId}`,
      listenerArn,
      priority,
      conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['acme.tenants.example.com'] } }],
      actions: [
        {
          Type: 'forward' as const,
          TargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/t/0',
        },
      ],
      tags: [{ Key: 'tenantId', Value: 'acme' }],
    });

    elb.createStackRule(stackRule(5, 'aaaa'));
    const clash = thrown(() => elb.createStackRule(stackRule(5, 'bbbb')));
    elb.removeStackRule(stackRule(5, 'aaaa').ruleArn);
    elb.removeStackRule(stackRule(5, 'aaaa').ruleArn);

    expect(clash).toBeInstanceOf(PriorityInUseException);
    expect(elb.listRules().filter((rule) => !rule.IsDefault)).toEqual([]);
    expect(thrown(() => elb.createRule(ruleInput(5)))).toBe(throttled);
  });
});

describe('LoadBalancingSimulator behind the real route adapter', () => {
  const client = mockClient(ElasticLoadBalancingV2Client);

  beforeEach(() => {
    client.reset();
    client.on(DescribeRulesCommand).callsFake((input) => elb.describeRules(input));
    client.on(DescribeTagsCommand).callsFake((input) => elb.describeTags(input));
  });

  it('lists non-default rules and finds a rule with its tags', async () => {
    elb.createRule(ruleInput(9, 'acme'));

    const rules = await listListenerRules(listenerArn);
    const found = await findRuleAtPriority(listenerArn, 9);

    expect(rules.map((rule) => rule.priority)).toEqual([9]);
    expect(found?.tags).toEqual({ tenantId: 'acme', 'managed-by': 'tenant-orchestrator' });
  });
});

const suspended = {
  Type: 'fixed-response',
  FixedResponseConfig: {
    StatusCode: '503',
    ContentType: 'application/json',
    MessageBody: '{"message":"This tenant is suspended."}',
  },
} as const;

describe('LoadBalancingSimulator fixed-response actions', () => {
  it('accepts a fixed response and describes it with its order, as DescribeRules does', () => {
    const created = elb.createRule({ ...ruleInput(5), Actions: [suspended] }).Rules?.[0];

    const described = elb.describeRules({ RuleArns: [created?.RuleArn ?? ''] }).Rules?.[0];

    expect(described?.Actions).toEqual([{ ...suspended, Order: 1 }]);
  });

  it.each([
    ['a status code outside 2XX/4XX/5XX', { StatusCode: '302' }, /statusCode.*\^\(2\|4\|5\)/],
    ['a status code that is not three digits', { StatusCode: '5000' }, /statusCode/],
    ['a content type outside the five allowed', { StatusCode: '503', ContentType: 'application/xml' }, /contentType/],
    ['a body over 1,024 characters', { StatusCode: '503', MessageBody: 'x'.repeat(1025) }, /messageBody.*1024/],
  ])('refuses %s with a ValidationError, in CreateRule and ModifyRule alike', (_case, config, message) => {
    const rule = elb.createRule(ruleInput(5)).Rules?.[0];
    const actions = [{ Type: 'fixed-response' as const, FixedResponseConfig: config }];

    const onCreate = thrown(() => elb.createRule({ ...ruleInput(6), Actions: actions }));
    const onModify = thrown(() => elb.modifyRule({ RuleArn: rule?.RuleArn ?? '', Actions: actions }));

    for (const error of [onCreate, onModify]) {
      expect(error).toMatchObject({ name: 'ValidationError', message: expect.stringMatching(message) });
    }
    expect(elb.describeRules({ ListenerArn: listenerArn }).Rules?.map((listed) => listed.Priority)).toEqual([
      '5',
      'default',
    ]);
    expect(elb.describeRules({ RuleArns: [rule?.RuleArn ?? ''] }).Rules?.[0]?.Actions?.[0]?.Type).toBe('forward');
  });

  it('accepts a body of exactly 1,024 characters and a fixed response without content type or body', () => {
    const full = { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'x'.repeat(1024) };

    elb.createRule({ ...ruleInput(5), Actions: [{ Type: 'fixed-response', FixedResponseConfig: full }] });
    elb.createRule({
      ...ruleInput(6),
      Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
    });

    expect(
      elb.describeRules({ ListenerArn: listenerArn }).Rules?.map((rule) => rule.Actions?.[0]?.FixedResponseConfig),
    ).toEqual([
      full,
      { StatusCode: '404' },
      { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' },
    ]);
  });
});

describe('LoadBalancingSimulator modifyRule', () => {
  it('replaces the actions only, keeping conditions, priority, ARN and tags', () => {
    const rule = elb.createRule(ruleInput(5, 'acme')).Rules?.[0];

    const modified = elb.modifyRule({ RuleArn: rule?.RuleArn ?? '', Actions: [suspended] }).Rules?.[0];

    expect(modified).toEqual({
      RuleArn: rule?.RuleArn,
      Priority: '5',
      IsDefault: false,
      Conditions: ruleInput(5, 'acme').Conditions,
      Actions: [{ ...suspended, Order: 1 }],
    });
    expect(elb.describeRules({ RuleArns: [rule?.RuleArn ?? ''] }).Rules).toEqual([modified]);
    expect(elb.describeTags({ ResourceArns: [rule?.RuleArn ?? ''] }).TagDescriptions?.[0]?.Tags).toEqual(
      ruleInput(5, 'acme').Tags,
    );
  });

  it('replaces the conditions as a whole list, keeping the actions', () => {
    const rule = elb.createRule(ruleInput(5, 'acme')).Rules?.[0];
    const conditions = [
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-tenant-id', Values: ['acme'] } },
    ];

    elb.modifyRule({ RuleArn: rule?.RuleArn ?? '', Conditions: conditions });

    const [described] = elb.describeRules({ RuleArns: [rule?.RuleArn ?? ''] }).Rules ?? [];
    expect(described?.Conditions).toEqual(conditions);
    expect(described?.Actions?.[0]).toMatchObject({ Type: 'forward', TargetGroupArn: pooledTargetGroupArn });
  });

  it('refuses an unknown rule (RuleNotFound), the default rule, empty lists and unknown target groups', () => {
    elb = new LoadBalancingSimulator({ listeners: [{ listenerArn }], targetGroups: [pooledTargetGroupArn] });
    const rule = elb.createRule(ruleInput(5)).Rules?.[0];
    const [defaultRule] = elb.describeRules({ ListenerArn: listenerArn }).Rules?.slice(-1) ?? [];
    const unknownGroup = pooledTargetGroupArn.replace('73e2d6bc24d8a067', '0000000000000000');

    expect(thrown(() => elb.modifyRule({ RuleArn: `${rule?.RuleArn}0`, Actions: [suspended] }))).toBeInstanceOf(
      RuleNotFoundException,
    );
    expect(thrown(() => elb.modifyRule({ RuleArn: defaultRule?.RuleArn ?? '', Actions: [suspended] }))).toBeInstanceOf(
      OperationNotPermittedException,
    );
    expect(thrown(() => elb.modifyRule({ RuleArn: rule?.RuleArn ?? '', Actions: [] }))).toMatchObject({
      name: 'ValidationError',
    });
    expect(thrown(() => elb.modifyRule({ RuleArn: rule?.RuleArn ?? '', Conditions: [] }))).toMatchObject({
      name: 'ValidationError',
    });
    expect(
      thrown(() =>
        elb.modifyRule({ RuleArn: rule?.RuleArn ?? '', Actions: [{ Type: 'forward', TargetGroupArn: unknownGroup }] }),
      ),
    ).toBeInstanceOf(TargetGroupNotFoundException);
    expect(elb.describeRules({ RuleArns: [rule?.RuleArn ?? ''] }).Rules?.[0]?.Actions?.[0]?.Type).toBe('forward');
  });

  it('throws an injected fault on ModifyRule before changing anything', () => {
    const rule = elb.createRule(ruleInput(5)).Rules?.[0];
    const throttled = new Error('Rate exceeded');
    elb.injectError('ModifyRule', throttled);

    const first = thrown(() => elb.modifyRule({ RuleArn: rule?.RuleArn ?? '', Actions: [suspended] }));
    const unchanged = elb.describeRules({ RuleArns: [rule?.RuleArn ?? ''] }).Rules?.[0]?.Actions?.[0]?.Type;
    elb.modifyRule({ RuleArn: rule?.RuleArn ?? '', Actions: [suspended] });

    expect(first).toBe(throttled);
    expect(unchanged).toBe('forward');
    expect(elb.describeRules({ RuleArns: [rule?.RuleArn ?? ''] }).Rules?.[0]?.Actions?.[0]?.Type).toBe(
      'fixed-response',
    );
  });

  it('is what the SDK client gets for ModifyRuleCommand through a mock', async () => {
    const rule = elb.createRule(ruleInput(5)).Rules?.[0];
    const client = new ElasticLoadBalancingV2Client({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(ModifyRuleCommand).callsFake((input) => elb.modifyRule(input));

    const output = await client.send(new ModifyRuleCommand({ RuleArn: rule?.RuleArn ?? '', Actions: [suspended] }));

    expect(output.Rules?.[0]?.Actions?.[0]).toMatchObject({ Type: 'fixed-response', Order: 1 });
    mock.restore();
  });
});
