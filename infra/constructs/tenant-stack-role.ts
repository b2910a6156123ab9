/**
 * The role CloudFormation assumes to create, update and delete tenant stacks. It may do what the
 * tenant templates contain and nothing else: the permissions are looked up per resource type of
 * the synthesized templates, and synth fails on a type this table does not know.
 */
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { accountArn, acknowledgeWildcardResource, anyResourceFinding } from './nag.ts';

/** What the permissions of a resource type are scoped to. */
export interface TenantStackScope {
  /** Tenant stacks are `<prefix>-<tenantId>`; names derived from the stack name start with it. */
  readonly stackNamePrefix: string;
  /** The VPC tenant security groups are created in. */
  readonly vpcId: string;
  /** Listeners tenant listener rules may be created on. */
  readonly listenerArns: readonly string[];
}

/** A statement on resources; `wildcardReason` says why its wildcard resources are that wide. */
interface ScopedStatement extends iam.PolicyStatementProps {
  readonly wildcardReason?: string;
}

/** Statements on resources, and actions AWS only authorizes on `*` (no resource-level permissions). */
interface TypePermissions {
  readonly statements: readonly ScopedStatement[];
  readonly anyResourceActions?: readonly string[];
}

/** The resource types the role can create, update and delete. */
export const supportedTenantResourceTypes = [
  'AWS::ECS::Cluster',
  'AWS::ECS::Service',
  'AWS::ECS::TaskDefinition',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::IAM::Role',
  'AWS::Logs::LogGroup',
] as const;
type TenantResourceType = (typeof supportedTenantResourceTypes)[number];

function isSupported(type: string): type is TenantResourceType {
  return (supportedTenantResourceTypes as readonly string[]).includes(type);
}

const securityGroupReason = 'Security group ids are generated; changes are limited to groups in the tenant VPC by the ec2:Vpc condition';

function permissionsFor(scope: TenantStackScope): Record<TenantResourceType, TypePermissions> {
  const prefix = scope.stackNamePrefix;
  const securityGroups = accountArn('ec2', 'security-group/*');
  const vpc = accountArn('ec2', `vpc/${scope.vpcId}`);
  const inTenantVpc = { ArnEquals: { 'ec2:Vpc': vpc } };
  const tenantRoles = accountArn('iam', `role/${prefix}-*`, { regional: false });
  const roleReason = 'Tenant role names are generated from the stack name <prefix>-<tenantId>; the prefix scopes them to tenant stacks';
  return {
    'AWS::ECS::Cluster': {
      statements: [{
        actions: ['ecs:CreateCluster', 'ecs:DeleteCluster', 'ecs:DescribeClusters', 'ecs:UpdateCluster', 'ecs:UpdateClusterSettings', 'ecs:PutClusterCapacityProviders', 'ecs:TagResource', 'ecs:UntagResource'],
        resources: [accountArn('ecs', 'cluster/*')],
        wildcardReason: 'Tenant clusters are named by the template (tenant-<tenantId>), not after the stack name prefix',
      }],
    },
    'AWS::ECS::Service': {
      statements: [{
        actions: ['ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService', 'ecs:DescribeServices', 'ecs:TagResource', 'ecs:UntagResource'],
        resources: [accountArn('ecs', `service/*/${prefix}-*`)],
        wildcardReason: 'Tenant services are <stack name>-<service>, in the shared or the tenant\'s own cluster; the prefix scopes them to tenant stacks',
      }],
    },
    'AWS::ECS::TaskDefinition': {
      statements: [
        {
          actions: ['ecs:TagResource', 'ecs:UntagResource', 'ecs:DeleteTaskDefinitions'],
          resources: [accountArn('ecs', `task-definition/${prefix}-*:*`)],
          wildcardReason: 'Task definition families are <stack name>-<service> with any revision; the prefix scopes them to tenant stacks',
        },
        {
          actions: ['iam:PassRole'],
          resources: [tenantRoles],
          conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
          wildcardReason: roleReason,
        },
      ],
      anyResourceActions: ['ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition', 'ecs:DescribeTaskDefinition'],
    },
    'AWS::EC2::SecurityGroup': {
      statements: [
        { actions: ['ec2:CreateSecurityGroup'], resources: [vpc, securityGroups], wildcardReason: securityGroupReason },
        { actions: ['ec2:CreateTags'], resources: [securityGroups], wildcardReason: securityGroupReason },
        {
          actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupEgress', 'ec2:ModifySecurityGroupRules', 'ec2:DeleteTags', 'ec2:DeleteSecurityGroup'],
          resources: [securityGroups],
          conditions: inTenantVpc,
          wildcardReason: securityGroupReason,
        },
      ],
      anyResourceActions: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
    },
    'AWS::EC2::SecurityGroupIngress': {
      statements: [{ actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'], resources: [securityGroups], conditions: inTenantVpc, wildcardReason: securityGroupReason }],
      anyResourceActions: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
    },
    'AWS::ElasticLoadBalancingV2::TargetGroup': {
      statements: [{
        actions: ['elasticloadbalancing:CreateTargetGroup', 'elasticloadbalancing:DeleteTargetGroup', 'elasticloadbalancing:ModifyTargetGroup', 'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'],
        resources: [accountArn('elasticloadbalancing', 'targetgroup/*/*')],
        wildcardReason: 'Target group names are generated by CloudFormation for each tenant (no stable prefix fits their 32 characters)',
      }],
      anyResourceActions: ['elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetGroupAttributes', 'elasticloadbalancing:DescribeTags'],
    },
    'AWS::ElasticLoadBalancingV2::ListenerRule': {
      statements: [
        // New rules only on the configured listeners.
        { actions: ['elasticloadbalancing:CreateRule'], resources: [...scope.listenerArns] },
        {
          actions: ['elasticloadbalancing:DeleteRule', 'elasticloadbalancing:ModifyRule', 'elasticloadbalancing:SetRulePriorities', 'elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'],
          resources: [accountArn('elasticloadbalancing', 'listener-rule/app/*/*/*/*')],
          wildcardReason: 'Rule ids are generated by ELB, and rule ARNs embed load balancer and listener ids known only at deployment',
        },
      ],
      anyResourceActions: ['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTags'],
    },
    'AWS::IAM::Role': {
      statements: [{
        actions: ['iam:CreateRole', 'iam:DeleteRole', 'iam:GetRole', 'iam:UpdateRole', 'iam:UpdateRoleDescription', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies', 'iam:TagRole', 'iam:UntagRole'],
        resources: [tenantRoles],
        wildcardReason: roleReason,
      }],
    },
    'AWS::Logs::LogGroup': {
      statements: [{
        actions: ['logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:TagResource', 'logs:UntagResource', 'logs:ListTagsForResource', 'logs:TagLogGroup', 'logs:UntagLogGroup', 'logs:ListTagsLogGroup'],
        resources: [accountArn('logs', 'log-group:/tenants/*')],
        wildcardReason: 'Tenant log groups are /tenants/<tenantId>',
      }],
      anyResourceActions: ['logs:DescribeLogGroups'],
    },
  };
}

/** Resource types of the given CloudFormation templates, sorted. */
export function templateResourceTypes(templates: readonly Record<string, unknown>[]): string[] {
  const types = new Set<string>();
  for (const template of templates) {
    const resources = (template.Resources ?? {}) as Record<string, { Type?: string }>;
    for (const resource of Object.values(resources)) if (resource.Type !== undefined) types.add(resource.Type);
  }
  return [...types].sort();
}

/** Properties of {@link TenantStackRole}. */
export interface TenantStackRoleProps extends TenantStackScope {
  /** The synthesized tenant templates; the role gets the permissions of their resource types. */
  readonly templates: readonly Record<string, unknown>[];
}

/** The CloudFormation service role of tenant stacks. */
export class TenantStackRole extends Construct {
  public readonly role: iam.Role;
  /** Resource types found in the templates (each has its permissions in the role). */
  public readonly resourceTypes: readonly string[];

  constructor(scope: Construct, id: string, props: TenantStackRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      description: 'Assumed by CloudFormation for tenant stacks: only what the tenant templates contain',
    });
    this.resourceTypes = templateResourceTypes(props.templates);
    const unknown = this.resourceTypes.filter((type) => !isSupported(type));
    if (unknown.length > 0) {
      throw new Error(`The tenant templates contain ${unknown.join(', ')}, which the tenant stack role has no permissions for; add them to infra/constructs/tenant-stack-role.ts`);
    }

    const table = permissionsFor(props);
    const anyResourceActions = new Set<string>();
    const acknowledged = new Set<string>();
    for (const type of this.resourceTypes.filter(isSupported)) {
      for (const { wildcardReason, ...statement } of table[type].statements) {
        this.role.addToPrincipalPolicy(new iam.PolicyStatement(statement));
        for (const resource of (statement.resources ?? []).filter((arn) => arn.includes('*') && !acknowledged.has(arn))) {
          if (wildcardReason === undefined) throw new Error(`${type}: wildcard resource ${resource} needs a reason`);
          acknowledgeWildcardResource(this.role, resource, wildcardReason);
          acknowledged.add(resource);
        }
      }
      for (const action of table[type].anyResourceActions ?? []) anyResourceActions.add(action);
    }
    if (anyResourceActions.size > 0) {
      const actions = [...anyResourceActions].sort();
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: ['*'] }));
      Validations.of(this.role).acknowledge({ id: anyResourceFinding, reason: `${actions.join(', ')} support no resource-level permissions; AWS requires Resource "*" for them` });
    }
  }
}
