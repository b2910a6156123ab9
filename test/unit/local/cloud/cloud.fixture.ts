/**
 * A hand-moved clock and CreateStack requests shaped like the plan step's, for the local cloud tests.
 */
import type { CreateStackCommandInput } from '@aws-sdk/client-cloudformation';

/** A clock tests move by hand. */
export class FakeClock {
  time = Date.UTC(2026, 10, 20, 10, 0, 0);
  readonly now = (): number => this.time;

  advance(ms: number): void {
    this.time += ms;
  }
}

export const templateBase = 'https://templates.s3.us-east-1.amazonaws.com/tenant-templates';
export const roleArn = 'arn:aws:iam::111122223333:role/tenant-stacks';
export const listenerArn =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants/50dc6c495c0c9188/f2f7dc8efc522ab2';
export const secondListenerArn =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants/50dc6c495c0c9188/0a1b2c3d4e5f6a7b';
export const pooledTargetGroupArn =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/pooled/73e2d6bc24d8a067';

interface ServiceSlot {
  readonly name: string;
  readonly desiredCount: number;
}

/** The route register-route claims for a tenant, as the template parameters CreateStack gets. */
export interface RouteFixture {
  readonly listenerArn?: string;
  readonly priority?: number;
  readonly style?: 'host' | 'header';
}

/**
 * A priority per tenant id, stable and well away from the small ones the tests give rules they
 * create themselves, so stacks of different tenants do not clash unless a test makes them.
 */
export function defaultPriority(tenantId: string): number {
  const sum = [...tenantId].reduce((total, char, index) => total + char.charCodeAt(0) * (index + 1), 0);
  return 1000 + (sum % 40_000);
}

/** Parameters the plan and register-route pass for a tenant with these services (shared ones per isolation model). */
export function tenantParameters(
  tenantId: string,
  model: 'silo-cluster' | 'silo-services',
  services: readonly ServiceSlot[],
  route: RouteFixture = {},
): Record<string, string> {
  const style = route.style ?? 'host';
  const parameters: Record<string, string> = {
    ListenerArn: route.listenerArn ?? listenerArn,
    RulePriority: String(route.priority ?? defaultPriority(tenantId)),
    RouteStyle: style,
    RouteValue: style === 'host' ? `${tenantId}.tenants.example.com` : tenantId,
    RouteHeaderName: 'x-tenant-id',
    TenantId: tenantId,
    Tier: model === 'silo-cluster' ? 'premium' : 'advanced',
    TemplateVersion: '1.0.0',
    ServiceCount: String(services.length),
    VpcId: 'vpc-0a1b2c3d4e5f67890',
    SubnetIds: 'subnet-0a1b2c3d4e5f67890,subnet-0f1e2d3c4b5a69788',
    LoadBalancerSecurityGroupId: 'sg-0a1b2c3d4e5f67890',
    PermissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/tenant-boundary',
    ...(model === 'silo-services' ? { SharedClusterName: 'shared-tenants' } : {}),
  };
  services.forEach((service, index) => {
    Object.assign(parameters, {
      [`Service${index}Name`]: service.name,
      [`Service${index}Image`]: 'public.ecr.aws/nginx/nginx:1.27',
      [`Service${index}Cpu`]: '256',
      [`Service${index}Memory`]: '512',
      [`Service${index}Port`]: '80',
      [`Service${index}DesiredCount`]: String(service.desiredCount),
      [`Service${index}HealthCheckPath`]: '/',
    });
  });
  return parameters;
}

/** The template URL of an isolation model. */
export function templateUrl(model: 'silo-cluster' | 'silo-services'): string {
  return `${templateBase}/${model}/1.0.0/template.json`;
}

/** A CreateStack request as the converge step sends it. */
export function createStackInput(
  stackName: string,
  options: {
    model?: 'silo-cluster' | 'silo-services';
    services?: readonly ServiceSlot[];
    token?: string;
    parameters?: Record<string, string>;
    route?: RouteFixture;
  } = {},
): CreateStackCommandInput {
  const model = options.model ?? 'silo-cluster';
  const services = options.services ?? [
    { name: 'web', desiredCount: 2 },
    { name: 'worker', desiredCount: 1 },
  ];
  const parameters =
    options.parameters ?? tenantParameters(stackName.replace(/^tenant-/, ''), model, services, options.route);
  return {
    StackName: stackName,
    TemplateURL: templateUrl(model),
    Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    Tags: [
      { Key: 'tenantId', Value: stackName.replace(/^tenant-/, '') },
      { Key: 'managed-by', Value: 'tenant-orchestrator' },
    ],
    Capabilities: ['CAPABILITY_IAM'],
    OnFailure: 'ROLLBACK',
    RoleARN: roleArn,
    ...(options.token !== undefined ? { ClientRequestToken: options.token } : {}),
  };
}
