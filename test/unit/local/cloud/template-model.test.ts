/**
 * The model derived from the real tenant templates (synthesized from infra/tenant-templates),
 * fed the parameters the plan step and register-route produce.
 */
import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { readStackConfig } from '../../../../functions/shared/config/environment.ts';
import { TemplateEvaluationError } from '../../../../local/cloud/template-evaluator.ts';
import { modelStackFromTemplate, tenantTemplateModel } from '../../../../local/cloud/template-model.ts';
import type { TemplateDocument } from '../../../../local/cloud/template-source.ts';
import { listenerArn } from './cloud.fixture.ts';
import { plannedStack, realTemplates, slotResourceId, type PlannedStack } from './real-templates.fixture.ts';

const model = tenantTemplateModel(realTemplates);

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function isolationModelOf(planned: PlannedStack): 'silo-cluster' | 'silo-services' {
  return planned.tier.isolationModel as 'silo-cluster' | 'silo-services';
}

function templateOf(planned: PlannedStack): TemplateDocument {
  return realTemplates(isolationModelOf(planned), planned.stack.templateVersion ?? '');
}

/** The logical ids the template declares whose Condition is absent or one of `holding`. */
function declaredResources(template: TemplateDocument, holding: readonly string[]): string[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Condition === undefined || holding.includes(resource.Condition))
    .map(([id]) => id)
    .sort();
}

describe('tenantTemplateModel on the real silo-cluster template (premium)', () => {
  const planned = plannedStack('acme', 'premium', { priority: 7 });
  const template = templateOf(planned);
  const stack = model(planned.stackName, planned.templateUrl, planned.parameters);

  it('creates the cluster the template declares, named by its ClusterName (tenant-<TenantId>)', () => {
    expect(stack.ownCluster).toBe(true);
    expect(stack.clusterName).toBe('tenant-acme');
    expect(stack.resources).toContainEqual({
      propertiesDigest: expect.any(String),
      logicalResourceId: 'Cluster',
      resourceType: 'AWS::ECS::Cluster',
      physicalResourceId: 'tenant-acme',
    });
  });

  it("runs the tier's two services in slots 0 and 1, with the plan's names and desired counts", () => {
    expect(planned.tier.services).toHaveLength(2);
    expect(stack.services).toEqual(
      planned.tier.services.map((service, slot) => ({
        logicalResourceId: slotResourceId('AWS::ECS::Service', slot, isolationModelOf(planned)),
        name: `${planned.stackName}-${service.name}`,
        desiredCount: service.desiredCount,
      })),
    );
  });

  it('creates exactly the resources whose conditions hold: slots 2 and 3 are absent', () => {
    expect(stack.resources?.map((resource) => resource.logicalResourceId).sort()).toEqual(
      declaredResources(template, ['HasService1', 'IsHostRoute']),
    );
    expect(stack.resources?.some((resource) => /^Slot[23]/.test(resource.logicalResourceId))).toBe(false);
  });

  it('creates each resource after what it depends on (the routed service after the listener rule)', () => {
    const order = stack.resources?.map((resource) => resource.logicalResourceId) ?? [];
    const position = (id: string) => order.indexOf(id);
    const targetGroup = slotResourceId('AWS::ElasticLoadBalancingV2::TargetGroup', 0, isolationModelOf(planned));
    const routedService = slotResourceId('AWS::ECS::Service', 0, isolationModelOf(planned));
    expect(position('Cluster')).toBeLessThan(position(routedService));
    expect(position(targetGroup)).toBeLessThan(position('ListenerRule'));
    expect(position('ListenerRule')).toBeLessThan(position(routedService));
    expect(position(slotResourceId('AWS::ECS::TaskDefinition', 1, isolationModelOf(planned)))).toBeLessThan(
      position(slotResourceId('AWS::ECS::Service', 1, isolationModelOf(planned))),
    );
  });

  it("models the template's listener rule: the claimed listener and priority, a host condition, forward to the target group", () => {
    expect(stack.listenerRule).toEqual({
      ruleArn: expect.stringMatching(
        /^arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule\/app\/tenants\/50dc6c495c0c9188\/f2f7dc8efc522ab2\/[0-9a-f]{16}$/,
      ),
      listenerArn,
      priority: 7,
      conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [planned.route.value] } }],
      actions: [{ Type: 'forward', TargetGroupArn: stack.targetGroupArn }],
      tags: [
        { Key: 'managed-by', Value: 'tenant-orchestrator' },
        { Key: 'templateVersion', Value: planned.stack.templateVersion },
        { Key: 'tenantId', Value: 'acme' },
        { Key: 'tier', Value: 'premium' },
      ],
    });
  });

  it("returns the template's outputs, evaluated", () => {
    expect(stack.targetGroupArn).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup\/[a-zA-Z0-9-]{1,32}\/[0-9a-f]{16}$/,
    );
    expect(Object.keys(stack.outputs).sort()).toEqual(Object.keys(template.Outputs ?? {}).sort());
    expect(stack.outputs).toEqual({
      TargetGroupArn: stack.targetGroupArn,
      ClusterName: 'tenant-acme',
      ServiceNames: 'tenant-acme-web,tenant-acme-api',
      ListenerRuleArn: stack.listenerRule?.ruleArn,
    });
  });

  it('keeps the generated target group name within 32 characters for the longest tenant id', () => {
    const longest = plannedStack('a'.repeat(63), 'premium');

    const longStack = model(longest.stackName, longest.templateUrl, longest.parameters);

    const targetGroupName = longStack.targetGroupArn.split('/')[1] ?? '';
    expect(longest.stackName.length).toBeGreaterThan(32);
    expect(targetGroupName.length).toBeGreaterThan(0);
    expect(targetGroupName.length).toBeLessThanOrEqual(32);
  });

  it('requires CAPABILITY_IAM for the roles the template declares', () => {
    expect(stack.requiredCapabilities).toEqual(['CAPABILITY_IAM']);
  });

  it('matches a header route on RouteHeaderName = RouteValue (the IsHostRoute condition false)', () => {
    const header = plannedStack('acme', 'premium', {
      route: { style: 'header', headerName: 'x-tenant-id', value: 'acme' },
    });

    const headerStack = model(header.stackName, header.templateUrl, header.parameters);

    expect(headerStack.listenerRule?.conditions).toEqual([
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-tenant-id', Values: ['acme'] } },
    ]);
  });
});

describe('tenantTemplateModel on the real silo-services template (advanced)', () => {
  const planned = plannedStack('initech', 'advanced');
  const template = templateOf(planned);
  const stack = model(planned.stackName, planned.templateUrl, planned.parameters);

  it('runs the one service in the shared cluster and creates no cluster', () => {
    const sharedCluster = readStackConfig().sharedParameters.SharedClusterName;
    expect(stack.ownCluster).toBe(false);
    expect(stack.clusterName).toBe(sharedCluster);
    expect(stack.services).toEqual([
      {
        logicalResourceId: slotResourceId('AWS::ECS::Service', 0, isolationModelOf(planned)),
        name: 'tenant-initech-web',
        desiredCount: planned.tier.services[0]?.desiredCount,
      },
    ]);
    expect(stack.resources?.some((resource) => resource.resourceType === 'AWS::ECS::Cluster')).toBe(false);
  });

  it('creates exactly the unconditional resources, and outputs the shared cluster', () => {
    expect(stack.resources?.map((resource) => resource.logicalResourceId).sort()).toEqual(
      declaredResources(template, ['IsHostRoute']),
    );
    expect(stack.outputs).toEqual({
      TargetGroupArn: stack.targetGroupArn,
      ClusterName: readStackConfig().sharedParameters.SharedClusterName,
      ServiceNames: 'tenant-initech-web',
      ListenerRuleArn: stack.listenerRule?.ruleArn,
    });
  });
});

describe('tenantTemplateModel parameter checks against the declared Parameters', () => {
  const planned = plannedStack('acme', 'premium');

  function rejection(parameters: Record<string, string>): unknown {
    return thrown(() => model(planned.stackName, planned.templateUrl, parameters));
  }

  it('rejects a parameter the template does not declare, with AWS wording', () => {
    const error = rejection({ ...planned.parameters, SharedClusterName: 'shared-tenants' });

    expect(error).toBeInstanceOf(CloudFormationServiceException);
    expect(error).toMatchObject({
      name: 'ValidationError',
      $fault: 'client',
      message: 'Parameters: [SharedClusterName] do not exist in the template',
    });
  });

  it('rejects missing parameters without a Default, in declaration order', () => {
    const { RulePriority: _priority, ListenerArn: _listener, TenantId: _tenant, ...parameters } = planned.parameters;

    expect(rejection(parameters)).toMatchObject({
      name: 'ValidationError',
      message: 'Parameters: [TenantId, ListenerArn, RulePriority] must have values',
    });
  });

  it('rejects every missing route parameter and slot 0 field (no Default), in declaration order', () => {
    const parameters = { ...planned.parameters };
    for (const name of ['ListenerArn', 'RouteStyle', 'RouteValue', 'RouteHeaderName', 'Service0Image', 'Service0Port'])
      delete parameters[name];

    expect(rejection(parameters)).toMatchObject({
      name: 'ValidationError',
      message:
        'Parameters: [Service0Image, Service0Port, RouteStyle, ListenerArn, RouteValue, RouteHeaderName] must have values',
    });
  });

  it('requires ServiceCount, and SharedClusterName of a silo-services stack', () => {
    const advanced = plannedStack('initech', 'advanced');
    const { ServiceCount: _count, SharedClusterName: _cluster, ...parameters } = advanced.parameters;

    const error = thrown(() => model(advanced.stackName, advanced.templateUrl, parameters));

    expect(error).toMatchObject({
      name: 'ValidationError',
      message: 'Parameters: [ServiceCount, SharedClusterName] must have values',
    });
  });

  it('takes the Default of unused slot parameters', () => {
    expect(Object.keys(planned.parameters).some((name) => name.startsWith('Service2'))).toBe(false);

    expect(() => model(planned.stackName, planned.templateUrl, planned.parameters)).not.toThrow();
  });

  it.each([
    ['RulePriority', '50001', "Parameter 'RulePriority' must be a number not greater than 50000"],
    ['RulePriority', '0', "Parameter 'RulePriority' must be a number not less than 1"],
    ['RulePriority', 'first', "Parameter 'RulePriority' must be a number."],
    ['Service0DesiredCount', 'two', "Parameter 'Service0DesiredCount' must be a number."],
    ['ServiceCount', '5', "Parameter 'ServiceCount' must be one of AllowedValues"],
    ['RouteStyle', 'path', "Parameter 'RouteStyle' must be one of AllowedValues"],
    ['TemplateVersion', '9.9.9', "Parameter 'TemplateVersion' must be one of AllowedValues"],
    ['RouteValue', '', "Parameter 'RouteValue' must contain at least 1 characters"],
    ['TenantId', '-acme', "Parameter 'TenantId' must match pattern ^[A-Za-z0-9][A-Za-z0-9-]{0,62}$"],
  ])('rejects %s=%j with a ValidationError naming it', (name, value, message) => {
    expect(rejection({ ...planned.parameters, [name]: value })).toMatchObject({ name: 'ValidationError', message });
  });

  it('rejects a template URL that names no tenant template', () => {
    const error = thrown(() =>
      model(planned.stackName, 'https://templates.s3.amazonaws.com/pool/1.0.0/template.json', planned.parameters),
    );

    expect(error).toMatchObject({
      name: 'ValidationError',
      message: 'TemplateURL must reference a valid S3 object to which you have access.',
    });
  });
});

describe('modelStackFromTemplate on a template the local cloud cannot follow', () => {
  const planned = plannedStack('acme', 'premium');
  const template = templateOf(planned);

  function changed(
    change: (copy: {
      Resources: Record<string, { Properties?: Record<string, unknown> }>;
      Outputs?: Record<string, unknown>;
    }) => void,
  ): TemplateDocument {
    const copy = structuredClone(template) as unknown as Parameters<typeof change>[0];
    change(copy);
    return copy as unknown as TemplateDocument;
  }

  it('throws naming an intrinsic function the evaluator does not support', () => {
    const unsupported = changed((copy) => {
      const cluster = copy.Resources.Cluster;
      if (cluster?.Properties) cluster.Properties.ClusterName = { 'Fn::Base64': 'tenant' };
    });

    const error = thrown(() => modelStackFromTemplate(planned.stackName, unsupported, planned.parameters));

    expect(error).toBeInstanceOf(TemplateEvaluationError);
    expect((error as Error).message).toContain('Fn::Base64');
    expect((error as Error).message).toContain('Resources.Cluster.Properties.ClusterName');
  });

  it('throws naming an unsupported function even where the model reads nothing (a task definition)', () => {
    const taskDefinition = slotResourceId('AWS::ECS::TaskDefinition', 0, isolationModelOf(planned));
    const unsupported = changed((copy) => {
      const properties = copy.Resources[taskDefinition]?.Properties;
      if (properties) properties.Family = { 'Fn::ImportValue': 'family' };
    });

    const error = thrown(() => modelStackFromTemplate(planned.stackName, unsupported, planned.parameters));

    expect(error).toMatchObject({
      name: 'TemplateEvaluationError',
      message: `Template.Resources.${taskDefinition}.Properties.Family.Fn::ImportValue: the intrinsic function Fn::ImportValue is not supported by the local cloud's template evaluator`,
    });
  });

  it('throws naming an attribute it does not model', () => {
    const unmodelled = changed((copy) => {
      copy.Outputs = { ...copy.Outputs, RoleId: { Value: { 'Fn::GetAtt': ['ExecutionRole', 'RoleId'] } } };
    });

    const error = thrown(() => modelStackFromTemplate(planned.stackName, unmodelled, planned.parameters));

    expect(error).toMatchObject({
      name: 'TemplateEvaluationError',
      message: expect.stringContaining('Fn::GetAtt ExecutionRole.RoleId'),
    });
  });

  it('throws on a second target group rather than modelling one of them', () => {
    const targetGroup = slotResourceId('AWS::ElasticLoadBalancingV2::TargetGroup', 0, isolationModelOf(planned));
    const twoTargetGroups = changed((copy) => {
      copy.Resources.ExtraTargetGroup = structuredClone(copy.Resources[targetGroup]) as {
        Properties?: Record<string, unknown>;
      };
    });

    expect(() => modelStackFromTemplate(planned.stackName, twoTargetGroups, planned.parameters)).toThrow(
      /more than one AWS::ElasticLoadBalancingV2::TargetGroup/,
    );
  });
});
