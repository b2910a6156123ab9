/**
 * The names the plan step passes to the tenant templates and reads back from their outputs.
 * The CDK tenant templates declare exactly these; a test fails when either side renames one.
 */
export const TemplateParameter = {
  tenantId: 'TenantId',
  tier: 'Tier',
  templateVersion: 'TemplateVersion',
  serviceCount: 'ServiceCount',
  /**
   * `"true"` suspends the tenant: its listener rule answers {@link suspendedResponse} instead of
   * forwarding, and every service's desired count is 0. `"false"` (the default, so stacks created
   * before the parameter existed keep their behaviour) forwards and runs each service's
   * `Service<i>DesiredCount`, so resuming restores the counts simply by leaving those unchanged.
   * Suspension is an UpdateStack of this parameter, never an out-of-band change: the next update
   * would silently undo one.
   */
  tenantSuspended: 'TenantSuspended',
} as const;

/** The values of {@link TemplateParameter.tenantSuspended} (CloudFormation parameters are strings). */
export const TenantSuspendedValue = { suspended: 'true', active: 'false' } as const;

/**
 * What a suspended tenant's listener rule answers: a fixed response, the same for every tenant, so
 * it says nothing about the tenant (no id, no name, no data). ELB allows a 2XX/4XX/5XX status, one
 * of five content types and a body of at most 1,024 characters
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_FixedResponseActionConfig.html).
 */
export const suspendedResponse = {
  statusCode: '503',
  contentType: 'application/json',
  messageBody: '{"message":"This tenant is suspended."}',
} as const;

/** Per-service slot parameters (`Service0Name`, `Service0Image`, ...). */
export const ServiceSlotParameter = {
  name: 'Name',
  image: 'Image',
  cpu: 'Cpu',
  memory: 'Memory',
  port: 'Port',
  desiredCount: 'DesiredCount',
  healthCheckPath: 'HealthCheckPath',
} as const;

/** The parameter name of one field of service slot `index`. */
export function serviceSlotParameter(index: number, field: keyof typeof ServiceSlotParameter): string {
  return `Service${index}${ServiceSlotParameter[field]}`;
}

/**
 * The tenant's listener rule is part of a silo tenant's stack: ECS will not attach a service
 * to a target group that no load balancer uses, so the rule must exist before the service.
 * The orchestrator claims the priority (unique per listener) and passes it in.
 */
export const RouteParameter = {
  listenerArn: 'ListenerArn',
  rulePriority: 'RulePriority',
  /** `host` or `header`. */
  routeStyle: 'RouteStyle',
  /** Host name (host style) or header value (header style). */
  routeValue: 'RouteValue',
  /** Header name for header style (ignored for host style). */
  routeHeaderName: 'RouteHeaderName',
} as const;

/** Outputs every tenant template declares. */
export const TemplateOutput = {
  /** Target group of the first (routed) service. */
  targetGroupArn: 'TargetGroupArn',
  /** Cluster the tenant's services run in (shared or dedicated). */
  clusterName: 'ClusterName',
  /** Comma-separated ECS service names, in slot order. */
  serviceNames: 'ServiceNames',
  /** The tenant's listener rule. */
  listenerRuleArn: 'ListenerRuleArn',
} as const;

/**
 * The permissions boundary every role of a tenant stack gets: the ARN of the managed policy the
 * orchestrator stack ships. The tenant stack role may create roles only with exactly this boundary,
 * so a value other than the deployment's own makes CreateRole fail (the stack rolls back).
 */
export const permissionsBoundaryParameter = 'PermissionsBoundaryArn';

/**
 * Parameters each template takes from the deployment (values come from the TENANT_STACK_PARAMETERS
 * configuration): the shared infrastructure's ids and the orchestrator's permissions boundary.
 * CloudFormation rejects parameters a template does not declare, so the plan passes exactly these
 * per isolation model.
 */
export const sharedParametersByModel = {
  'silo-services': [
    'VpcId',
    'SubnetIds',
    'LoadBalancerSecurityGroupId',
    'SharedClusterName',
    permissionsBoundaryParameter,
  ],
  'silo-cluster': ['VpcId', 'SubnetIds', 'LoadBalancerSecurityGroupId', permissionsBoundaryParameter],
} as const;

/**
 * Formats of the EC2 ids the templates take. The templates declare them as `String` /
 * `CommaDelimitedList` with these patterns, not as AWS-specific parameter types
 * (`AWS::EC2::VPC::Id`, ...): CloudFormation looks those values up in the account at CreateStack,
 * with EC2 Describe permissions neither the orchestrator nor the tenant stack role has
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-supplied-parameter-types.html).
 * The CDK app checks configured ids against the same patterns at synth time.
 */
export const ec2IdPattern = {
  vpc: '^vpc-[0-9a-f]{8}([0-9a-f]{9})?$',
  subnet: '^subnet-[0-9a-f]{8}([0-9a-f]{9})?$',
  securityGroup: '^sg-[0-9a-f]{8}([0-9a-f]{9})?$',
} as const;
