/**
 * One service slot of a tenant template: a Fargate task definition and ECS service, a security
 * group that lets only the load balancer reach it and, for the routed slot 0, its target group.
 * Every resource of slots 1.. exists only under the slot's condition.
 */
import { Aws, Fn, Token, type CfnCondition, type CfnResource } from 'aws-cdk-lib';
import { CfnSecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { CfnService, CfnTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import { CfnTargetGroup } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import type { ServiceSlotParameters } from './tenant-parameters.ts';

/** Properties of {@link ServiceSlot}. */
export interface ServiceSlotProps {
  /** The slot's parameters and condition. */
  readonly slot: ServiceSlotParameters;
  /** Name of the cluster the service runs in (shared or the tenant's own). */
  readonly clusterName: string;
  /** Task execution role (pulls the image, writes logs). */
  readonly executionRoleArn: string;
  /** Task role (what the tenant's code may call: nothing by default). */
  readonly taskRoleArn: string;
  /** Log group the container logs to. */
  readonly logGroupName: string;
  /** Security group of the shared load balancer, the only allowed source of traffic. */
  readonly loadBalancerSecurityGroupId: string;
  /** Subnets the tasks run in (private: tasks get no public IP). */
  readonly subnetIds: string[];
  /** VPC of the target group. */
  readonly vpcId: string;
  /** Holds when the tenant is suspended: the service then runs no tasks. */
  readonly suspended: CfnCondition;
  /**
   * Whether the slot gets a target group on the shared load balancer.
   * @default false
   */
  readonly routed?: boolean;
}

/** Grace period before load balancer health checks count against a new task. */
const healthCheckGracePeriodSeconds = 60;
/** Shorter than the ALB default (300s) so offboarding and rollouts do not wait five minutes. */
const deregistrationDelaySeconds = 30;
/**
 * Since template 1.1.0: a target is healthy after 2 checks 10 s apart, where the ALB defaults for an
 * HTTP target group (5 checks 30 s apart) keep a new task out of service for about 150 s, and with it
 * an onboarding, a resume or a rollout. The check's timeout (5 s by default) stays below the interval.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 */
const healthCheckIntervalSeconds = 10;
const healthyThresholdCount = 2;

/** A Fargate service in one slot of a tenant template. */
export class ServiceSlot extends Construct {
  public readonly taskDefinition: CfnTaskDefinition;
  public readonly service: CfnService;
  /**
   * The service's own security group. One per service rather than one per tenant: two services
   * on the same port would otherwise need the same ingress rule twice, which EC2 rejects.
   */
  public readonly securityGroup: CfnSecurityGroup;
  /** Present on the routed slot only. */
  public readonly targetGroup: CfnTargetGroup | undefined;
  /** The service's name, `<stack name>-<service name>`, computed from parameters only. */
  public readonly serviceName: string;

  constructor(scope: Construct, id: string, props: ServiceSlotProps) {
    super(scope, id);
    const { slot } = props;
    const name = slot.name.valueAsString;
    const port = slot.port.valueAsNumber;
    // Stack names are unique per tenant (`<prefix>-<tenantId>`), so this is unique in a shared
    // cluster and as a task definition family.
    const qualifiedName = Fn.join('-', [Aws.STACK_NAME, name]);
    this.serviceName = qualifiedName;

    this.securityGroup = new CfnSecurityGroup(this, 'SecurityGroup', {
      groupDescription: 'Tenant service tasks: ingress from the shared load balancer only',
      vpcId: props.vpcId,
      securityGroupIngress: [
        {
          description: 'Traffic from the shared load balancer on the service port',
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          sourceSecurityGroupId: props.loadBalancerSecurityGroupId,
        },
      ],
    });

    this.taskDefinition = new CfnTaskDefinition(this, 'TaskDefinition', {
      family: qualifiedName,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: slot.cpu.valueAsString,
      memory: slot.memory.valueAsString,
      executionRoleArn: props.executionRoleArn,
      taskRoleArn: props.taskRoleArn,
      containerDefinitions: [
        {
          name,
          image: slot.image.valueAsString,
          essential: true,
          portMappings: [{ containerPort: port, protocol: 'tcp' }],
          // No environment variables (AwsSolutions-ECS2): configuration belongs in the image or
          // in secrets the tenant's code fetches with its own role.
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': props.logGroupName,
              'awslogs-region': Aws.REGION,
              'awslogs-stream-prefix': name,
            },
          },
          // The catalog's images (e.g. nginx) write to their root file system (cache, pid file),
          // and the catalog cannot yet declare writable paths; a read-only root would make them
          // crash-loop until the circuit breaker fails the onboarding.
          readonlyRootFilesystem: false,
        },
      ],
    });

    this.targetGroup = props.routed === true ? this.createTargetGroup(props, port) : undefined;

    this.service = new CfnService(this, 'Service', {
      serviceName: qualifiedName,
      cluster: props.clusterName,
      launchType: 'FARGATE',
      taskDefinition: this.taskDefinition.ref,
      // Suspended: 0 tasks, while the slot's DesiredCount parameter keeps the count to resume with.
      desiredCount: Token.asNumber(Fn.conditionIf(props.suspended.logicalId, 0, slot.desiredCount.valueAsNumber)),
      networkConfiguration: {
        awsvpcConfiguration: {
          assignPublicIp: 'DISABLED',
          subnets: props.subnetIds,
          securityGroups: [this.securityGroup.attrGroupId],
        },
      },
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: true, rollback: true },
        minimumHealthyPercent: 100,
        maximumPercent: 200,
      },
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      ...(this.targetGroup === undefined
        ? {}
        : {
            healthCheckGracePeriodSeconds,
            loadBalancers: [{ containerName: name, containerPort: port, targetGroupArn: this.targetGroup.ref }],
          }),
    });

    if (slot.condition !== undefined) {
      const resources: (CfnResource | undefined)[] = [
        this.securityGroup,
        this.taskDefinition,
        this.service,
        this.targetGroup,
      ];
      for (const resource of resources) {
        if (resource !== undefined) resource.cfnOptions.condition = slot.condition;
      }
    }
  }

  private createTargetGroup(props: ServiceSlotProps, port: number): CfnTargetGroup {
    // No name: CloudFormation generates one within the 32-character limit.
    return new CfnTargetGroup(this, 'TargetGroup', {
      targetType: 'ip',
      protocol: 'HTTP',
      port,
      vpcId: props.vpcId,
      healthCheckEnabled: true,
      healthCheckProtocol: 'HTTP',
      healthCheckPath: props.slot.healthCheckPath.valueAsString,
      healthCheckIntervalSeconds,
      healthyThresholdCount,
      matcher: { httpCode: '200-399' },
      targetGroupAttributes: [
        { key: 'deregistration_delay.timeout_seconds', value: String(deregistrationDelaySeconds) },
      ],
    });
  }
}
