/**
 * A tenant template: the parameterized CloudFormation template the orchestrator creates once per
 * silo tenant with CreateStack(TemplateURL, Parameters). L1 constructs throughout, because every
 * value is a CfnParameter and every optional slot a CfnCondition; the synthesized JSON stands
 * alone (no bootstrap stack, no assets, no CDK metadata).
 */
import { Aws, BootstraplessSynthesizer, CfnOutput, Fn, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import { CfnCluster } from 'aws-cdk-lib/aws-ecs';
import type { CfnListenerRule } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { managedByTag } from '../../functions/plan-tenant/plan.ts';
import { permissionsBoundaryParameter, TemplateOutput } from '../../functions/shared/config/template-parameters.ts';
import { ServiceSlot } from './service-slot.ts';
import { createTenantListenerRule } from './tenant-route.ts';
import {
  declareTenantParameters,
  sharedParameter,
  type SiloIsolationModel,
  type TenantParameters,
} from './tenant-parameters.ts';

/** Properties of {@link TenantTemplateStack}. */
export interface TenantTemplateStackProps extends Pick<StackProps, 'stackName'> {
  /** Which silo model the template implements: tenant services in a shared cluster, or a cluster per tenant. */
  readonly isolationModel: SiloIsolationModel;
  /** Version published under `<model>/<version>/template.json`; the TemplateVersion parameter must equal it. */
  readonly templateVersion: string;
  /**
   * Days the tenant's container logs are kept.
   * @default 30
   */
  readonly logRetentionDays?: number;
}

const ecsTasksPrincipal = 'ecs-tasks.amazonaws.com';

/** Tenant log groups are `/tenants/<stack name>`, i.e. `/tenants/<prefix>-<tenantId>`. */
export const tenantLogGroupPrefix = '/tenants/';

/** A tenant template for one silo isolation model and version. */
export class TenantTemplateStack extends Stack {
  public readonly parameters: TenantParameters;
  /** The tenant's own cluster (silo-cluster only). */
  public readonly cluster: CfnCluster | undefined;
  public readonly logGroup: CfnLogGroup;
  public readonly executionRole: CfnRole;
  public readonly taskRole: CfnRole;
  /** One per service slot, in slot order; slot 0 is the routed one. */
  public readonly slots: readonly ServiceSlot[];
  /** The tenant's rule on the shared listener, forwarding to slot 0's target group. */
  public readonly listenerRule: CfnListenerRule;

  constructor(scope: Construct, id: string, props: TenantTemplateStackProps) {
    super(scope, id, {
      ...(props.stackName === undefined ? {} : { stackName: props.stackName }),
      description: `Tenant template for the ${props.isolationModel} isolation model, version ${props.templateVersion} (tenant-orchestrator)`,
      synthesizer: new BootstraplessSynthesizer(),
      analyticsReporting: false,
    });
    this.templateOptions.metadata = {
      TenantTemplate: { isolationModel: props.isolationModel, templateVersion: props.templateVersion },
    };
    const parameters = declareTenantParameters(this, props.isolationModel, props.templateVersion);
    this.parameters = parameters;

    this.cluster =
      props.isolationModel === 'silo-cluster'
        ? new CfnCluster(this, 'Cluster', {
            // The stack name is `<prefix>-<tenantId>`: two deployments with different prefixes
            // can share an account, and the stack role's permissions are scoped to the prefix.
            clusterName: Aws.STACK_NAME,
            clusterSettings: [{ name: 'containerInsights', value: 'enabled' }],
          })
        : undefined;
    const clusterName = this.cluster?.ref ?? sharedParameter(parameters, 'SharedClusterName').valueAsString;

    // Deleted with the stack (no Retain): re-onboarding the same tenant id must be able to
    // create `/tenants/<prefix>-<id>` again.
    this.logGroup = new CfnLogGroup(this, 'LogGroup', {
      logGroupName: Fn.join('', [tenantLogGroupPrefix, Aws.STACK_NAME]),
      retentionInDays: props.logRetentionDays ?? 30,
    });
    this.executionRole = this.createExecutionRole();
    this.taskRole = new CfnRole(this, 'TaskRole', {
      description: 'Role of the tenant code: no permissions unless the tier grants some',
      assumeRolePolicyDocument: assumedByEcsTasks(),
      permissionsBoundary: sharedParameter(parameters, permissionsBoundaryParameter).valueAsString,
    });

    const loadBalancerSecurityGroupId = sharedParameter(parameters, 'LoadBalancerSecurityGroupId').valueAsString;
    const vpcId = sharedParameter(parameters, 'VpcId').valueAsString;
    this.slots = parameters.slots.map(
      (slot) =>
        new ServiceSlot(this, `Slot${slot.index}`, {
          slot,
          clusterName,
          executionRoleArn: this.executionRole.attrArn,
          taskRoleArn: this.taskRole.attrArn,
          logGroupName: this.logGroup.ref,
          loadBalancerSecurityGroupId,
          subnetIds: sharedParameter(parameters, 'SubnetIds').valueAsList,
          vpcId,
          suspended: parameters.isSuspended,
          routed: slot.index === 0,
        }),
    );

    const [routed] = this.slots;
    if (routed?.targetGroup === undefined) throw new Error('Slot 0 must be routed');
    this.listenerRule = createTenantListenerRule(this, 'ListenerRule', {
      route: parameters.route,
      targetGroup: routed.targetGroup,
      suspended: parameters.isSuspended,
    });
    // ECS rejects a service whose target group is not associated with a load balancer yet.
    routed.service.addResourceDependency(this.listenerRule);

    this.addOutputs(clusterName);
    this.tagResources(parameters);
    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W2001',
      reason:
        'Service1..3HealthCheckPath are declared so the plan can pass every catalog field (CloudFormation rejects undeclared parameters), but only service 0 is routed and health-checked',
    });
  }

  /**
   * Least privilege instead of AmazonECSTaskExecutionRolePolicy (AwsSolutions-IAM4): write to the
   * tenant's own log group, and pull images from this account's ECR repositories.
   */
  private createExecutionRole(): CfnRole {
    const role = new CfnRole(this, 'ExecutionRole', {
      description: 'ECS task execution role of the tenant: pull images, write the tenant log group',
      assumeRolePolicyDocument: assumedByEcsTasks(),
      // The stack role may create roles only with this boundary (infra/constructs/tenant-boundary.ts).
      permissionsBoundary: sharedParameter(this.parameters, permissionsBoundaryParameter).valueAsString,
      policies: [
        {
          policyName: 'task-execution',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'WriteTenantLogs',
                Effect: 'Allow',
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                Resource: this.logGroup.attrArn,
              },
              {
                Sid: 'AuthenticateToEcr',
                Effect: 'Allow',
                Action: 'ecr:GetAuthorizationToken',
                Resource: '*',
              },
              {
                Sid: 'PullAccountImages',
                Effect: 'Allow',
                Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
                Resource: Fn.join('', [
                  'arn:',
                  Aws.PARTITION,
                  ':ecr:',
                  Aws.REGION,
                  ':',
                  Aws.ACCOUNT_ID,
                  ':repository/*',
                ]),
              },
            ],
          },
        },
      ],
    });
    Validations.of(role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ecr:GetAuthorizationToken supports no resource-level permissions; AWS requires Resource "*" for it',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/*]',
        reason:
          'Images are template parameters chosen per tier in the catalog, so the repository is not known when the template is built; pulls stay within this account and region, read-only',
      },
    );
    return role;
  }

  private addOutputs(clusterName: string): void {
    const [routed, ...others] = this.slots;
    if (routed?.targetGroup === undefined) throw new Error('Slot 0 must be routed');
    this.addOutput(
      TemplateOutput.targetGroupArn,
      routed.targetGroup.ref,
      'Target group of service 0 (the routed service)',
    );
    this.addOutput(TemplateOutput.clusterName, clusterName, 'Cluster the tenant services run in');
    this.addOutput(TemplateOutput.listenerRuleArn, this.listenerRule.ref, 'The tenant rule on the shared listener');
    // Absent slots contribute an empty string; a name behind AWS::NoValue inside Fn::Join is not
    // reliably dropped, so each present slot brings its own leading comma. The names are computed
    // from parameters, not GetAtt, so no output references a resource that may not exist.
    const names = [
      routed.serviceName,
      ...others.map((slot) => {
        const condition = slot.service.cfnOptions.condition;
        if (condition === undefined) throw new Error(`Slot ${slot.node.id} must be conditional`);
        return Fn.conditionIf(condition.logicalId, Fn.join('', [',', slot.serviceName]), '').toString();
      }),
    ];
    this.addOutput(
      TemplateOutput.serviceNames,
      Fn.join('', names),
      'ECS service names, comma-separated, in slot order',
    );
  }

  private addOutput(name: string, value: string, description: string): void {
    // Top-level id: the output key is exactly the contract name.
    new CfnOutput(this, name, { value, description });
  }

  private tagResources(parameters: TenantParameters): void {
    const tags = Tags.of(this);
    tags.add('tenantId', parameters.tenantId.valueAsString);
    tags.add('tier', parameters.tier.valueAsString);
    tags.add(managedByTag.key, managedByTag.value);
    tags.add('templateVersion', parameters.templateVersion.valueAsString);
  }
}

/** Trust policy for ECS tasks of this account only (confused-deputy protection). */
function assumedByEcsTasks(): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: ecsTasksPrincipal },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      },
    ],
  };
}
