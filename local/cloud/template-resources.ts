/**
 * A template's resources the way CloudFormation names and orders them: the physical id of each
 * (given names where the template sets one, stable generated ones otherwise), the Fn::GetAtt
 * attributes the local cloud models, and the creation order (DependsOn and references first,
 * template order otherwise).
 */
import { createHash } from 'node:crypto';
import { simulatedAccount, simulatedRegion } from './aws-shapes.ts';
import { ruleArnFor } from './elb-rules.ts';
import { referencedNames, TemplateEvaluationError } from './template-evaluator.ts';
import type { ResourceDeclaration } from './template-source.ts';

/** Resource types the model reads. */
export const ResourceType = {
  cluster: 'AWS::ECS::Cluster',
  service: 'AWS::ECS::Service',
  taskDefinition: 'AWS::ECS::TaskDefinition',
  targetGroup: 'AWS::ElasticLoadBalancingV2::TargetGroup',
  listenerRule: 'AWS::ElasticLoadBalancingV2::ListenerRule',
  role: 'AWS::IAM::Role',
  logGroup: 'AWS::Logs::LogGroup',
  securityGroup: 'AWS::EC2::SecurityGroup',
} as const;

/** A resource's evaluated properties, as the model reads them. */
export interface ResourceProperties {
  /** An evaluated property as a string; undefined when absent (or AWS::NoValue). */
  text(name: string): string | undefined;
}

const ecsArn = `arn:aws:ecs:${simulatedRegion}:${simulatedAccount}`;
const elbArn = `arn:aws:elasticloadbalancing:${simulatedRegion}:${simulatedAccount}`;

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('|')).digest('hex');
}

/**
 * A name CloudFormation generates: `<stack>-<logical id>-<suffix>`, stable here for a stack name.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html
 */
function generatedName(stackName: string, logicalId: string, maxLength = 128): string {
  const suffix = digest(stackName, logicalId).slice(0, 12).toUpperCase();
  const room = maxLength - suffix.length - 2;
  const stackPart = stackName.slice(0, Math.ceil(room / 2));
  return `${stackPart}-${logicalId.slice(0, room - stackPart.length)}-${suffix}`;
}

/** The name an ECS cluster reference denotes (a name or a cluster ARN). */
export function clusterNameOf(reference: string): string {
  const marker = ':cluster/';
  const index = reference.indexOf(marker);
  return index === -1 ? reference : reference.slice(index + marker.length);
}

export function serviceName(stackName: string, logicalId: string, properties: ResourceProperties): string {
  return properties.text('ServiceName') ?? generatedName(stackName, logicalId);
}

/** The cluster a service runs in; ECS's `default` cluster when the template names none. */
export function serviceCluster(properties: ResourceProperties): string {
  return clusterNameOf(properties.text('Cluster') ?? 'default');
}

/** Target group names are at most 32 characters. */
function targetGroupName(stackName: string, logicalId: string, properties: ResourceProperties): string {
  const given = properties.text('Name');
  if (given !== undefined) return given;
  const trim = (part: string) => part.replace(/-+$/, '');
  return `${trim(stackName.slice(0, 12))}-${logicalId.slice(0, 10)}-${digest(stackName, logicalId).slice(16, 24)}`;
}

/**
 * The physical id (what Ref returns) of a resource: a cluster's name, a service's, task
 * definition's, target group's and listener rule's ARN, a role's and log group's name, as each
 * resource type's "Return values" section says, e.g.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-service.html
 */
export function physicalIdOf(
  stackName: string,
  logicalId: string,
  declaration: ResourceDeclaration,
  properties: ResourceProperties,
): string {
  switch (declaration.Type) {
    case ResourceType.cluster:
      return properties.text('ClusterName') ?? generatedName(stackName, logicalId, 255);
    case ResourceType.service:
      return `${ecsArn}:service/${serviceCluster(properties)}/${serviceName(stackName, logicalId, properties)}`;
    case ResourceType.taskDefinition:
      return `${ecsArn}:task-definition/${properties.text('Family') ?? generatedName(stackName, logicalId, 255)}:1`;
    case ResourceType.targetGroup:
      return `${elbArn}:targetgroup/${targetGroupName(stackName, logicalId, properties)}/${digest(stackName, logicalId).slice(0, 16)}`;
    case ResourceType.listenerRule: {
      // Stable for a stack, listener and priority where AWS makes up a random id (see index.ts).
      const listenerArn = properties.text('ListenerArn') ?? '';
      return ruleArnFor(listenerArn, digest(stackName, listenerArn, properties.text('Priority') ?? '').slice(0, 16));
    }
    case ResourceType.role:
      return properties.text('RoleName') ?? generatedName(stackName, logicalId, 64);
    case ResourceType.logGroup:
      return properties.text('LogGroupName') ?? generatedName(stackName, logicalId, 512);
    case ResourceType.securityGroup:
      return `sg-${digest(stackName, logicalId).slice(0, 17)}`;
    default:
      return generatedName(stackName, logicalId);
  }
}

/**
 * Fn::GetAtt for the attributes the local cloud models; anything else throws naming it.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticloadbalancingv2-targetgroup.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroup.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html
 */
export function attributeOf(
  stackName: string,
  logicalId: string,
  declaration: ResourceDeclaration,
  attribute: string,
  physicalId: string,
  properties: ResourceProperties,
): string {
  const attributes: Readonly<Record<string, () => string>> =
    {
      [ResourceType.cluster]: { Arn: () => `${ecsArn}:cluster/${physicalId}` },
      [ResourceType.service]: {
        Name: () => serviceName(stackName, logicalId, properties),
        ServiceArn: () => physicalId,
      },
      [ResourceType.targetGroup]: {
        TargetGroupArn: () => physicalId,
        TargetGroupName: () => targetGroupName(stackName, logicalId, properties),
        TargetGroupFullName: () => physicalId.slice(physicalId.indexOf('targetgroup/')),
      },
      [ResourceType.listenerRule]: { RuleArn: () => physicalId },
      // The attributes the tenant templates' own properties read (the update diff evaluates them all).
      [ResourceType.securityGroup]: { GroupId: () => physicalId, VpcId: () => properties.text('VpcId') ?? '' },
      [ResourceType.role]: { Arn: () => `arn:aws:iam::${simulatedAccount}:role/${physicalId}` },
      [ResourceType.logGroup]: {
        Arn: () => `arn:aws:logs:${simulatedRegion}:${simulatedAccount}:log-group:${physicalId}:*`,
      },
    }[declaration.Type] ?? {};
  const value = attributes[attribute];
  if (value === undefined) {
    throw new TemplateEvaluationError(
      `Fn::GetAtt ${logicalId}.${attribute} (${declaration.Type}) is not modelled by the local cloud`,
    );
  }
  return value();
}

function dependsOn(declaration: ResourceDeclaration): readonly string[] {
  const value = declaration.DependsOn;
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

/**
 * The order CloudFormation creates the existing resources in: each after what it depends on
 * (DependsOn, Ref, Fn::GetAtt, Fn::Sub), otherwise in template order. Throws on a cycle.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-dependson.html
 */
export function creationOrder(
  resources: Readonly<Record<string, ResourceDeclaration>>,
  exists: (logicalId: string) => boolean,
): string[] {
  const ids = Object.keys(resources).filter(exists);
  const dependencies = new Map<string, string[]>();
  for (const id of ids) {
    const declaration = resources[id] as ResourceDeclaration;
    const names = referencedNames(declaration.Properties ?? {});
    for (const name of dependsOn(declaration)) names.add(name);
    dependencies.set(
      id,
      [...names].filter((name) => name !== id && Object.hasOwn(resources, name) && exists(name)),
    );
  }
  const placed = new Set<string>();
  const order: string[] = [];
  while (order.length < ids.length) {
    const next = ids.find((id) => !placed.has(id) && (dependencies.get(id) ?? []).every((name) => placed.has(name)));
    if (next === undefined) {
      throw new TemplateEvaluationError(
        `Circular dependency between resources: [${ids.filter((id) => !placed.has(id)).join(', ')}]`,
      );
    }
    placed.add(next);
    order.push(next);
  }
  return order;
}
