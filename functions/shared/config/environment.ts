/**
 * Typed readers for the orchestrator's environment. Each handler calls the ones it needs
 * once, at cold start; a missing or malformed variable throws ConfigurationError naming it.
 *
 * The variables' names are defined here once ({@link environmentVariables}); the CDK app gives
 * each function the variables of the readers it calls ({@link readerSettings}), so a rename is
 * one edit of this file.
 */
import * as z from 'zod';
import { type ContractConfig, describeIssues, type WorkflowName } from '../../../events/contract.ts';
import { requireBoolEnv, requireEnv, requireIntEnv, requireJsonEnv } from './env.ts';
import { ConfigurationError } from '../step/errors.ts';
import { loadTierCatalog, type TierCatalog } from './tier-catalog.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Every setting the functions read from the environment, and the name of its variable. */
export const environmentVariables = {
  eventBusName: 'EVENT_BUS_NAME',
  controlPlaneSource: 'CONTROL_PLANE_SOURCE',
  applicationPlaneSource: 'APPLICATION_PLANE_SOURCE',
  acceptLegacyDetailTypes: 'ACCEPT_LEGACY_DETAIL_TYPES',
  emitLegacyDetailTypes: 'EMIT_LEGACY_DETAIL_TYPES',
  registryTableName: 'TENANT_REGISTRY_TABLE',
  idempotencyTableName: 'IDEMPOTENCY_TABLE',
  stackNamePrefix: 'STACK_NAME_PREFIX',
  tenantStackParameters: 'TENANT_STACK_PARAMETERS',
  templateBaseUrl: 'TEMPLATE_BASE_URL',
  tenantDomain: 'TENANT_DOMAIN',
  cloudFormationRoleArn: 'CLOUDFORMATION_ROLE_ARN',
  routeListeners: 'ROUTE_LISTENERS',
  stackTimeoutSeconds: 'STACK_TIMEOUT_SECONDS',
  servicesTimeoutSeconds: 'SERVICES_TIMEOUT_SECONDS',
  stackQueueTimeoutSeconds: 'STACK_QUEUE_TIMEOUT_SECONDS',
  onboardingStateMachineArn: 'ONBOARDING_STATE_MACHINE_ARN',
  offboardingStateMachineArn: 'OFFBOARDING_STATE_MACHINE_ARN',
  suspensionStateMachineArn: 'SUSPENSION_STATE_MACHINE_ARN',
  updateStateMachineArn: 'UPDATE_STATE_MACHINE_ARN',
  rolloutWaveStateMachineArn: 'ROLLOUT_WAVE_STATE_MACHINE_ARN',
  publishedTemplateVersions: 'PUBLISHED_TEMPLATE_VERSIONS',
  maxStackOperations: 'MAX_STACK_OPERATIONS',
  tombstoneSeconds: 'TOMBSTONE_SECONDS',
  stackDriftChecksPerRun: 'STACK_DRIFT_CHECKS_PER_RUN',
  tierCatalog: 'TIER_CATALOG',
  dataMigrationHookTimeoutSeconds: 'DATA_MIGRATION_HOOK_TIMEOUT_SECONDS',
  eventDrivenWaits: 'EVENT_DRIVEN_WAITS',
} as const;

/** A setting read from the environment (the key of its variable in {@link environmentVariables}). */
export type EnvironmentSetting = keyof typeof environmentVariables;
/** The name of an environment variable the functions read. */
export type EnvironmentVariable = (typeof environmentVariables)[EnvironmentSetting];

/** The settings each reader of this module reads; a function's environment is the union over the readers it calls. */
export const readerSettings = {
  readContractConfig: [
    'eventBusName',
    'controlPlaneSource',
    'applicationPlaneSource',
    'acceptLegacyDetailTypes',
    'emitLegacyDetailTypes',
  ],
  readRegistryTableName: ['registryTableName'],
  readIdempotencyTableName: ['idempotencyTableName'],
  readStackConfig: ['stackNamePrefix', 'tenantStackParameters', 'templateBaseUrl', 'tenantDomain'],
  readCloudFormationRoleArn: ['cloudFormationRoleArn'],
  readRouteListeners: ['routeListeners'],
  readDeadlines: ['stackTimeoutSeconds', 'servicesTimeoutSeconds', 'stackQueueTimeoutSeconds'],
  readStateMachineArns: [
    'onboardingStateMachineArn',
    'offboardingStateMachineArn',
    'suspensionStateMachineArn',
    'updateStateMachineArn',
  ],
  readRolloutStateMachineArns: ['updateStateMachineArn', 'rolloutWaveStateMachineArn'],
  readPublishedTemplates: ['templateBaseUrl', 'publishedTemplateVersions'],
  readMaxStackOperations: ['maxStackOperations'],
  readTombstoneSeconds: ['tombstoneSeconds'],
  readStackDriftChecksPerRun: ['stackDriftChecksPerRun'],
  readTierCatalog: ['tierCatalog'],
  readDataMigrationHookTimeoutSeconds: ['dataMigrationHookTimeoutSeconds'],
  readEventDrivenWaits: ['eventDrivenWaits'],
} as const satisfies Record<string, readonly EnvironmentSetting[]>;

/** A reader of this module. */
export type ConfigReader = keyof typeof readerSettings;

const names = environmentVariables;

/** Bus, sources and detail-type spellings (see events/contract.ts). */
export function readContractConfig(env: Env = process.env): ContractConfig {
  return {
    eventBusName: requireEnv(names.eventBusName, env),
    controlPlaneSource: requireEnv(names.controlPlaneSource, env),
    applicationPlaneSource: requireEnv(names.applicationPlaneSource, env),
    acceptLegacyDetailTypes: requireBoolEnv(names.acceptLegacyDetailTypes, env),
    emitLegacyDetailTypes: requireBoolEnv(names.emitLegacyDetailTypes, env),
  };
}

/** The tenant registry table (tenant records, operation locks, route priorities). */
export function readRegistryTableName(env: Env = process.env): string {
  return requireEnv(names.registryTableName, env);
}

/** The Powertools idempotency table. */
export function readIdempotencyTableName(env: Env = process.env): string {
  return requireEnv(names.idempotencyTableName, env);
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
  const prefix = requireEnv(names.stackNamePrefix, env);
  if (!/^[A-Za-z][A-Za-z0-9-]{0,40}$/.test(prefix)) {
    throw new ConfigurationError(
      `Environment variable ${names.stackNamePrefix} must be 1-41 letters, digits or hyphens, starting with a letter`,
    );
  }
  const shared = z.record(z.string(), z.string()).safeParse(requireJsonEnv(names.tenantStackParameters, env));
  if (!shared.success) {
    throw new ConfigurationError(
      `Environment variable ${names.tenantStackParameters} must be a JSON object of string values`,
    );
  }
  return {
    stackNamePrefix: prefix,
    templateBaseUrl: requireEnv(names.templateBaseUrl, env).replace(/\/+$/, ''),
    sharedParameters: shared.data,
    tenantDomain: requireEnv(names.tenantDomain, env),
  };
}

/** The role CloudFormation assumes to create tenant stacks (only what the templates contain). */
export function readCloudFormationRoleArn(env: Env = process.env): string {
  return requireEnv(names.cloudFormationRoleArn, env);
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
  const parsed = RouteListenersSchema.safeParse(requireJsonEnv(names.routeListeners, env));
  if (!parsed.success) {
    throw new ConfigurationError(
      `Environment variable ${names.routeListeners} is invalid: ${describeIssues(parsed.error)}`,
    );
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
    stackTimeoutSeconds: requireIntEnv(names.stackTimeoutSeconds, env),
    servicesTimeoutSeconds: requireIntEnv(names.servicesTimeoutSeconds, env),
    stackQueueTimeoutSeconds: requireIntEnv(names.stackQueueTimeoutSeconds, env),
  };
}

/** The most stack-operation slots the configuration may ask for (slot sort keys have four digits). */
export const maxStackOperationsLimit = 1000;

/**
 * How many tenants may have a CloudFormation create or delete in flight at once
 * (see functions/shared/registry/stack-slots.ts); 1..{@link maxStackOperationsLimit}.
 */
export function readMaxStackOperations(env: Env = process.env): number {
  const value = requireIntEnv(names.maxStackOperations, env);
  if (value > maxStackOperationsLimit) {
    throw new ConfigurationError(
      `Environment variable ${names.maxStackOperations} must be at most ${maxStackOperationsLimit}, got "${value}"`,
    );
  }
  return value;
}

/** The most drift detections one reconcile run starts (each reads every resource of a stack). */
export const maxStackDriftChecksPerRun = 100;

/**
 * How many tenant stacks each scheduled reconcile run starts a CloudFormation drift detection on;
 * 0 (the default) turns drift detection off. 0..{@link maxStackDriftChecksPerRun}.
 */
export function readStackDriftChecksPerRun(env: Env = process.env): number {
  const raw = requireEnv(names.stackDriftChecksPerRun, env);
  const value = Number(raw);
  if (!/^\d{1,3}$/.test(raw) || value > maxStackDriftChecksPerRun)
    throw new ConfigurationError(
      `Environment variable ${names.stackDriftChecksPerRun} must be an integer from 0 to ${maxStackDriftChecksPerRun}, got "${raw.slice(0, 20)}"`,
    );
  return value;
}

/**
 * The longest a tier change may wait for the application's answer to its data migration hook:
 * 24 hours. The update workflow's TimeoutSeconds counts it (infra/workflow-budget.ts).
 */
export const maxDataMigrationHookTimeoutSeconds = 86_400;

/**
 * How long a tier change waits, before its switch, for the application to answer the `Tenant Data
 * Migration Requested` event (SendTaskSuccess or SendTaskFailure); 0 turns the hook off (the
 * default). 0..{@link maxDataMigrationHookTimeoutSeconds}.
 */
export function readDataMigrationHookTimeoutSeconds(env: Env = process.env): number {
  const raw = requireEnv(names.dataMigrationHookTimeoutSeconds, env);
  const value = Number(raw);
  if (!/^\d{1,6}$/.test(raw) || value > maxDataMigrationHookTimeoutSeconds)
    throw new ConfigurationError(
      `Environment variable ${names.dataMigrationHookTimeoutSeconds} must be an integer from 0 to ${maxDataMigrationHookTimeoutSeconds}, got "${raw.slice(0, 20)}"`,
    );
  return value;
}

/**
 * Whether the stack and services loops wait for CloudFormation's and ECS's events (true: a slow
 * fallback look between them) or poll on a schedule (false). Read on each call, not at cold start:
 * the benchmark measures both designs in one process.
 */
export function readEventDrivenWaits(env: Env = process.env): boolean {
  return requireBoolEnv(names.eventDrivenWaits, env);
}

/** The workflows' state machines: admission starts them, the failure reporter tells them apart. */
export function readStateMachineArns(env: Env = process.env): Record<WorkflowName, string> {
  return {
    onboarding: requireEnv(names.onboardingStateMachineArn, env),
    offboarding: requireEnv(names.offboardingStateMachineArn, env),
    suspension: requireEnv(names.suspensionStateMachineArn, env),
    update: requireEnv(names.updateStateMachineArn, env),
  };
}

/** What a rollout starts: each tenant's update, and each page of a wave as a child execution. */
export function readRolloutStateMachineArns(env: Env = process.env): { update: string; rolloutWave: string } {
  return {
    update: requireEnv(names.updateStateMachineArn, env),
    rolloutWave: requireEnv(names.rolloutWaveStateMachineArn, env),
  };
}

/**
 * The tenant templates the deployment publishes: where (`<base>/<model>/<version>/template.json`)
 * and which versions of each silo isolation model. The CDK app publishes every shipped version
 * (infra/tenant-templates/versions) and sets this list from the same files, so a version in it is
 * an object CloudFormation can read.
 */
export interface PublishedTemplates {
  readonly templateBaseUrl: string;
  /** Published versions per silo isolation model (`silo-services`, `silo-cluster`). */
  readonly versions: Readonly<Record<string, readonly string[]>>;
}

export function readPublishedTemplates(env: Env = process.env): PublishedTemplates {
  const parsed = z
    .record(z.string(), z.array(z.string()))
    .safeParse(requireJsonEnv(names.publishedTemplateVersions, env));
  if (!parsed.success) {
    throw new ConfigurationError(
      `Environment variable ${names.publishedTemplateVersions} must be a JSON object of version lists per isolation model`,
    );
  }
  return {
    templateBaseUrl: requireEnv(names.templateBaseUrl, env).replace(/\/+$/, ''),
    versions: parsed.data,
  };
}

/** The URL of a published tenant template, as the plan step and the update workflow build it. */
export function templateUrlOf(templateBaseUrl: string, model: string, version: string): string {
  return `${templateBaseUrl}/${model}/${version}/template.json`;
}

/**
 * How long a tombstone (the record an offboarding of an unknown tenant leaves) refuses older
 * requests, in seconds. The CDK app derives it from the request dead-letter queue's retention plus
 * a day: a request can come back from that queue with its original time until then.
 */
export function readTombstoneSeconds(env: Env = process.env): number {
  return requireIntEnv(names.tombstoneSeconds, env);
}

/**
 * The most bytes TIER_CATALOG may hold. Lambda allows 4 KB for all of a function's variables
 * together (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html); the CDK
 * construct refuses a larger catalog at synth, and the reader refuses one before parsing it.
 */
export const maxTierCatalogBytes = 3072;

/**
 * The tier catalog the deployment was given (the construct's `tiers` prop, compact JSON), read
 * and validated at cold start: a bad catalog fails the function at load, naming the field.
 */
export function readTierCatalog(env: Env = process.env): TierCatalog {
  const raw = requireEnv(names.tierCatalog, env);
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes > maxTierCatalogBytes) {
    throw new ConfigurationError(
      `Environment variable ${names.tierCatalog} holds ${bytes} bytes, over the ${maxTierCatalogBytes} a catalog may take`,
    );
  }
  return loadTierCatalog(requireJsonEnv(names.tierCatalog, env));
}
