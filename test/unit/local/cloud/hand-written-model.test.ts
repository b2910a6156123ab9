import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { modelTenantStack } from '../../../../local/cloud/hand-written-model.ts';
import { listenerArn, templateUrl, tenantParameters } from './cloud.fixture.ts';

const services = [
  { name: 'web', desiredCount: 2 },
  { name: 'worker', desiredCount: 1 },
];

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('modelTenantStack (the hand-written model)', () => {
  it('gives a silo-cluster stack its own cluster named after the stack', () => {
    // Act
    const model = modelTenantStack(
      'tenant-acme',
      templateUrl('silo-cluster'),
      tenantParameters('acme', 'silo-cluster', services),
    );

    // Assert
    expect(model.ownCluster).toBe(true);
    expect(model.clusterName).toBe('tenant-acme');
    expect(model.services).toEqual([
      { name: 'tenant-acme-web', desiredCount: 2 },
      { name: 'tenant-acme-worker', desiredCount: 1 },
    ]);
    expect(model.targetGroupArn).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup\/[a-zA-Z0-9-]{1,32}\/[0-9a-f]{16}$/,
    );
    expect(model.outputs).toEqual({
      TargetGroupArn: model.targetGroupArn,
      ClusterName: 'tenant-acme',
      ServiceNames: 'tenant-acme-web,tenant-acme-worker',
      ListenerRuleArn: model.listenerRule?.ruleArn,
    });
  });

  it('models the listener rule of a host route: the listener and priority passed, forwarding to the stack target group', () => {
    const parameters = tenantParameters('acme', 'silo-cluster', services, { priority: 42, style: 'host' });

    const model = modelTenantStack('tenant-acme', templateUrl('silo-cluster'), parameters);

    expect(model.listenerRule).toEqual({
      ruleArn: expect.stringMatching(
        /^arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule\/app\/tenants\/50dc6c495c0c9188\/f2f7dc8efc522ab2\/[0-9a-f]{16}$/,
      ),
      listenerArn,
      priority: 42,
      conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['acme.tenants.example.com'] } }],
      actions: [{ Type: 'forward', TargetGroupArn: model.targetGroupArn }],
      tags: expect.arrayContaining([
        { Key: 'tenantId', Value: 'acme' },
        { Key: 'tier', Value: 'premium' },
        { Key: 'managed-by', Value: 'tenant-orchestrator' },
      ]),
    });
    expect(model.outputs.ListenerRuleArn).toBe(model.listenerRule?.ruleArn);
  });

  it('matches a header route on RouteHeaderName = RouteValue', () => {
    const parameters = tenantParameters('acme', 'silo-services', services, { style: 'header' });

    const model = modelTenantStack('tenant-acme', templateUrl('silo-services'), parameters);

    expect(model.listenerRule?.conditions).toEqual([
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-tenant-id', Values: ['acme'] } },
    ]);
  });

  it('requires every route parameter, as the templates declare them without defaults', () => {
    const parameters = tenantParameters('acme', 'silo-cluster', services);
    for (const name of ['ListenerArn', 'RulePriority', 'RouteStyle', 'RouteValue', 'RouteHeaderName'])
      delete parameters[name];

    const error = thrown(() => modelTenantStack('tenant-acme', templateUrl('silo-cluster'), parameters));

    expect(error).toBeInstanceOf(CloudFormationServiceException);
    expect(error).toMatchObject({
      name: 'ValidationError',
      message: 'Parameters: [ListenerArn, RulePriority, RouteStyle, RouteValue, RouteHeaderName] must have values',
    });
  });

  it.each([
    ['RulePriority', '0', "Parameter 'RulePriority' must be a number not less than 1"],
    ['RulePriority', '50001', "Parameter 'RulePriority' must be a number not greater than 50000"],
    ['RulePriority', 'first', "Parameter 'RulePriority' must be a number."],
    ['RouteStyle', 'path', "Parameter 'RouteStyle' must be one of AllowedValues"],
    ['RouteValue', '', "Parameter 'RouteValue' must contain at least 1 characters"],
  ])('rejects %s=%j like the template constraints do', (name, value, message) => {
    const parameters = { ...tenantParameters('acme', 'silo-cluster', services), [name]: value };

    const error = thrown(() => modelTenantStack('tenant-acme', templateUrl('silo-cluster'), parameters));

    expect(error).toMatchObject({ name: 'ValidationError', message });
  });

  it('runs a silo-services stack in the shared cluster', () => {
    const model = modelTenantStack(
      'tenant-acme',
      templateUrl('silo-services'),
      tenantParameters('acme', 'silo-services', services.slice(0, 1)),
    );

    expect(model.ownCluster).toBe(false);
    expect(model.clusterName).toBe('shared-tenants');
    expect(model.outputs.ServiceNames).toBe('tenant-acme-web');
  });

  it('keeps target group names within 32 characters for long stack names', () => {
    const name = `tenant-${'a'.repeat(60)}`;
    const model = modelTenantStack(name, templateUrl('silo-cluster'), tenantParameters('a', 'silo-cluster', services));

    const shortName = model.targetGroupArn.split('/')[1] ?? '';
    expect(shortName.length).toBeLessThanOrEqual(32);
  });

  it('rejects a missing TenantId with the ValidationError CreateStack returns', () => {
    const parameters = tenantParameters('acme', 'silo-cluster', services);
    delete parameters.TenantId;

    const error = thrown(() => modelTenantStack('tenant-acme', templateUrl('silo-cluster'), parameters));

    expect(error).toBeInstanceOf(CloudFormationServiceException);
    expect(error).toMatchObject({
      name: 'ValidationError',
      $fault: 'client',
      message: 'Parameters: [TenantId] must have values',
    });
  });

  it('lists every missing slot field of the slots ServiceCount uses', () => {
    const parameters = tenantParameters('acme', 'silo-cluster', services);
    delete parameters.Service1Image;
    delete parameters.Service1Port;

    const error = thrown(() => modelTenantStack('tenant-acme', templateUrl('silo-cluster'), parameters));

    expect(error).toMatchObject({
      name: 'ValidationError',
      message: 'Parameters: [Service1Image, Service1Port] must have values',
    });
  });

  it('requires ServiceCount and the shared parameters of the model', () => {
    const parameters = tenantParameters('acme', 'silo-services', services);
    delete parameters.ServiceCount;
    delete parameters.SharedClusterName;

    const error = thrown(() => modelTenantStack('tenant-acme', templateUrl('silo-services'), parameters));

    expect(error).toMatchObject({
      name: 'ValidationError',
      message: 'Parameters: [ServiceCount, SharedClusterName] must have values',
    });
  });

  it('rejects parameters the template does not declare', () => {
    const parameters = { ...tenantParameters('acme', 'silo-cluster', services), SharedClusterName: 'shared-tenants' };

    const error = thrown(() => modelTenantStack('tenant-acme', templateUrl('silo-cluster'), parameters));

    expect(error).toMatchObject({
      name: 'ValidationError',
      message: 'Parameters: [SharedClusterName] do not exist in the template',
    });
  });

  it('rejects a Number parameter that is not a number', () => {
    const parameters = { ...tenantParameters('acme', 'silo-cluster', services), Service0DesiredCount: 'two' };

    const error = thrown(() => modelTenantStack('tenant-acme', templateUrl('silo-cluster'), parameters));

    expect(error).toMatchObject({
      name: 'ValidationError',
      message: "Parameter 'Service0DesiredCount' must be a number.",
    });
  });

  it('rejects a template URL that names no tenant template', () => {
    const error = thrown(() =>
      modelTenantStack(
        'tenant-acme',
        'https://templates.s3.amazonaws.com/pool/1.0.0/template.json',
        tenantParameters('acme', 'silo-cluster', services),
      ),
    );

    expect(error).toMatchObject({
      name: 'ValidationError',
      message: 'TemplateURL must reference a valid S3 object to which you have access.',
    });
  });
});
