import { describe, expect, it } from 'vitest';
import { buildTenantConfig } from '../../../../functions/complete-operation/tenant-config.ts';
import { InvalidStepInputError } from '../../../../functions/shared/step/errors.ts';
import type { Plan, RouteRegistration } from '../../../../functions/shared/step/schemas.ts';

const tenantId = '2f1c9d3e-6a44-4b7a-9a51-0c7d1e2f3a4b';
const listenerArn =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants/50dc6c495c0c9188/f2f7dc8efc522ab2';
const ruleArn =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/tenants/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const targetGroupArn = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/t/73e2d6bc24d8a067';

const siloPlan: Plan = {
  tier: 'premium',
  isolationModel: 'silo-cluster',
  templateVersion: '1.0.0',
  stacks: [
    {
      stackName: `tenant-${tenantId}`,
      templateUrl: 'https://templates.example.com/x.json',
      parameters: { TenantId: tenantId },
    },
  ],
  route: { style: 'host', value: `${tenantId}.tenants.example.com` },
  services: ['web', 'worker'],
};

const poolPlan: Plan = {
  tier: 'basic',
  isolationModel: 'pool',
  stacks: [],
  route: { style: 'header', headerName: 'x-tenant-id', value: tenantId },
  services: ['web'],
};

/** A silo tenant's registration: its stack owns the rule, so there is no rule or target group, only the stack parameters. */
const siloRoute: RouteRegistration = {
  listenerArn,
  priority: 12,
  style: 'host',
  value: `${tenantId}.tenants.example.com`,
  stackParameters: {
    ListenerArn: listenerArn,
    RulePriority: '12',
    RouteStyle: 'host',
    RouteValue: `${tenantId}.tenants.example.com`,
    RouteHeaderName: 'x-tenant-id',
  },
};

describe('buildTenantConfig', () => {
  it('describes a host-routed silo tenant (no rule recorded): stacks by name, services, host and rule placement', () => {
    const route = siloRoute;

    const config = buildTenantConfig({ tenantId }, siloPlan, route);

    expect(JSON.parse(config)).toEqual({
      tenantId,
      tier: 'premium',
      isolationModel: 'silo-cluster',
      templateVersion: '1.0.0',
      stacks: [`tenant-${tenantId}`],
      services: ['web', 'worker'],
      route: { style: 'host', host: `${tenantId}.tenants.example.com`, listenerArn, priority: 12 },
    });
  });

  it('describes a header-routed pool tenant without a template version', () => {
    const route: RouteRegistration = {
      listenerArn,
      priority: 3,
      ruleArn,
      targetGroupArn,
      stackParameters: {},
      style: 'header',
      headerName: 'x-tenant-id',
      value: tenantId,
    };

    const config = buildTenantConfig({ tenantId }, poolPlan, route);

    expect(JSON.parse(config)).toEqual({
      tenantId,
      tier: 'basic',
      isolationModel: 'pool',
      stacks: [],
      services: ['web'],
      route: { style: 'header', headerName: 'x-tenant-id', value: tenantId, listenerArn, priority: 3 },
    });
  });

  it('takes the header name from the plan when the registration omits it', () => {
    const route: RouteRegistration = {
      listenerArn,
      priority: 3,
      ruleArn,
      targetGroupArn,
      stackParameters: {},
      style: 'header',
      value: tenantId,
    };

    expect(JSON.parse(buildTenantConfig({ tenantId }, poolPlan, route)).route.headerName).toBe('x-tenant-id');
  });

  it('rejects a header route that names no header anywhere', () => {
    const route: RouteRegistration = {
      listenerArn,
      priority: 3,
      ruleArn,
      targetGroupArn,
      stackParameters: {},
      style: 'header',
      value: tenantId,
    };
    const plan: Plan = { ...poolPlan, route: { style: 'header', value: tenantId } };

    expect(() => buildTenantConfig({ tenantId }, plan, route)).toThrow(InvalidStepInputError);
  });

  it.each([
    [
      'a pool registration',
      { listenerArn, priority: 12, ruleArn, targetGroupArn, stackParameters: {}, style: 'host', value: 'h' },
    ],
    ['a silo registration', siloRoute],
  ] satisfies [string, RouteRegistration][])(
    'is the same string every time for %s (a re-run returns the same output)',
    (_, route) => {
      const reordered = Object.fromEntries(Object.entries(route).reverse()) as RouteRegistration;

      expect(buildTenantConfig({ tenantId }, siloPlan, route)).toBe(
        buildTenantConfig({ tenantId }, structuredClone(siloPlan), reordered),
      );
    },
  );

  it('gives a pool and a silo registration of the same route the same route config', () => {
    const poolRoute: RouteRegistration = { ...siloRoute, ruleArn, targetGroupArn, stackParameters: {} };

    expect(buildTenantConfig({ tenantId }, siloPlan, poolRoute)).toBe(
      buildTenantConfig({ tenantId }, siloPlan, siloRoute),
    );
  });

  it('leaks no rule or target group internals the application does not need', () => {
    const route: RouteRegistration = {
      listenerArn,
      priority: 12,
      ruleArn,
      targetGroupArn,
      stackParameters: {},
      style: 'host',
      value: 'h',
    };

    const config = buildTenantConfig({ tenantId }, siloPlan, route);

    expect(config).not.toContain(ruleArn);
    expect(config).not.toContain(targetGroupArn);
    expect(config).not.toContain('templateUrl');
    expect(buildTenantConfig({ tenantId }, siloPlan, siloRoute)).not.toContain('RulePriority');
  });
});
