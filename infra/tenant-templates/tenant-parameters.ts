/**
 * The parameters and conditions of a tenant template. Names come from
 * functions/shared/config/template-parameters.ts, so the plan step and the templates cannot drift apart
 * without the contract test (test/infra/tenant-templates.test.ts) failing.
 */
import {
  CfnCondition,
  CfnParameter,
  Fn,
  type CfnParameterProps,
  type ICfnConditionExpression,
  type Stack,
} from 'aws-cdk-lib';
import {
  ec2IdPattern,
  RouteParameter,
  serviceSlotParameter,
  sharedParametersByModel,
  TemplateParameter,
  TenantSuspendedValue,
} from '../../functions/shared/config/template-parameters.ts';
import {
  fargateCpuValues,
  fargateMaxMemory,
  fargateMinMemory,
  maxServicesPerTenant,
} from '../../functions/shared/config/tier-catalog.ts';

/** A silo isolation model: the ones that get a tenant template. */
export type SiloIsolationModel = keyof typeof sharedParametersByModel;

/** Every shared-infrastructure parameter name any model declares. */
export type SharedParameterName = (typeof sharedParametersByModel)[SiloIsolationModel][number];

/**
 * The shared parameters' declarations, typed by name so a rename breaks the build. Plain
 * `String` / `CommaDelimitedList` with a format pattern, never AWS-specific types: see
 * {@link ec2IdPattern} for why.
 */
const sharedParameterDeclarations: Record<SharedParameterName, CfnParameterProps> = {
  VpcId: {
    type: 'String',
    allowedPattern: ec2IdPattern.vpc,
    description: 'VPC of the shared load balancer and the tenant tasks (vpc-...)',
  },
  // CloudFormation matches a CommaDelimitedList's AllowedPattern against each element.
  SubnetIds: {
    type: 'CommaDelimitedList',
    allowedPattern: ec2IdPattern.subnet,
    description: 'Private subnets the tenant tasks run in (subnet-..., comma-separated)',
  },
  LoadBalancerSecurityGroupId: {
    type: 'String',
    allowedPattern: ec2IdPattern.securityGroup,
    description: 'Security group of the shared load balancer (sg-...); the only source allowed to reach tenant tasks',
  },
  SharedClusterName: {
    type: 'String',
    allowedPattern: '^[A-Za-z0-9_-]{1,255}$',
    description: 'ECS cluster shared by silo-services tenants',
  },
  PermissionsBoundaryArn: {
    type: 'String',
    allowedPattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]{1,512}$',
    description:
      "Managed policy every role of the stack gets as its permissions boundary (the orchestrator's; the stack role creates roles with no other)",
  },
};

/** The parameters of one service slot. */
export interface ServiceSlotParameters {
  readonly index: number;
  readonly name: CfnParameter;
  readonly image: CfnParameter;
  readonly cpu: CfnParameter;
  readonly memory: CfnParameter;
  readonly port: CfnParameter;
  readonly desiredCount: CfnParameter;
  readonly healthCheckPath: CfnParameter;
  /** Whether the slot is in use; undefined for slot 0, which every tenant uses (ServiceCount >= 1). */
  readonly condition: CfnCondition | undefined;
}

/** The parameters of the tenant's listener rule, decided by the orchestrator when it claims the priority. */
export interface RouteParameters {
  readonly listenerArn: CfnParameter;
  readonly rulePriority: CfnParameter;
  readonly routeStyle: CfnParameter;
  readonly routeValue: CfnParameter;
  readonly routeHeaderName: CfnParameter;
  /** Holds when RouteStyle is `host`. */
  readonly isHostRoute: CfnCondition;
}

/** Everything a tenant template is parameterized by. */
export interface TenantParameters {
  readonly tenantId: CfnParameter;
  readonly tier: CfnParameter;
  readonly templateVersion: CfnParameter;
  readonly serviceCount: CfnParameter;
  readonly slots: readonly ServiceSlotParameters[];
  /** The shared parameters this model declares (see sharedParametersByModel). */
  readonly shared: ReadonlyMap<SharedParameterName, CfnParameter>;
  readonly route: RouteParameters;
  /** `"true"` or `"false"` (default): see TemplateParameter.tenantSuspended. */
  readonly tenantSuspended: CfnParameter;
  /** Holds when TenantSuspended is `"true"`. */
  readonly isSuspended: CfnCondition;
}

/** Logical id of the condition that the tenant is suspended. */
export const isTenantSuspendedConditionName = 'IsTenantSuspended';

/** Logical id of the condition that the tenant is routed by host name. */
const isHostRouteConditionName = 'IsHostRoute';

/** ALB rule priorities run from 1 to 50000 per listener. */
const highestRulePriority = 50_000;

/** Logical id of the condition that slot `index` is in use. */
function hasServiceConditionName(index: number): string {
  return `HasService${index}`;
}

/** ServiceCount values 1..maxServicesPerTenant, as CloudFormation wants them (strings). */
function serviceCountValues(): string[] {
  return Array.from({ length: maxServicesPerTenant }, (_, index) => String(index + 1));
}

/**
 * CloudFormation cannot compare numbers, so "slot i is in use" is "ServiceCount is one of i+1..max".
 */
function slotInUseExpression(serviceCount: CfnParameter, index: number): ICfnConditionExpression {
  const equalities = serviceCountValues()
    .slice(index)
    .map((value) => Fn.conditionEquals(serviceCount.valueAsString, value));
  const [only] = equalities;
  if (equalities.length === 1 && only !== undefined) return only;
  return Fn.conditionOr(...equalities);
}

/**
 * Slot 0 has no defaults (the plan always passes it); later slots get harmless defaults so the
 * plan may omit the slots a tier does not use. The defaults are never deployed: the slot's
 * resources exist only under its condition.
 */
function declareSlot(stack: Stack, index: number, serviceCount: CfnParameter): ServiceSlotParameters {
  const unused = index > 0;
  const declare = (
    field: Parameters<typeof serviceSlotParameter>[1],
    props: ConstructorParameters<typeof CfnParameter>[2],
  ) => new CfnParameter(stack, serviceSlotParameter(index, field), props);
  return {
    index,
    name: declare('name', {
      type: 'String',
      allowedPattern: '^[a-z][a-z0-9-]{0,19}$',
      description: `Service ${index}: name (lower-case letters, digits, hyphens)`,
      ...(unused ? { default: 'unused' } : {}),
    }),
    image: declare('image', {
      type: 'String',
      minLength: 1,
      maxLength: 255,
      description: `Service ${index}: container image`,
      ...(unused ? { default: 'unused' } : {}),
    }),
    cpu: declare('cpu', {
      type: 'Number',
      allowedValues: fargateCpuValues.map(String),
      description: `Service ${index}: Fargate CPU units`,
      ...(unused ? { default: '256' } : {}),
    }),
    memory: declare('memory', {
      type: 'Number',
      minValue: fargateMinMemory,
      maxValue: fargateMaxMemory,
      description: `Service ${index}: memory in MiB (a valid Fargate combination with the CPU)`,
      ...(unused ? { default: '512' } : {}),
    }),
    port: declare('port', {
      type: 'Number',
      minValue: 1,
      maxValue: 65535,
      description: `Service ${index}: container port`,
      ...(unused ? { default: '8080' } : {}),
    }),
    desiredCount: declare('desiredCount', {
      type: 'Number',
      minValue: 1,
      maxValue: 100,
      description: `Service ${index}: number of tasks`,
      ...(unused ? { default: '1' } : {}),
    }),
    healthCheckPath: declare('healthCheckPath', {
      type: 'String',
      allowedPattern: '^/[!-~]*$',
      description: `Service ${index}: HTTP health check path${index === 0 ? ' (load balancer target group)' : ' (unused: only service 0 is routed)'}`,
      ...(unused ? { default: '/' } : {}),
    }),
    condition: unused
      ? new CfnCondition(stack, hasServiceConditionName(index), {
          expression: slotInUseExpression(serviceCount, index),
        })
      : undefined,
  };
}

/**
 * Declares the template's parameters and slot conditions directly on the stack, so each logical
 * id is exactly the contract name (CDK keeps top-level ids unchanged).
 */
export function declareTenantParameters(
  stack: Stack,
  model: SiloIsolationModel,
  templateVersion: string,
): TenantParameters {
  const tenantId = new CfnParameter(stack, TemplateParameter.tenantId, {
    type: 'String',
    allowedPattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,62}$',
    description: 'Tenant id (letters, digits, hyphens)',
  });
  const tier = new CfnParameter(stack, TemplateParameter.tier, {
    type: 'String',
    allowedPattern: '^[a-z][a-z0-9-]{0,31}$',
    description: 'Tier of the tenant',
  });
  // A single allowed value makes CloudFormation reject a plan that names one version in the
  // template URL and another in the parameters.
  const version = new CfnParameter(stack, TemplateParameter.templateVersion, {
    type: 'String',
    allowedValues: [templateVersion],
    description: 'Version of this template (must match the template URL)',
  });
  const serviceCount = new CfnParameter(stack, TemplateParameter.serviceCount, {
    type: 'Number',
    allowedValues: serviceCountValues(),
    description: 'How many service slots the tenant uses',
  });
  const slots = Array.from({ length: maxServicesPerTenant }, (_, index) => declareSlot(stack, index, serviceCount));
  const shared = new Map<SharedParameterName, CfnParameter>();
  for (const name of sharedParametersByModel[model]) {
    shared.set(name, new CfnParameter(stack, name, sharedParameterDeclarations[name]));
  }
  // A default, unlike the other parameters: stacks created before it existed keep forwarding and
  // running their services when an update leaves it out.
  const tenantSuspended = new CfnParameter(stack, TemplateParameter.tenantSuspended, {
    type: 'String',
    allowedValues: [TenantSuspendedValue.active, TenantSuspendedValue.suspended],
    default: TenantSuspendedValue.active,
    description:
      'true: the tenant rule answers a fixed 503 response and every service runs 0 tasks; false: forward and run the ServiceNDesiredCount tasks',
  });
  return {
    tenantId,
    tier,
    templateVersion: version,
    serviceCount,
    slots,
    shared,
    route: declareRouteParameters(stack),
    tenantSuspended,
    isSuspended: new CfnCondition(stack, isTenantSuspendedConditionName, {
      expression: Fn.conditionEquals(tenantSuspended.valueAsString, TenantSuspendedValue.suspended),
    }),
  };
}

/**
 * No defaults: the orchestrator always passes all five (RouteHeaderName too, unused for host
 * routes), so a plan that forgets one fails at CreateStack instead of routing somewhere else.
 */
function declareRouteParameters(stack: Stack): RouteParameters {
  const routeStyle = new CfnParameter(stack, RouteParameter.routeStyle, {
    type: 'String',
    allowedValues: ['host', 'header'],
    description: 'How the tenant is selected: by host name or by an HTTP header',
  });
  return {
    listenerArn: new CfnParameter(stack, RouteParameter.listenerArn, {
      type: 'String',
      description: 'Listener of the shared load balancer the tenant rule goes on',
    }),
    rulePriority: new CfnParameter(stack, RouteParameter.rulePriority, {
      type: 'Number',
      minValue: 1,
      maxValue: highestRulePriority,
      description: 'Priority of the tenant rule, claimed by the orchestrator (unique per listener)',
    }),
    routeStyle,
    routeValue: new CfnParameter(stack, RouteParameter.routeValue, {
      type: 'String',
      minLength: 1,
      description: 'Host name (host style) or header value (header style) that selects the tenant',
    }),
    routeHeaderName: new CfnParameter(stack, RouteParameter.routeHeaderName, {
      type: 'String',
      description: 'HTTP header that selects the tenant (header style; ignored for host style)',
    }),
    isHostRoute: new CfnCondition(stack, isHostRouteConditionName, {
      expression: Fn.conditionEquals(routeStyle.valueAsString, 'host'),
    }),
  };
}

/** A shared parameter the model must declare; throws at synth time if the model lacks it. */
export function sharedParameter(parameters: TenantParameters, name: SharedParameterName): CfnParameter {
  const parameter = parameters.shared.get(name);
  if (parameter === undefined) throw new Error(`This tenant template does not declare ${name}`);
  return parameter;
}
