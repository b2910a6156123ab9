/**
 * What a tenant stack creates, derived from the real tenant template its TemplateURL names
 * (`<base>/<isolation-model>/<version>/template.json`, a shipped version from infra/tenant-templates/versions):
 * the declared parameters checked, the conditions evaluated, and from the resources that exist
 * the ECS cluster, services, target group, listener rule, required capabilities and outputs.
 * The CloudFormation simulator takes a model as a replaceable strategy (its `model` option); this
 * is the only one, so what a local stack creates is what the published template declares.
 */
import { createHash } from 'node:crypto';
import type { RuleCondition, Action, Tag } from '@aws-sdk/client-elastic-load-balancing-v2';
import { cloudFormationValidationError, simulatedAccount, simulatedRegion } from './aws-shapes.ts';
import type { RuleRecord } from './elb-rules.ts';
import { resolveParameters } from './stack-parameters.ts';
import {
  assertSupportedFunctions,
  evaluate,
  evaluateCondition,
  noValue,
  TemplateEvaluationError,
  type EvaluationScope,
  type ParameterValue,
  type PseudoParameters,
} from './template-evaluator.ts';
import {
  attributeOf,
  creationOrder,
  physicalIdOf,
  ResourceType,
  serviceCluster,
  serviceName,
  type ResourceProperties,
} from './template-resources.ts';
import {
  shippedTemplateSource,
  type ResourceDeclaration,
  type SiloModel,
  type TemplateDocument,
  type TemplateSource,
} from './template-source.ts';

/** One ECS service the stack runs. */
export interface ModelledService {
  /** The ECS service name. */
  readonly name: string;
  readonly desiredCount: number;
  /** The template's logical id of the service. */
  readonly logicalResourceId: string;
}

/** One resource of the stack, as its events name it. */
export interface ModelledResource {
  readonly logicalResourceId: string;
  readonly resourceType: string;
  readonly physicalResourceId: string;
  /**
   * A digest of the resource's evaluated Properties: an update changes the resource when it
   * differs between the old and the new model (CloudFormation compares the resolved properties).
   */
  readonly propertiesDigest: string;
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
  /**
   * The tenant's listener rule, forwarding to the target group; its tags are the template's
   * (the stack's own tags are added when the stack creates it). Absent: the stack makes no rule.
   */
  readonly listenerRule?: RuleRecord;
  /** The stack outputs by OutputKey. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Capabilities CreateStack must acknowledge (the tenant templates create IAM roles). */
  readonly requiredCapabilities: readonly string[];
  /** Every resource the stack creates, in creation order. */
  readonly resources: readonly ModelledResource[];
  /**
   * Every declared parameter's value (given, else its Default; lists comma-joined): what an update's
   * UsePreviousValue takes, and what tells an update that changes nothing.
   */
  readonly parameterValues: Readonly<Record<string, string>>;
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

const templatePath = /\/(silo-services|silo-cluster)\/([^/?#]+)\/template\.json(?:[?#].*)?$/;

/**
 * IAM resource types (any needs CAPABILITY_IAM) and the property that names each (CAPABILITY_NAMED_IAM).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html (Capabilities)
 */
const iamNameProperties: Readonly<Record<string, string | undefined>> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::User': 'UserName',
  'AWS::IAM::Group': 'GroupName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::IAM::Policy': undefined,
  'AWS::IAM::AccessKey': undefined,
  'AWS::IAM::UserToGroupAddition': undefined,
};

/** Templates already scanned for unsupported functions (each source returns the same object every time). */
const checkedTemplates = new WeakSet<TemplateDocument>();

function notModelled(what: string): never {
  throw new TemplateEvaluationError(`The local cloud does not model ${what}`);
}

/** Names in one stack's template resolved: parameters, conditions, resources (memoized). */
class StackScope implements EvaluationScope {
  readonly pseudo: PseudoParameters;
  readonly #template: TemplateDocument;
  readonly #values: Readonly<Record<string, ParameterValue>>;
  readonly #conditions = new Map<string, boolean | 'evaluating'>();
  readonly #physicalIds = new Map<string, string | 'evaluating'>();

  constructor(stackName: string, template: TemplateDocument, values: Readonly<Record<string, ParameterValue>>) {
    this.pseudo = { stackName, region: simulatedRegion, accountId: simulatedAccount, partition: 'aws' };
    this.#template = template;
    this.#values = values;
  }

  parameter(name: string): ParameterValue | undefined {
    return this.#values[name];
  }

  condition(name: string): boolean {
    const known = this.#conditions.get(name);
    if (known === 'evaluating') throw new TemplateEvaluationError(`Conditions.${name} refers to itself`);
    if (known !== undefined) return known;
    const expression = this.#template.Conditions?.[name];
    if (expression === undefined)
      throw new TemplateEvaluationError(`Condition ${name} is not declared in the template`);
    this.#conditions.set(name, 'evaluating');
    const value = evaluateCondition(expression, this, `Conditions.${name}`);
    this.#conditions.set(name, value);
    return value;
  }

  /** A resource exists when it is declared and its Condition (if any) holds. */
  exists(logicalId: string): boolean {
    const declaration = this.#template.Resources[logicalId];
    return declaration !== undefined && (declaration.Condition === undefined || this.condition(declaration.Condition));
  }

  declaration(logicalId: string): ResourceDeclaration {
    return this.#template.Resources[logicalId] as ResourceDeclaration;
  }

  resource(logicalId: string): string | undefined {
    if (!this.exists(logicalId)) return undefined;
    const known = this.#physicalIds.get(logicalId);
    if (known === 'evaluating') throw new TemplateEvaluationError(`The physical id of ${logicalId} depends on itself`);
    if (known !== undefined) return known;
    this.#physicalIds.set(logicalId, 'evaluating');
    const physicalId = physicalIdOf(
      this.pseudo.stackName,
      logicalId,
      this.declaration(logicalId),
      this.properties(logicalId),
    );
    this.#physicalIds.set(logicalId, physicalId);
    return physicalId;
  }

  attribute(logicalId: string, attribute: string): string {
    const physicalId = this.resource(logicalId) ?? '';
    return attributeOf(
      this.pseudo.stackName,
      logicalId,
      this.declaration(logicalId),
      attribute,
      physicalId,
      this.properties(logicalId),
    );
  }

  /** A resource's property, evaluated; undefined when absent or AWS::NoValue. */
  property(logicalId: string, name: string): unknown {
    const raw = this.declaration(logicalId).Properties?.[name];
    if (raw === undefined) return undefined;
    const value = evaluate(raw, this, `Resources.${logicalId}.Properties.${name}`);
    return value === noValue ? undefined : value;
  }

  properties(logicalId: string): ResourceProperties {
    return {
      text: (name) => {
        const value = this.property(logicalId, name);
        if (value === undefined) return undefined;
        if (typeof value === 'string' || typeof value === 'number') return String(value);
        throw new TemplateEvaluationError(
          `Resources.${logicalId}.Properties.${name}: expected a string, got ${JSON.stringify(value)}`,
        );
      },
    };
  }
}

/** The one existing resource of a type (or none); more than one is not modelled. */
function single(scope: StackScope, ids: readonly string[], type: string): string | undefined {
  const matching = ids.filter((id) => scope.declaration(id).Type === type);
  if (matching.length > 1) notModelled(`more than one ${type} per stack (${matching.join(', ')})`);
  return matching[0];
}

function clusterOf(
  scope: StackScope,
  clusterId: string | undefined,
  services: readonly (ModelledService & { cluster: string })[],
): string {
  const clusters = new Set(services.map((service) => service.cluster));
  if (clusterId !== undefined) {
    const own = scope.resource(clusterId) ?? '';
    if ([...clusters].some((cluster) => cluster !== own))
      notModelled(`services outside the stack's own cluster ${own}`);
    return own;
  }
  if (clusters.size > 1) notModelled(`services in more than one cluster (${[...clusters].join(', ')})`);
  return [...clusters][0] ?? '';
}

function listenerRuleOf(scope: StackScope, ruleId: string): RuleRecord {
  const list = (name: string): unknown[] => {
    const value = scope.property(ruleId, name) ?? [];
    if (!Array.isArray(value))
      throw new TemplateEvaluationError(`Resources.${ruleId}.Properties.${name}: expected a list`);
    return value;
  };
  const text = scope.properties(ruleId).text;
  return {
    ruleArn: scope.resource(ruleId) ?? '',
    listenerArn: text('ListenerArn') ?? '',
    priority: Number(text('Priority')),
    conditions: list('Conditions') as RuleCondition[],
    actions: list('Actions') as Action[],
    tags: list('Tags') as Tag[],
  };
}

function requiredCapabilities(scope: StackScope, ids: readonly string[]): string[] {
  const iam = ids.filter((id) => Object.hasOwn(iamNameProperties, scope.declaration(id).Type));
  if (iam.length === 0) return [];
  const named = iam.some((id) => {
    const nameProperty = iamNameProperties[scope.declaration(id).Type];
    return nameProperty !== undefined && scope.property(id, nameProperty) !== undefined;
  });
  return [named ? 'CAPABILITY_NAMED_IAM' : 'CAPABILITY_IAM'];
}

/** JSON with object keys sorted, so equal values give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function propertiesDigest(scope: StackScope, logicalId: string): string {
  const properties = evaluate(
    scope.declaration(logicalId).Properties ?? {},
    scope,
    `Resources.${logicalId}.Properties`,
  );
  return createHash('sha256').update(canonicalJson(properties)).digest('hex').slice(0, 32);
}

function outputsOf(scope: StackScope, template: TemplateDocument): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition !== undefined && !scope.condition(output.Condition)) continue;
    const value = evaluate(output.Value, scope, `Outputs.${key}.Value`);
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new TemplateEvaluationError(`Outputs.${key}.Value: expected a string, got ${JSON.stringify(value)}`);
    }
    outputs[key] = String(value);
  }
  return outputs;
}

/**
 * What a stack of `template` creates with these CreateStack parameters. Throws CloudFormation's
 * ValidationError for parameters the template rejects, and a {@link TemplateEvaluationError} for
 * a template the local cloud cannot follow (an unsupported intrinsic function, more than one
 * cluster, target group or listener rule, not exactly one target group).
 */
export function modelStackFromTemplate(
  stackName: string,
  template: TemplateDocument,
  parameters: Readonly<Record<string, string>>,
): TenantStackModel {
  if (!checkedTemplates.has(template)) {
    assertSupportedFunctions(template, 'Template');
    checkedTemplates.add(template);
  }
  const values = resolveParameters(template.Parameters ?? {}, parameters);
  const scope = new StackScope(stackName, template, values);
  const declared = Object.keys(template.Resources).filter((id) => scope.exists(id));
  const order = creationOrder(template.Resources, (id) => scope.exists(id));
  const services = declared
    .filter((id) => scope.declaration(id).Type === ResourceType.service)
    .map((id) => {
      const properties = scope.properties(id);
      const desiredCount = properties.text('DesiredCount');
      const name = serviceName(stackName, id, properties);
      return {
        logicalResourceId: id,
        name,
        desiredCount: Number(desiredCount ?? 1),
        cluster: serviceCluster(properties),
      };
    });
  const clusterId = single(scope, declared, ResourceType.cluster);
  const targetGroupId =
    single(scope, declared, ResourceType.targetGroup) ?? notModelled('a tenant stack without a target group');
  const ruleId = single(scope, declared, ResourceType.listenerRule);
  return {
    clusterName: clusterOf(scope, clusterId, services),
    ownCluster: clusterId !== undefined,
    services: services.map(({ logicalResourceId, name, desiredCount }) => ({ logicalResourceId, name, desiredCount })),
    targetGroupArn: scope.resource(targetGroupId) ?? '',
    ...(ruleId !== undefined ? { listenerRule: listenerRuleOf(scope, ruleId) } : {}),
    outputs: outputsOf(scope, template),
    requiredCapabilities: requiredCapabilities(scope, declared),
    resources: order.map((id) => ({
      logicalResourceId: id,
      resourceType: scope.declaration(id).Type,
      physicalResourceId: scope.resource(id) ?? '',
      propertiesDigest: propertiesDigest(scope, id),
    })),
    parameterValues: Object.fromEntries(
      Object.entries(values).map(([name, value]) => [name, typeof value === 'string' ? value : value.join(',')]),
    ),
  };
}

/**
 * The model of the real tenant templates: the TemplateURL's path names the isolation model and
 * version, `source` gives that template (by default the shipped versions, infra/tenant-templates/versions).
 * A URL that names no published template is refused with the ValidationError CloudFormation gives
 * when it cannot read the TemplateURL's object:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html (TemplateURL)
 */
export function tenantTemplateModel(source: TemplateSource = shippedTemplateSource()): TemplateModel {
  return (stackName, templateUrl, parameters) => {
    const match = templatePath.exec(templateUrl);
    const template =
      match?.[1] === undefined || match[2] === undefined ? undefined : source(match[1] as SiloModel, match[2]);
    if (template === undefined) {
      throw cloudFormationValidationError('TemplateURL must reference a valid S3 object to which you have access.');
    }
    return modelStackFromTemplate(stackName, template, parameters);
  };
}
