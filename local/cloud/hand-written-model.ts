/**
 * The hand-written model of the tenant templates: what a tenant stack creates, worked out from
 * its template URL and parameters the way the templates would, without reading them. Lighter
 * than `tenantTemplateModel` (template-model.ts): no aws-cdk-lib, any number of service slots,
 * fixed logical ids. The default of `createLocalCloud` and of the CloudFormation simulator on
 * its own, for tests that need neither the real templates nor their cost.
 */
import { createHash } from 'node:crypto';
import type { RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import { managedByTag } from '../../functions/plan-tenant/plan.ts';
import {
  RouteParameter,
  sharedParametersByModel,
  ServiceSlotParameter,
  serviceSlotParameter,
  TemplateOutput,
  TemplateParameter,
} from '../../functions/shared/config/template-parameters.ts';
import { cloudFormationValidationError, simulatedAccount, simulatedRegion } from './aws-shapes.ts';
import { ruleArnFor, type RuleRecord } from './elb-rules.ts';
import type { ModelledService, TemplateModel } from './template-model.ts';

type SiloModel = keyof typeof sharedParametersByModel;

const templatePath = /\/(silo-services|silo-cluster)\/[^/?#]+\/template\.json(?:[?#].*)?$/;

/** Slot parameters, any index: the templates' slot count is not known here (see index.ts). */
const slotParameter = new RegExp(`^Service\\d+(?:${Object.values(ServiceSlotParameter).join('|')})$`);

const highestRulePriority = 50_000;
const routeStyles: readonly string[] = ['host', 'header'];

const slotFields = Object.keys(ServiceSlotParameter) as (keyof typeof ServiceSlotParameter)[];
const numericSlotFields = new Set<keyof typeof ServiceSlotParameter>(['cpu', 'memory', 'port', 'desiredCount']);

function isolationModelOf(templateUrl: string): SiloModel {
  const match = templatePath.exec(templateUrl);
  if (match?.[1] === undefined) {
    throw cloudFormationValidationError('TemplateURL must reference a valid S3 object to which you have access.');
  }
  return match[1] as SiloModel;
}

function declaredParameter(model: SiloModel, name: string): boolean {
  const fixed: readonly string[] = [
    ...Object.values(TemplateParameter),
    ...Object.values(RouteParameter),
    ...sharedParametersByModel[model],
  ];
  return fixed.includes(name) || slotParameter.test(name);
}

function numberParameter(parameters: Readonly<Record<string, string>>, name: string, minimum: number): number {
  const raw = parameters[name] ?? '';
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value))
    throw cloudFormationValidationError(`Parameter '${name}' must be a number.`);
  if (value < minimum)
    throw cloudFormationValidationError(`Parameter '${name}' must be a number not less than ${minimum}`);
  return value;
}

function checkParameters(model: SiloModel, parameters: Readonly<Record<string, string>>): number {
  const undeclared = Object.keys(parameters).filter((name) => !declaredParameter(model, name));
  if (undeclared.length > 0) {
    throw cloudFormationValidationError(`Parameters: [${undeclared.join(', ')}] do not exist in the template`);
  }
  // The route parameters have no defaults in the templates (tenant-parameters.ts).
  const required: string[] = [
    TemplateParameter.tenantId,
    TemplateParameter.serviceCount,
    ...Object.values(RouteParameter),
    ...sharedParametersByModel[model],
  ];
  const missing = required.filter((name) => parameters[name] === undefined);
  // Slot parameters only become required once ServiceCount says how many slots are used.
  const count = parameters[TemplateParameter.serviceCount];
  const serviceCount = count === undefined ? 0 : numberParameter(parameters, TemplateParameter.serviceCount, 1);
  for (let index = 0; index < serviceCount; index += 1) {
    for (const field of slotFields) {
      const name = serviceSlotParameter(index, field);
      if (parameters[name] === undefined) missing.push(name);
    }
  }
  if (missing.length > 0) throw cloudFormationValidationError(`Parameters: [${missing.join(', ')}] must have values`);
  for (let index = 0; index < serviceCount; index += 1) {
    for (const field of numericSlotFields) numberParameter(parameters, serviceSlotParameter(index, field), 0);
  }
  checkRouteParameters(parameters);
  return serviceCount;
}

/** The constraints the templates declare on the route parameters, with CloudFormation's messages. */
function checkRouteParameters(parameters: Readonly<Record<string, string>>): void {
  const priority = numberParameter(parameters, RouteParameter.rulePriority, 1);
  if (priority > highestRulePriority) {
    throw cloudFormationValidationError(
      `Parameter '${RouteParameter.rulePriority}' must be a number not greater than ${highestRulePriority}`,
    );
  }
  if (!routeStyles.includes(parameters[RouteParameter.routeStyle] ?? '')) {
    throw cloudFormationValidationError(`Parameter '${RouteParameter.routeStyle}' must be one of AllowedValues`);
  }
  if ((parameters[RouteParameter.routeValue] ?? '') === '') {
    throw cloudFormationValidationError(`Parameter '${RouteParameter.routeValue}' must contain at least 1 characters`);
  }
}

/**
 * The rule the template's ListenerRule creates: host-header or http-header on RouteValue per
 * RouteStyle, forwarding to the stack's target group, tagged like every template resource.
 * Its ARN is stable for a stack name, listener and priority, like the target group's.
 */
function listenerRuleFor(
  stackName: string,
  parameters: Readonly<Record<string, string>>,
  targetGroupArn: string,
): RuleRecord {
  const listenerArn = parameters[RouteParameter.listenerArn] ?? '';
  const priority = Number(parameters[RouteParameter.rulePriority]);
  const value = parameters[RouteParameter.routeValue] ?? '';
  const conditions: RuleCondition[] =
    parameters[RouteParameter.routeStyle] === 'host'
      ? [{ Field: 'host-header', HostHeaderConfig: { Values: [value] } }]
      : [
          {
            Field: 'http-header',
            HttpHeaderConfig: { HttpHeaderName: parameters[RouteParameter.routeHeaderName] ?? '', Values: [value] },
          },
        ];
  const digest = createHash('sha256').update(`${stackName}|${listenerArn}|${priority}`).digest('hex');
  return {
    ruleArn: ruleArnFor(listenerArn, digest.slice(0, 16)),
    listenerArn,
    priority,
    conditions,
    actions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
    tags: [
      { Key: managedByTag.key, Value: managedByTag.value },
      { Key: 'templateVersion', Value: parameters[TemplateParameter.templateVersion] ?? '' },
      { Key: 'tenantId', Value: parameters[TemplateParameter.tenantId] ?? '' },
      { Key: 'tier', Value: parameters[TemplateParameter.tier] ?? '' },
    ],
  };
}

/** A well-formed target group ARN, stable for a stack name (target group names are at most 32 characters). */
function targetGroupArnFor(stackName: string): string {
  const digest = createHash('sha256').update(stackName).digest('hex');
  const shortName = `${stackName.slice(0, 19).replace(/-+$/, '')}-tg-${digest.slice(16, 24)}`;
  return `arn:aws:elasticloadbalancing:${simulatedRegion}:${simulatedAccount}:targetgroup/${shortName}/${digest.slice(0, 16)}`;
}

/**
 * The hand-written model of the tenant templates. The isolation model is the template URL's path
 * segment (`<base>/<isolation-model>/<version>/template.json`): silo-cluster stacks create a
 * cluster named after the stack, silo-services stacks run in `SharedClusterName`. Service `i`
 * is named `<stackName>-<Service{i}Name>`. Every stack creates the tenant's listener rule from
 * the route parameters.
 */
export const modelTenantStack: TemplateModel = (stackName, templateUrl, parameters) => {
  const model = isolationModelOf(templateUrl);
  const serviceCount = checkParameters(model, parameters);
  const ownCluster = model === 'silo-cluster';
  // checkParameters made SharedClusterName required for silo-services.
  const clusterName = ownCluster ? stackName : (parameters.SharedClusterName ?? '');
  const services: ModelledService[] = [];
  for (let index = 0; index < serviceCount; index += 1) {
    services.push({
      name: `${stackName}-${parameters[serviceSlotParameter(index, 'name')] ?? ''}`,
      desiredCount: Number(parameters[serviceSlotParameter(index, 'desiredCount')]),
    });
  }
  const targetGroupArn = targetGroupArnFor(stackName);
  const listenerRule = listenerRuleFor(stackName, parameters, targetGroupArn);
  return {
    clusterName,
    ownCluster,
    services,
    targetGroupArn,
    listenerRule,
    outputs: {
      [TemplateOutput.targetGroupArn]: targetGroupArn,
      [TemplateOutput.clusterName]: clusterName,
      [TemplateOutput.serviceNames]: services.map((service) => service.name).join(','),
      [TemplateOutput.listenerRuleArn]: listenerRule.ruleArn,
    },
    requiredCapabilities: ['CAPABILITY_IAM'],
  };
};
