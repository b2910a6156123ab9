/**
 * Typed readers for the orchestrator's environment. Each handler calls the ones it needs
 * once, at cold start; a missing or malformed variable throws ConfigurationError naming it.
 */
import * as z from 'zod';
import type { ContractConfig } from '../../../events/contract.ts';
import { requireBoolEnv, requireEnv, requireIntEnv, requireJsonEnv } from './env.ts';
import { ConfigurationError } from '../step/errors.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Bus, sources and detail-type spellings (see events/contract.ts). */
export function readContractConfig(env: Env = process.env): ContractConfig {
  return {
    eventBusName: requireEnv('EVENT_BUS_NAME', env),
    controlPlaneSource: requireEnv('CONTROL_PLANE_SOURCE', env),
    applicationPlaneSource: requireEnv('APPLICATION_PLANE_SOURCE', env),
    acceptLegacyDetailTypes: requireBoolEnv('ACCEPT_LEGACY_DETAIL_TYPES', env),
    emitLegacyDetailTypes: requireBoolEnv('EMIT_LEGACY_DETAIL_TYPES', env),
  };
}

/** The tenant registry table (tenant records, operation locks, route priorities). */
export function readRegistryTableName(env: Env = process.env): string {
  return requireEnv('TENANT_REGISTRY_TABLE', env);
}

/** The Powertools idempotency table. */
export function readIdempotencyTableName(env: Env = process.env): string {
  return requireEnv('IDEMPOTENCY_TABLE', env);
}

/** How the plan step names and parameterizes tenant stacks. */
export interface StackConfig {
  /** Prefix of tenant stack names: `<prefix>-<tenantId>`. */
  readonly stackNamePrefix: string;
  /** Base URL of the published templates: `<base>/<isolation-model>/<version>/template.json`. */
  readonly templateBaseUrl: string;
  /** Parameters every tenant stack gets from the shared infrastructure (VPC, subnets, cluster...). */
  readonly sharedParameters: Readonly<Record<string, string>>;
  /** Domain under which host-style tenants get `<tenantId>.<domain>`. */
  readonly tenantDomain: string;
}

export function readStackConfig(env: Env = process.env): StackConfig {
  const prefix = requireEnv('STACK_NAME_PREFIX', env);
  if (!/^[A-Za-z][A-Za-z0-9-]{0,40}$/.test(prefix)) {
    throw new ConfigurationError(
      'Environment variable STACK_NAME_PREFIX must be 1-41 letters, digits or hyphens, starting with a letter',
    );
  }
  const shared = z.record(z.string(), z.string()).safeParse(requireJsonEnv('TENANT_STACK_PARAMETERS', env));
  if (!shared.success) {
    throw new ConfigurationError('Environment variable TENANT_STACK_PARAMETERS must be a JSON object of string values');
  }
  return {
    stackNamePrefix: prefix,
    templateBaseUrl: requireEnv('TEMPLATE_BASE_URL', env).replace(/\/+$/, ''),
    sharedParameters: shared.data,
    tenantDomain: requireEnv('TENANT_DOMAIN', env),
  };
}

/** The role CloudFormation assumes to create tenant stacks (only what the templates contain). */
export function readCloudFormationRoleArn(env: Env = process.env): string {
  return requireEnv('CLOUDFORMATION_ROLE_ARN', env);
}

/** One listener tenant routes can be placed on. */
export interface RouteListener {
  readonly listenerArn: string;
  /** Rules this listener's load balancer may hold for tenants (AWS default quota: 100 per ALB). */
  readonly capacity: number;
  /** Target group of the pooled services behind this listener's load balancer. */
  readonly pooledTargetGroupArn: string;
}

const RouteListenersSchema = z
  .array(
    z.object({
      listenerArn: z.string().min(1),
      capacity: z.number().int().min(1).max(50000),
      pooledTargetGroupArn: z.string().min(1),
    }),
  )
  .min(1);

export function readRouteListeners(env: Env = process.env): readonly RouteListener[] {
  const parsed = RouteListenersSchema.safeParse(requireJsonEnv('ROUTE_LISTENERS', env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigurationError(`Environment variable ROUTE_LISTENERS is invalid: ${problems}`);
  }
  return parsed.data;
}

/** Deadlines of the polling loops, in seconds (infra/workflow-budget.ts checks they fit the execution timeout). */
export interface DeadlineConfig {
  readonly stackTimeoutSeconds: number;
  readonly servicesTimeoutSeconds: number;
  /** How long a tenant may wait for a stack-operation slot before its step fails. */
  readonly stackQueueTimeoutSeconds: number;
}

export function readDeadlines(env: Env = process.env): DeadlineConfig {
  return {
    stackTimeoutSeconds: requireIntEnv('STACK_TIMEOUT_SECONDS', env),
    servicesTimeoutSeconds: requireIntEnv('SERVICES_TIMEOUT_SECONDS', env),
    stackQueueTimeoutSeconds: requireIntEnv('STACK_QUEUE_TIMEOUT_SECONDS', env),
  };
}

/** The most stack-operation slots the configuration may ask for (slot sort keys have four digits). */
export const maxStackOperationsLimit = 1000;

/**
 * How many tenants may have a CloudFormation create or delete in flight at once
 * (see functions/shared/registry/stack-slots.ts); 1..{@link maxStackOperationsLimit}.
 */
export function readMaxStackOperations(env: Env = process.env): number {
  const value = requireIntEnv('MAX_STACK_OPERATIONS', env);
  if (value > maxStackOperationsLimit) {
    throw new ConfigurationError(
      `Environment variable MAX_STACK_OPERATIONS must be at most ${maxStackOperationsLimit}, got "${value}"`,
    );
  }
  return value;
}

/** The two workflows, so the failure reporter knows which operation an execution was. */
export function readStateMachineArns(env: Env = process.env): { onboarding: string; offboarding: string } {
  return {
    onboarding: requireEnv('ONBOARDING_STATE_MACHINE_ARN', env),
    offboarding: requireEnv('OFFBOARDING_STATE_MACHINE_ARN', env),
  };
}

/**
 * How long a tombstone (the record an offboarding of an unknown tenant leaves) refuses older
 * requests, in seconds. The CDK app derives it from the request dead-letter queue's retention plus
 * a day: a request can come back from that queue with its original time until then.
 */
export function readTombstoneSeconds(env: Env = process.env): number {
  return requireIntEnv('TOMBSTONE_SECONDS', env);
}
