/**
 * What a tenant stack creates, worked out from its template URL and parameters the way the
 * tenant templates would. A stand-in until the model is derived from the real templates: the
 * CloudFormation simulator takes it as a replaceable strategy (its `model` option).
 */
import { createHash } from 'node:crypto';
import {
  sharedParametersByModel,
  ServiceSlotParameter,
  serviceSlotParameter,
  TemplateOutput,
  TemplateParameter,
} from '../../functions/shared/template-parameters.ts';
import { cloudFormationValidationError, simulatedAccount, simulatedRegion } from './aws-shapes.ts';

/** One ECS service the stack runs. */
export interface ModelledService {
  /** The ECS service name. */
  readonly name: string;
  readonly desiredCount: number;
}

/** What one tenant stack creates. */
export interface TenantStackModel {
  /** The cluster the services run in: the stack's own, or the shared one. */
  readonly clusterName: string;
  /** True when the stack creates (and deletes) the cluster itself (silo-cluster). */
  readonly ownCluster: boolean;
  readonly services: readonly ModelledService[];
  /** The target group of the first (routed) service. */
  readonly targetGroupArn: string;
  /** The stack outputs by OutputKey. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Capabilities CreateStack must acknowledge; the default model's templates create IAM roles. */
  readonly requiredCapabilities?: readonly string[];
}

/**
 * Works out a stack from its CreateStack request. Throws the CloudFormation error CreateStack
 * would return for a request the template rejects (missing or undeclared parameters).
 */
export type TemplateModel = (
  stackName: string,
  templateUrl: string,
  parameters: Readonly<Record<string, string>>,
) => TenantStackModel;

type SiloModel = keyof typeof sharedParametersByModel;

const templatePath = /\/(silo-services|silo-cluster)\/[^/?#]+\/template\.json(?:[?#].*)?$/;

/** Slot parameters, any index: the templates' slot count is not known here (see index.ts). */
const slotParameter = new RegExp(`^Service\\d+(?:${Object.values(ServiceSlotParameter).join('|')})$`);

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
  const fixed: readonly string[] = [...Object.values(TemplateParameter), ...sharedParametersByModel[model]];
  return fixed.includes(name) || slotParameter.test(name);
}

function numberParameter(parameters: Readonly<Record<string, string>>, name: string, minimum: number): number {
  const raw = parameters[name] ?? '';
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw cloudFormationValidationError(`Parameter '${name}' must be a number.`);
  if (value < minimum) throw cloudFormationValidationError(`Parameter '${name}' must be a number not less than ${minimum}`);
  return value;
}

function checkParameters(model: SiloModel, parameters: Readonly<Record<string, string>>): number {
  const undeclared = Object.keys(parameters).filter((name) => !declaredParameter(model, name));
  if (undeclared.length > 0) {
    throw cloudFormationValidationError(`Parameters: [${undeclared.join(', ')}] do not exist in the template`);
  }
  const required: string[] = [TemplateParameter.tenantId, TemplateParameter.serviceCount, ...sharedParametersByModel[model]];
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
  return serviceCount;
}

/** A well-formed target group ARN, stable for a stack name (target group names are at most 32 characters). */
function targetGroupArnFor(stackName: string): string {
  const digest = createHash('sha256').update(stackName).digest('hex');
  const shortName = `${stackName.slice(0, 19).replace(/-+$/, '')}-tg-${digest.slice(16, 24)}`;
  return `arn:aws:elasticloadbalancing:${simulatedRegion}:${simulatedAccount}:targetgroup/${shortName}/${digest.slice(0, 16)}`;
}

/**
 * The default model of the tenant templates. The isolation model is the template URL's path
 * segment (`<base>/<isolation-model>/<version>/template.json`): silo-cluster stacks create a
 * cluster named after the stack, silo-services stacks run in `SharedClusterName`. Service `i`
 * is named `<stackName>-<Service{i}Name>`.
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
  return {
    clusterName,
    ownCluster,
    services,
    targetGroupArn,
    outputs: {
      [TemplateOutput.targetGroupArn]: targetGroupArn,
      [TemplateOutput.clusterName]: clusterName,
      [TemplateOutput.serviceNames]: services.map((service) => service.name).join(','),
    },
    requiredCapabilities: ['CAPABILITY_IAM'],
  };
};
